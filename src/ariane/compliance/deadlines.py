"""Contradictory deadlines: one duty given two different time limits in the same agreement.

A deadline is a number of hours, days, weeks or months after "within", "at least", "dans un délai
de", "sous", "au moins"…; its duty is read from the sentence (breach notice, sub-processor notice,
deletion, data subjects' requests, audit notice). Limits of the same duty and direction (a maximum:
"within"; a minimum: "at least … in advance") that differ are reported with both places.
"Without undue delay" has no number and never contradicts a number.
"""

from __future__ import annotations

import re
from collections import defaultdict

from ariane.compliance.model import Finding, Location, quote
from ariane.compliance.outline import Outline, Sentence

_I = re.IGNORECASE

_WORDS = {
    "one": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "three": 3,
    "five": 5,
    "seven": 7,
    "ten": 10,
    "fifteen": 15,
    "thirty": 30,
    "sixty": 60,
    "ninety": 90,
    "twenty-four": 24,
    "forty-eight": 48,
    "seventy-two": 72,
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "cinq": 5,
    "sept": 7,
    "dix": 10,
    "quinze": 15,
    "trente": 30,
    "soixante": 60,
    "vingt-quatre": 24,
    "quarante-huit": 48,
    "soixante-douze": 72,
    "quatre-vingt-dix": 90,
}
_NUMBER = r"(?P<num>\d+|" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")"
_UNIT = (
    r"(?P<unit>hours?|h\b|heures?|(?:business|working)\s+days?|jours?\s+ouvr(?:és|ables)"
    r"|calendar\s+days?|days?|jours?(?:\s+calendaires)?|weeks?|semaines?|months?|mois)"
)
_MAXIMUM = (
    r"(?:within|no\s+later\s+than|not\s+later\s+than|at\s+the\s+latest|at\s+most|in\s+less\s+than"
    r"|maximum\s+of|dans\s+un\s+délai\s+(?:maximum\s+|maximal\s+)?de|sous|au\s+plus\s+tard"
    r"|au\s+maximum|dans\s+les|en\s+moins\s+de|dans)"
)
_MINIMUM = r"(?:at\s+least|minimum\s+of|au\s+moins|d['’]au\s+moins|préavis\s+(?:minimum\s+)?de)"
_DEADLINE = re.compile(
    rf"\b(?:(?P<max>{_MAXIMUM})|(?P<min>{_MINIMUM}))\s+(?:a\s+period\s+of\s+)?{_NUMBER}"
    rf"(?:\s*\((?P<digits>\d+)\))?\s*{_UNIT}",
    _I,
)
_DUTIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "breach notification",
        re.compile(
            r"personal\s+data\s+breach|data\s+breach|security\s+incident|breach\s+of\s+security"
            r"|violations?\s+de\s+(?:données|sécurité)|incident\s+de\s+sécurité",
            _I,
        ),
    ),
    (
        "data subjects' requests",
        re.compile(
            r"data\s+subjects?['’]?\s*s?\s+requests?|request\s+(?:received\s+)?from\s+(?:a|the)\s+data"
            r"\s+subject|demandes?\s+d['’]exercice|exercice\s+(?:de\s+)?(?:leurs\s+)?droits",
            _I,
        ),
    ),
    (
        "sub-processor change notice",
        re.compile(
            r"sub-?\s?processors?|sous-traitants?\s+ultérieurs?|autres?\s+sous-traitants?", _I
        ),
    ),
    (
        "deletion or return",
        re.compile(
            r"\b(?:delet\w*|eras\w*|destroy\w*|destruction|return\w*|supprim\w*|suppression|détrui\w*"
            r"|restitu\w*|effac\w*)",
            _I,
        ),
    ),
    ("audit notice", re.compile(r"\baudits?\b|\binspections?\b", _I)),
)
_HOURS = (
    ("h", 1),
    ("day", 24),
    ("jour", 24),
    ("week", 168),
    ("semaine", 168),
    ("month", 720),
    ("mois", 720),
    ("calendar", 24),
)


def find(outline: Outline, sentences: list[Sentence]) -> list[Finding]:
    seen: dict[tuple[str, str], dict[tuple[float, str], list[Location]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for s in sentences:
        duty = next((name for name, p in _DUTIES if p.search(s.text)), None)
        if duty is None:
            continue
        for m in _DEADLINE.finditer(s.text):
            value, basis = _normalise(m)
            direction = "maximum" if m.group("max") else "minimum"
            loc = Location(
                s.line,
                outline.path(s.line),
                outline.line(s.line).page,
                quote(s.text, m.start()),
                m.group(0).strip(),
            )
            seen[(duty, direction)][(value, basis)].append(loc)
    out = []
    for (duty, direction), limits in seen.items():
        by_basis: dict[str, list[tuple[float, str]]] = defaultdict(list)
        for value, basis in limits:
            by_basis[basis].append((value, basis))
        for keys in by_basis.values():
            if len(keys) < 2:
                continue
            locations = tuple(loc for k in sorted(keys) for loc in limits[k])
            stated = ", ".join(sorted({loc.note for loc in locations}))
            out.append(
                Finding(
                    "contradictory-deadline",
                    f"{duty} ({direction})",
                    f"{duty}: the agreement gives different {direction} time limits ({stated})",
                    locations,
                )
            )
    return out


def _normalise(m: re.Match[str]) -> tuple[float, str]:
    """(value in hours, basis): business days are only compared with business days."""
    raw = m.group("digits") or m.group("num")
    n = int(raw) if raw.isdigit() else _WORDS[raw.lower()]
    unit = m.group("unit").lower()
    if re.search(r"business|working|ouvr", unit):
        return float(n), "business days"
    hours = next(h for prefix, h in _HOURS if unit.startswith(prefix))
    return float(n * hours), "calendar"
