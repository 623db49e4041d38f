"""LOINC sensitivity classes: which result codes are special-category beyond ordinary results."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

from ariane.model import categories as c


@cache
def sensitivity_table() -> dict[str, str]:
    """LOINC code -> `health.sensitive.<class>`, from the table shipped with the model."""
    text = resources.files("ariane.model").joinpath("loinc_sensitivity.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    table: dict[str, str] = {}
    for row in rows:
        cls = row["class"].strip()
        if cls not in c.SENSITIVE_CLASSES:
            raise ValueError(f"unknown sensitivity class {cls!r} in the LOINC table")
        table[row["loinc_code"].strip()] = c.sensitive(cls)
    return table


@cache
def labels() -> dict[str, str]:
    text = resources.files("ariane.model").joinpath("loinc_sensitivity.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {r["loinc_code"].strip(): r["label"].strip() for r in rows}


def classify(loinc_code: str | None) -> str:
    if loinc_code is None:
        return c.HEALTH_RESULT
    return sensitivity_table().get(loinc_code.strip(), c.HEALTH_RESULT)
