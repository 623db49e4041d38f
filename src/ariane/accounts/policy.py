"""Password policy after the CNIL recommendation on passwords (deliberation 2022-100).

Required entropy:
- 80 bits for an account authenticated by its password alone (CNIL case 1): `recipient`,
  `auditor` accounts without a second factor;
- 50 bits for an account that also has a second factor (CNIL case 2, password plus restriction
  of access): every account with TOTP enrolled (`controller`, `operator`, `admin` always).
  Every account is also throttled (lockout after 5 failures, `lockout.py`).

Estimate (bits), the lower of two models:
1. Characters, as the CNIL calculator: L x log2(N), N the sum of the sizes of the classes used:
   lower case 26, upper case 26, digits 10, any other character 37 (the CNIL's list of special
   characters; space and accented letters count here). L is an *effective* length: a password
   made of a repeated unit counts the unit once ("abcabcabc" -> 3), and a character equal to,
   or next in code point to, the previous one counts nothing ("aaaa", "1234", "abcd" -> 1).
2. Words, when the password is split by separators (space - _ . , ; : / +) into 2 or more
   tokens of which at least 2 are alphabetic: each alphabetic token counts as a dictionary word,
   at most 80/7 = 11.43 bits (CNIL: 7 words reach 80 bits), other tokens by model 1; separators
   count nothing. Without separators words cannot be told from random letters (a known limit;
   the common-password check catches single words).
The estimate is rounded to the nearest bit, as the CNIL's own examples are:
- "12 characters with upper case, lower case, digits and specials": 12 x log2(99) = 79.6 -> 80, ok;
- "14 characters with upper case, lower case and digits": 14 x log2(62) = 83.4, ok;
- "a passphrase of 7 words": 7 x 11.43 = 80, ok; 5 words (57) only with a second factor;
- "14 characters of lower case letters and spaces" is judged by its words: three words are 34
  bits and refused; a long unbroken lower-case string of 17+ letters passes model 1 (17 x 4.7).

Also refused, whatever the estimate: a password from the common-password list
(`common_passwords.txt`, lower case), also once its leading and trailing digits and symbols are
stripped and common letter substitutions undone ("P@ssw0rd2024!" -> "password"); a password
containing the account name or a word of 4+ letters of the person's name.
Messages give the reason and the estimate, never the password.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from importlib import resources

from ariane.errors import UsageError

BITS_ALONE = 80
BITS_WITH_SECOND_FACTOR = 50
MAX_LENGTH = 256
WORD_BITS = 80 / 7
SPECIALS = 37

_SEPARATORS = re.compile(r"[\s\-_.,;:/+]+")
_PERSON_SPLIT = re.compile(r"[\s\-'’.]+")
_EDGE = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_LEET = str.maketrans("@431!05$7", "aaeiioost")  # undo common substitutions


def normalize_password(password: str) -> str:
    """NFC form: the same password typed on two systems hashes the same."""
    return unicodedata.normalize("NFC", password)


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("ariane.accounts").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def _alphabet(text: str) -> int:
    size = 0
    if any("a" <= c <= "z" for c in text):
        size += 26
    if any("A" <= c <= "Z" for c in text):
        size += 26
    if any("0" <= c <= "9" for c in text):
        size += 10
    if any(not (c.isascii() and c.isalnum()) for c in text):
        size += SPECIALS
    return size


def _smallest_unit(text: str) -> str:
    n = len(text)
    for p in range(1, n // 2 + 1):
        if all(text[i] == text[i % p] for i in range(p, n)):
            return text[:p]
    return text


def effective_length(text: str) -> int:
    unit = _smallest_unit(text)
    return sum(1 for i, c in enumerate(unit) if i == 0 or abs(ord(c) - ord(unit[i - 1])) > 1)


def character_bits(text: str) -> float:
    if not text:
        return 0.0
    return effective_length(text) * math.log2(_alphabet(text))


def _wordlike(token: str) -> bool:
    """Written as a word is (lower, upper or capitalised, at most 20 letters): a random run of
    mixed-case letters such as a generated token's is not a dictionary word."""
    return (
        token.isalpha()
        and len(token) <= 20
        and (token.islower() or token.isupper() or token.istitle())
    )


def _word_bits(text: str) -> float | None:
    tokens = [t for t in _SEPARATORS.split(text) if t]
    if len(tokens) < 2 or sum(_wordlike(t) for t in tokens) < 2:
        return None
    # Word-like tokens are taken for dictionary words; the rest as random characters.
    return sum(
        min(WORD_BITS, character_bits(t)) if _wordlike(t) else character_bits(t) for t in tokens
    )


def estimate_bits(password: str) -> int:
    """The entropy estimate of the module docstring, rounded to the nearest bit."""
    text = normalize_password(password)
    bits = character_bits(text)
    words = _word_bits(text)
    if words is not None:
        bits = min(bits, words)
    return math.floor(bits + 0.5)


def person_words(full_name: str) -> list[str]:
    """The parts of a person's name ("Jean-Pierre L'Hôte" -> Jean, Pierre, L, Hôte)."""
    return [w for w in _PERSON_SPLIT.split(full_name) if w]


def required_bits(has_second_factor: bool) -> int:
    return BITS_WITH_SECOND_FACTOR if has_second_factor else BITS_ALONE


def _is_common(folded: str) -> bool:
    listed = common_passwords()
    core = _EDGE.sub("", folded)
    return any(c in listed for c in {folded, core, core.translate(_LEET), folded.translate(_LEET)})


def check_password(
    name: str, password: str, has_second_factor: bool, *, person_words: Iterable[str] = ()
) -> None:
    """UsageError with the reason unless `password` is acceptable for account `name`.

    `person_words`: the person's name parts (e.g. full name split); words of 4+ letters among
    them must not appear in the password either.
    """
    if not isinstance(password, str) or not password:
        raise UsageError("password is empty")
    text = normalize_password(password)
    if len(text) > MAX_LENGTH:
        raise UsageError(f"password is longer than {MAX_LENGTH} characters")
    if any(unicodedata.category(c).startswith("C") for c in text):
        raise UsageError("password contains control or invisible characters")
    folded = text.casefold()
    if name.casefold() in folded or name.casefold() in folded.translate(_LEET):
        raise UsageError(f"password must not contain the account name {name}")
    for word in person_words:
        w = word.casefold()
        if len(w) >= 4 and w.isalpha() and (w in folded or w in folded.translate(_LEET)):
            raise UsageError("password must not contain the person's name")
    if _is_common(folded):
        raise UsageError("password is in the list of common passwords, or a variant of one")
    need = required_bits(has_second_factor)
    got = estimate_bits(text)
    if got < need:
        hint = (
            "e.g. 12+ characters mixing upper case, lower case, digits and specials, "
            "or a passphrase of 7+ words"
            if need == BITS_ALONE
            else "e.g. 8+ characters mixing upper case, lower case, digits and specials, "
            "or a passphrase of 5+ words"
        )
        raise UsageError(
            f"password too weak: estimated {got} bits of entropy, {need} required ({hint})"
        )
