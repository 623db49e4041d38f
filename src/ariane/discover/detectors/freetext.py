"""Free text, and within it identifiers and health terms (French and English).

A free-text column holds sentences: several words, varied, with punctuation. Within its values the
detector counts, never quotes, the health terms of each sensitivity class and the identifiers it
recognises: NIRs with a valid key, phone numbers, e-mail addresses, and people named after a
title (Mme, M., Dr, Mr, Mrs...).
"""

from __future__ import annotations

import re

from ariane.discover.detectors import nir
from ariane.discover.detectors.contact import EMAIL, PHONE
from ariane.discover.detectors.lexicon import health_patterns
from ariane.discover.detectors.text import fold, words
from ariane.discover.model import ColumnSample, Finding
from ariane.model import categories as c

_TITLED = re.compile(
    r"(?<![A-Za-z])(?:Mme|Mlle|M\.|Mr\.?|Mrs\.?|Ms\.?|Miss|Dr\.?|Docteur|Pr\.?|Madame|Monsieur)"
    r"\s+[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿ'’-]+"
)


def health_classes(text: str) -> list[str]:
    f = fold(text)
    return [cls for cls, pattern in health_patterns().items() if pattern.search(f)]


def textual(col: ColumnSample) -> tuple[float, float, int]:
    """(share of values with 2+ words, mean words per value, distinct values)."""
    n = len(col.values)
    counts = {v: sum(1 for w in words(v) if any(ch.isalpha() for ch in w)) for v in col.counts}
    multi = sum(k for v, k in col.counts.items() if counts[v] >= 2)
    total = sum(counts[v] * k for v, k in col.counts.items())
    return multi / n, total / n, len(col.counts)


def detect(col: ColumnSample) -> Finding | None:
    n = len(col.values)
    if n == 0 or col.numeric_type or col.temporal_type:
        return None
    multi, mean_words, distinct = textual(col)
    if multi < 0.5 or mean_words < 2.0 or distinct < 10:
        return None
    if col.count(lambda v: " " in v.strip()) < 0.5 * n:
        return None  # e-mail addresses and paths have words but no spaces
    classes: dict[str, int] = {}
    ids = {"nir": 0, "phone": 0, "email": 0, "titled_name": 0}
    with_terms = 0
    for v, k in col.counts.items():
        found = health_classes(v)
        with_terms += k * bool(found)
        for cls in found:
            classes[cls] = classes.get(cls, 0) + k
        ids["nir"] += k * (nir.find_in_text(v) > 0)
        ids["phone"] += k * (PHONE.search(v) is not None)
        ids["email"] += k * (EMAIL.search(v) is not None)
        ids["titled_name"] += k * (_TITLED.search(v) is not None)
    ev = {"checked": n, "distinct": distinct, "with_health_terms": with_terms}
    ev.update({f"with_{k}": v for k, v in ids.items() if v})
    conf = min(0.95, 0.5 + 0.3 * multi + 0.05 * min(mean_words, 4))
    return Finding("free_text", c.FREE_TEXT, conf, ev, classes=classes)
