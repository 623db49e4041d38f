"""Generalisation: coarsen quasi-identifiers (birth date to year or month, postal code to
department).

Vectorised with Arrow compute; types are kept (a date stays a date, floored), so targets need no
second schema.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ariane.errors import ScopeError


def generalise(values: pa.Array | pa.ChunkedArray, rule: str) -> pa.Array | pa.ChunkedArray:
    if rule == "year":
        return pc.floor_temporal(values, unit="year")
    if rule == "month":
        return pc.floor_temporal(values, unit="month")
    if rule == "department":
        # Overseas departments (97x, 98x) have three digits; the rest, Corsica included, two.
        overseas = pc.or_(pc.starts_with(values, "97"), pc.starts_with(values, "98"))
        return pc.if_else(
            overseas,
            pc.utf8_slice_codeunits(values, 0, 3),
            pc.utf8_slice_codeunits(values, 0, 2),
        )
    raise ScopeError(f"unknown generalisation rule {rule!r}")
