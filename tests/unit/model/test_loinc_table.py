"""Our LOINC sensitivity table agrees with the third-party list of sensitive LOINC codes."""

from __future__ import annotations

import csv

from ariane.model import categories, loinc

FIXTURE_CLASS = {
    "HIV": "hiv",
    "Hepatitis B": "hepatitis",
    "Hepatitis C": "hepatitis",
    "STI": "sti",
    "Genetic": "genetic",
    "Pregnancy": "prenatal",
    "Tumour marker": "oncology",
    "Drug level": "toxicology",
}


def test_agrees_with_the_fixture(fixtures_dir):
    path = fixtures_dir / "loinc" / "sensitive_lab_loinc.csv"
    rows = list(csv.DictReader(line for line in path.open() if not line.startswith("#")))
    assert len(rows) > 40
    for row in rows:
        expected = FIXTURE_CLASS.get(row["category"])
        got = loinc.classify(row["loinc_code"])
        if expected is None:
            assert got == categories.HEALTH_RESULT, row["loinc_code"]
        else:
            assert got == categories.sensitive(expected), row["loinc_code"]


def test_every_code_of_the_public_value_sets_is_classified(fixtures_dir):
    """The product table was built from these expansions (scripts/build_loinc_table.py)."""
    import json

    folder = fixtures_dir / "loinc" / "vsac_valuesets"
    hiv_sets = ("2.16.840.1.113762.1.4.1056.50", "2.16.840.1.113883.3.464.1003.120.12.1002")
    sensitive_sets = (
        *hiv_sets,
        "2.16.840.1.113762.1.4.1166.117",
        "2.16.840.1.113762.1.4.1258.1",
        "2.16.840.1.113883.3.464.1003.110.12.1051",
        "2.16.840.1.113883.3.464.1003.111.12.1011",
    )
    for oid in sensitive_sets:
        vs = json.loads((folder / f"valueset-{oid}.json").read_text())
        for item in vs["expansion"]["contains"]:
            got = loinc.classify(item["code"])
            assert got in categories.SENSITIVE_CATEGORIES, (oid, item["code"])
            if oid in hiv_sets:
                assert got == categories.sensitive("hiv"), item["code"]
    # Ordinary tests stay ordinary.
    assert loinc.classify(None) == categories.HEALTH_RESULT
    assert loinc.classify("2345-7") == categories.HEALTH_RESULT  # glucose
    assert loinc.classify("4548-4") == categories.HEALTH_RESULT  # HbA1c
