"""Contact and place: e-mail addresses, French phone numbers, postal codes, street addresses."""

from __future__ import annotations

import re

from ariane.discover.detectors.lexicon import street_pattern
from ariane.discover.detectors.text import fold
from ariane.discover.model import ColumnSample, Finding
from ariane.model import categories as c

# Local parts and domains may hold accented letters (internationalised addresses).
EMAIL = re.compile(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,24}")
# 0X XX XX XX XX, +33 X XX.., 0033 X.., with spaces, dots or dashes between pairs, or none.
PHONE = re.compile(r"(?:(?:\+|00)\s?33\s?(?:\(0\)\s?)?|0)[1-9](?:[\s.\-]?\d{2}){4}")
_POSTAL = re.compile(r"(?:0[1-9]|[1-8]\d|9[0-5]|97|98)\d{3}")
_HOUSE = re.compile(r"^\s*\d{1,4}\s*(?:bis|ter|[a-z])?\b")


def _ratio(col: ColumnSample, pattern: re.Pattern[str]) -> tuple[int, int]:
    n = len(col.values)
    if col.rejects(lambda v: pattern.fullmatch(v.strip()), 0.8):
        return 0, n
    return col.count(lambda v: pattern.fullmatch(v.strip())), n


def email(col: ColumnSample) -> Finding | None:
    hits, n = _ratio(col, EMAIL)
    if n and hits / n >= 0.8:
        return Finding("email", c.CONTACT, min(0.99, hits / n), {"checked": n, "matched": hits})
    return None


def phone(col: ColumnSample) -> Finding | None:
    hits, n = _ratio(col, PHONE)
    if n and hits / n >= 0.8:
        intl = col.count(lambda v: v.strip().startswith(("+", "00")))
        return Finding(
            "phone",
            c.CONTACT,
            min(0.98, hits / n),
            {"checked": n, "matched": hits, "international_form": intl},
        )
    return None


def postal_code(col: ColumnSample) -> Finding | None:
    n = len(col.values)
    if n == 0:
        return None
    vals = [v.strip() for v in col.values]
    if col.numeric_type:  # a postal code stored as a number lost its leading zero
        vals = [v.split(".")[0].zfill(5) for v in vals]
    hits = sum(1 for v in vals if _POSTAL.fullmatch(v))
    distinct = len(set(vals))
    # Many people share a postal code; a key or a counter never repeats.
    if hits / n >= 0.95 and (distinct <= 0.5 * n or distinct < 50) and distinct >= 2:
        corsica = sum(1 for v in vals if v.startswith("20"))
        return Finding(
            "postal_code",
            c.IDENTITY_QUASI,
            0.85,
            {"checked": n, "matched": hits, "distinct": distinct, "corsica": corsica},
        )
    return None


def address(col: ColumnSample) -> Finding | None:
    n = len(col.values)
    if n == 0:
        return None
    if col.rejects(lambda v: street_pattern().search(fold(v)), 0.6):
        return None
    streets = house = 0
    for v, k in col.counts.items():
        f = fold(v)
        has_street = street_pattern().search(f) is not None
        streets += k * has_street
        house += k * (has_street and _HOUSE.match(f) is not None)
    if streets / n >= 0.6 and house / n >= 0.3:
        conf = min(0.95, 0.5 + 0.5 * streets / n)
        return Finding(
            "address", c.CONTACT, conf, {"checked": n, "street": streets, "numbered": house}
        )
    return None
