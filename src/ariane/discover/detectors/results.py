"""How results look: units, abnormal flags, result statuses, qualitative values, measured numbers
and analysis names. These columns are health data even when no column name says so."""

from __future__ import annotations

from ariane.discover.detectors import lexicon
from ariane.discover.detectors.text import fold, words
from ariane.discover.model import ColumnSample, Finding
from ariane.model import categories as c


def _share(col: ColumnSample, vocabulary: frozenset[str]) -> tuple[int, int]:
    n = len(col.values)
    if len(col.counts) > 200:
        return 0, n
    return col.count(lambda v: fold(v) in vocabulary), n


def unit(col: ColumnSample) -> Finding | None:
    hits, n = _share(col, lexicon.UNITS)
    if n and hits / n >= 0.8 and len(set(col.values)) >= 3:
        return Finding("unit", c.HEALTH_RESULT, 0.85, {"checked": n, "matched": hits})
    return None


def flag(col: ColumnSample) -> Finding | None:
    hits, n = _share(col, lexicon.FLAGS)
    marks = col.count(lambda v: fold(v) in lexicon.FLAG_MARKERS)
    if n and hits == n and marks >= 0.01 * n and len(set(col.values)) >= 2:
        return Finding("flag", c.HEALTH_RESULT, 0.75, {"checked": n, "matched": hits})
    return None


def status(col: ColumnSample) -> Finding | None:
    hits, n = _share(col, lexicon.STATUSES)
    marks = col.count(lambda v: fold(v) in lexicon.STATUS_MARKERS)
    flags = col.count(lambda v: fold(v) in lexicon.FLAG_MARKERS)
    if n and hits == n and marks >= 0.5 * n and flags == 0:
        return Finding("status", c.HEALTH_CONTEXT, 0.7, {"checked": n, "matched": hits})
    return None


def qualitative(col: ColumnSample) -> Finding | None:
    hits, n = _share(col, lexicon.QUALITATIVE)
    if n and hits / n >= 0.6 and len(set(col.values)) >= 2:
        return Finding("result_text", c.HEALTH_RESULT, 0.8, {"checked": n, "matched": hits})
    return None


def measurement(col: ColumnSample) -> Finding | None:
    """Decimal numbers that are not all integers: values measured, or reference bounds."""
    n = len(col.values)
    if n == 0:
        return None
    numbers: dict[float, int] = {}
    for v, k in col.counts.items():
        try:
            x = float(v.replace(",", "."))
        except ValueError:
            continue
        if x == x and abs(x) != float("inf"):
            numbers[x] = numbers.get(x, 0) + k
    numeric = sum(numbers.values())
    if numeric / n < 0.95:
        return None
    fractional = sum(k for x, k in numbers.items() if x != int(x))
    if fractional < 0.05 * numeric:
        return None
    ev = {"checked": n, "numeric": numeric, "fractional": fractional}
    return Finding("measurement", c.HEALTH_RESULT, 0.6, ev)


def analysis_label(col: ColumnSample) -> Finding | None:
    """Names of analyses: their words are mostly analytes, units or lab terms."""
    n = len(col.values)
    if n == 0:
        return None
    vocab = lexicon.analyte_words()

    def label_like(v: str) -> bool:
        toks = words(v)
        return bool(toks) and sum(t in vocab for t in toks) * 2 >= len(toks)

    if col.rejects(label_like, 0.5):
        return None
    hits = col.count(label_like)
    if hits / n >= 0.5:
        return Finding("analysis_label", c.HEALTH_RESULT, 0.7, {"checked": n, "matched": hits})
    return None
