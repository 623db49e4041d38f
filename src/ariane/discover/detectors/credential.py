"""Credentials: password hashes by their formats, and passwords in clear by their look.

Hashes have unmistakable shapes (bcrypt, argon2, crypt(3), PBKDF2, hex digests). Passwords in
clear are short strings without spaces whose character-class pattern changes from row to row and
mixes letters, digits and symbols, or that are notoriously common passwords. Identifiers, by
contrast, share one pattern (letters then digits), and words are words.
"""

from __future__ import annotations

import re

from ariane.discover.detectors.text import fold, shape
from ariane.discover.model import ColumnSample, Finding
from ariane.model import categories as c

_HASHES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("bcrypt", re.compile(r"\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}")),
    (
        "argon2",
        re.compile(
            r"\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+"
        ),
    ),
    ("crypt", re.compile(r"\$(?:1|5|6|md5|sha1|y|7)\$[^$\s]*\$?[./A-Za-z0-9]{8,}")),
    ("pbkdf2", re.compile(r"pbkdf2[_:-]sha\d+\$\d+\$[^$\s]+\$[^$\s]+")),
    ("ldap", re.compile(r"\{(?:SSHA|SHA|SMD5|MD5|CRYPT|SSHA256|SSHA512)\}[A-Za-z0-9+/=.$]+")),
    ("hex-digest", re.compile(r"(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})", re.I)),
)
_WORD_DIGITS = re.compile(r"[A-Za-z]{3,}\d{1,4}")
_UUID_HEX = re.compile(r"[0-9a-f]{12}[1-8][0-9a-f]{3}[89ab][0-9a-f]{15}", re.I)
# Widely published most-common passwords (French and English top lists).
COMMON: frozenset[str] = frozenset(
    {
        "123456",
        "123456789",
        "12345678",
        "1234567",
        "12345",
        "1234567890",
        "111111",
        "000000",
        "password",
        "password1",
        "passw0rd",
        "azerty",
        "azertyuiop",
        "qwerty",
        "qwertyuiop",
        "motdepasse",
        "soleil",
        "doudou",
        "loulou",
        "chouchou",
        "marseille",
        "bonjour",
        "bonjour1",
        "iloveyou",
        "abc123",
        "admin",
        "welcome",
        "letmein",
        "monkey",
        "dragon",
        "football",
        "princesse",
        "nicolas",
        "camille",
        "jetaime",
        "coucou",
        "marie",
        "123123",
        "654321",
        "azerty1",
        "azerty123",
        "qwerty123",
        "sunshine",
        "secret",
        "changeme",
    }
)


def hash_kind(value: str) -> str | None:
    v = value.strip()
    for name, pattern in _HASHES:
        if pattern.fullmatch(v):
            if name == "hex-digest" and len(v) == 32 and _UUID_HEX.fullmatch(v):
                return None  # a UUID written without dashes
            return name
    return None


def _password_like(value: str) -> bool:
    v = value.strip()
    if not 4 <= len(v) <= 64 or " " in v:
        return False
    if fold(v) in COMMON:
        return True
    classes = sum(
        (
            any(ch.islower() for ch in v),
            any(ch.isupper() for ch in v),
            any(ch.isdigit() for ch in v),
            any(not ch.isalnum() for ch in v),
        )
    )
    # Letters then a year or a counter ("marie1965") is the commonest personal pattern.
    return (
        classes >= 3
        or (classes == 2 and len(shape(v)) >= 4)
        or _WORD_DIGITS.fullmatch(v) is not None
    )


def detect(col: ColumnSample) -> Finding | None:
    n = len(col.values)
    if n == 0 or col.numeric_type or col.temporal_type:
        return None
    kinds: dict[str, int] = {}
    for v, count in col.counts.items():
        k = hash_kind(v)
        if k:
            kinds[k] = kinds.get(k, 0) + count
    hashed = sum(kinds.values())
    if hashed / n >= 0.8:
        detail = max(kinds, key=lambda k: kinds[k])
        return Finding(
            "credential",
            c.CREDENTIAL,
            0.97,
            {
                "checked": n,
                "hashes": hashed,
                **{f"hash_{k.replace('-', '_')}": v for k, v in kinds.items()},
            },
            detail=detail,
        )
    distinct = len(col.counts)
    if distinct < 0.5 * n or col.rejects(_password_like, 0.6):
        return None
    like = col.count(_password_like)
    common = col.count(lambda v: fold(v.strip()) in COMMON)
    shapes = len({shape(v) for v in col.counts})
    # Identifiers repeat one pattern; passwords rarely repeat theirs.
    if like / n >= 0.6 and shapes >= 0.3 * n and distinct >= 0.5 * n:
        ev = {"checked": n, "password_like": like, "common_passwords": common, "shapes": shapes}
        conf = min(0.95, 0.5 + 0.5 * like / n + (0.1 if common else 0.0))
        return Finding("credential", c.CREDENTIAL, conf, ev, detail="clear text")
    return None
