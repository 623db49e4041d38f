"""Rebuild src/ariane/model/loinc_sensitivity.csv from curated rows plus public VSAC expansions.

Usage: python scripts/build_loinc_table.py ../shared/fixtures/loinc/vsac_valuesets

The curated rows (the head of the current CSV, up to the marker line) are kept as they are; codes
from the value sets below are appended with their class, unless already classified. Precedence
follows the order of VALUE_SETS (HIV before the broader STI set, which also lists HIV tests).
"""

from __future__ import annotations

import csv
import io
import json
import pathlib
import sys

VALUE_SETS = [
    ("2.16.840.1.113762.1.4.1056.50", "hiv"),  # HIV Lab Tests
    ("2.16.840.1.113883.3.464.1003.120.12.1002", "hiv"),  # HIV Viral Load
    ("2.16.840.1.113762.1.4.1166.117", "sti"),  # Syphilis Tests
    ("2.16.840.1.113762.1.4.1258.1", "sti"),  # Gonorrhea Screening
    ("2.16.840.1.113883.3.464.1003.110.12.1052", "sti"),  # Chlamydia Screening
    ("2.16.840.1.113883.3.464.1003.110.12.1059", "sti"),  # HPV Test
    ("2.16.840.1.113883.3.464.1003.110.12.1051", "sti"),  # Lab Tests for STI
    ("2.16.840.1.113883.3.464.1003.111.12.1011", "prenatal"),  # Pregnancy Test
    ("2.16.840.1.113883.3.526.3.401", "oncology"),  # Prostate Specific Antigen Test
]
MARKER = "# --- generated from VSAC expansions below this line ---"
CSV = pathlib.Path(__file__).resolve().parents[1] / "src/ariane/model/loinc_sensitivity.csv"


def main(folder: pathlib.Path) -> None:
    head = CSV.read_text("utf-8").split(MARKER)[0].rstrip("\n") + "\n"
    known = {
        r["loinc_code"]
        for r in csv.DictReader(line for line in head.splitlines() if not line.startswith("#"))
    }
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for oid, cls in VALUE_SETS:
        data = json.loads((folder / f"valueset-{oid}.json").read_text("utf-8"))
        for item in sorted(data["expansion"]["contains"], key=lambda c: c["code"]):
            if item["code"] in known:
                continue
            known.add(item["code"])
            writer.writerow([item["code"], cls, f"VSAC {oid}"])
    CSV.write_text(head + MARKER + "\n" + out.getvalue(), "utf-8")


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
