"""Health professionals: RPPS (11 digits) and ADELI (9 digits) numbers, both Luhn-checked, and
specialties."""

from __future__ import annotations

from ariane.discover.detectors.lexicon import specialty_pattern
from ariane.discover.detectors.text import digits_only, fold, luhn_ok
from ariane.discover.model import ColumnSample, Finding
from ariane.model import categories as c


def rpps(col: ColumnSample) -> Finding | None:
    n = len(col.values)
    if n == 0:
        return None

    def number(v: str) -> str:
        return digits_only(v.strip()).split(".")[0] if col.numeric_type else digits_only(v.strip())

    if col.rejects(lambda v: len(number(v)) in (9, 11) and luhn_ok(number(v)), 0.9):
        return None
    rpps_n = col.count(lambda v: len(number(v)) == 11 and luhn_ok(number(v)))
    adeli_n = col.count(lambda v: len(number(v)) == 9 and luhn_ok(number(v)))
    hits = rpps_n + adeli_n
    # One random number in ten passes Luhn: a column must pass almost always.
    if hits / n >= 0.9:
        detail = "RPPS" if rpps_n >= adeli_n else "ADELI"
        conf = 0.95 if rpps_n >= adeli_n else 0.8  # 9-digit Luhn numbers also include FINESS
        ev = {"checked": n, "rpps": rpps_n, "adeli": adeli_n}
        return Finding("rpps", c.PROFESSIONAL, conf, ev, detail=detail)
    return None


def specialty(col: ColumnSample) -> Finding | None:
    n = len(col.values)
    if n == 0:
        return None
    if col.rejects(lambda v: specialty_pattern().search(fold(v)), 0.7):
        return None
    hits = col.count(lambda v: specialty_pattern().search(fold(v)))
    if hits / n >= 0.7:
        return Finding("specialty", c.PROFESSIONAL, 0.85, {"checked": n, "matched": hits})
    return None
