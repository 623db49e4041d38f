"""Person names, from Faker's name lists (fr_FR and neighbouring locales: INSEE-derived French
names and the names of people living in France), and administrative sex.

The lists come from the installed Faker package, not from this project, so that the detector is
not tuned to the synthetic laboratory's own lists.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import cache

from ariane.discover.detectors.text import fold, words
from ariane.discover.model import ColumnSample, Finding
from ariane.model import categories as c

LOCALES = (
    "fr_FR",
    "fr_CH",
    "fr_CA",
    "fr_BE",
    "fr_QC",
    "fr_DZ",
    "en_US",
    "en_GB",
    "it_IT",
    "es_ES",
    "pt_PT",
    "pt_BR",
    "de_DE",
    "ar_AA",
    "nl_NL",
)
_PARTICLES = frozenset({"de", "du", "des", "le", "la", "da", "di", "van", "von", "del", "el", "d"})
_TITLES = frozenset(
    {
        "dr",
        "pr",
        "docteur",
        "professeur",
        "mme",
        "mlle",
        "m",
        "mr",
        "mrs",
        "ms",
        "madame",
        "monsieur",
        "miss",
    }
)
_SEX = {
    "m": "m",
    "f": "f",
    "h": "m",
    "1": "m",
    "2": "f",
    "male": "m",
    "female": "f",
    "homme": "m",
    "femme": "f",
    "masculin": "m",
    "feminin": "f",
    "man": "m",
    "woman": "f",
}
_SEX_OTHER = frozenset({"u", "i", "o", "x", "a", "3", "9", "0", "unknown", "inconnu", "other"})


def _load(attr: str) -> frozenset[str]:
    out: set[str] = set()
    for locale in LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:
            if locale == "fr_FR":
                raise  # Faker is a dependency: without its lists no name would be found
            continue  # a locale dropped by a later Faker release
        names: Iterable[str] = getattr(provider, attr, ())
        out.update(fold(n) for n in names)
    return frozenset(out)


@cache
def given_names() -> frozenset[str]:
    return _load("first_names")


@cache
def family_names() -> frozenset[str]:
    return _load("last_names")


def _score(value: str, known: frozenset[str]) -> bool:
    """All name-like words of the value are known names (particles aside); hyphens split."""
    toks = [t for w in words(value) for t in w.replace("’", "'").split("-") if t]
    toks = [t.split("'")[-1] for t in toks]  # N'Diaye -> diaye, d'Almeida -> almeida
    toks = [t for t in toks if t not in _PARTICLES and t not in _TITLES]
    if not toks or len(toks) > 4 or any(ch.isdigit() for t in toks for ch in t):
        return False
    return any(t in known for t in toks) and sum(t in known for t in toks) * 2 >= len(toks)


def person_name(col: ColumnSample) -> Finding | None:
    n = len(col.values)
    if n == 0 or col.numeric_type or col.temporal_type:
        return None
    if col.count(lambda v: any(ch.isdigit() for ch in v)) > 0.05 * n:
        return None
    known = given_names() | family_names()
    if col.rejects(lambda v: _score(v, known), 0.5):
        return None
    given = col.count(lambda v: _score(v, given_names()))
    family = col.count(lambda v: _score(v, family_names()))
    full = col.count(lambda v: len(words(v)) >= 2 and _score(v, known))
    best = max(given, family, full)
    if best / n < 0.5:
        return None
    words_per_value = sum(len(words(v)) * k for v, k in col.counts.items()) / n
    if words_per_value > 3.5:
        return None
    detail = "given name" if given > family * 1.15 else "family name"
    if words_per_value >= 1.8 and full >= max(given, family):
        detail = "full name"
    conf = min(0.95, 0.4 + 0.6 * best / n)
    ev = {"checked": n, "given_name_matches": given, "family_name_matches": family}
    return Finding("person_name", c.IDENTITY_DIRECT, conf, ev, detail=detail)


def sex(col: ColumnSample) -> Finding | None:
    n = len(col.values)
    if n == 0:
        return None
    if len(col.counts) > 6:
        return None
    m = col.count(lambda v: _SEX.get(fold(v).split(".")[0]) == "m")
    f = col.count(lambda v: _SEX.get(fold(v).split(".")[0]) == "f")
    other = col.count(lambda v: fold(v).split(".")[0] in _SEX_OTHER)
    # Both sexes present, neither rare, and nothing else but an "unknown" code.
    if m + f + other == n and min(m, f) >= 0.1 * n and other <= 0.1 * n:
        ev = {"checked": n, "male": m, "female": f, "other": other}
        return Finding("sex", c.IDENTITY_QUASI, 0.9, ev)
    return None
