"""LOINC codes: the `NNNNN-C` shape and its mod-10 check digit, and their sensitivity classes.

The check digit is the Luhn digit of the code's number (2345-7: Luhn over 23457 is valid). A
column of such codes names the analyses; the model's LOINC table says which are special-category
(HIV, genetics, prenatal...), which the data map reports as counts per class.
"""

from __future__ import annotations

import re

from ariane.discover.detectors.text import luhn_ok
from ariane.discover.model import ColumnSample, Finding
from ariane.model import categories as c
from ariane.model.loinc import sensitivity_table

_SHAPE = re.compile(r"(\d{1,7})-(\d)")


def check_digit(number: str) -> str:
    """The LOINC check digit of the part before the hyphen."""
    for d in "0123456789":
        if luhn_ok(number + d):
            return d
    raise ValueError("not a number")  # unreachable for digits


def is_loinc(value: str) -> bool:
    m = _SHAPE.fullmatch(value.strip())
    return m is not None and luhn_ok(m.group(1) + m.group(2))


def detect(col: ColumnSample) -> Finding | None:
    n = len(col.values)
    if n == 0:
        return None
    shaped = valid = 0
    classes: dict[str, int] = {}
    table = sensitivity_table()
    if col.rejects(lambda v: _SHAPE.fullmatch(v.strip()), 0.9):
        return None
    for raw, k in col.counts.items():
        v = raw.strip()
        if _SHAPE.fullmatch(v):
            shaped += k
            if is_loinc(v):
                valid += k
                cls = table.get(v)
                if cls:
                    key = cls.removeprefix(c.SENSITIVE_PREFIX)
                    classes[key] = classes.get(key, 0) + k
    if valid / n >= 0.9:
        ev = {"checked": n, "check_digit_valid": valid, "bad_check_digit": shaped - valid}
        return Finding("loinc", c.HEALTH_RESULT, 0.97, ev, classes=classes)
    return None
