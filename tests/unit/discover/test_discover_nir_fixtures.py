"""The NIR detector agrees with every public test vector in ../shared/fixtures/nir/."""

from __future__ import annotations

import csv
import re

import pytest

from ariane.discover.detectors import nir


def vectors(fixtures_dir):
    path = fixtures_dir / "nir" / "nir_test_vectors.csv"
    lines = path.read_text("utf-8").splitlines()
    rows = list(csv.DictReader(line for line in lines if not line.startswith("#")))
    comments = "\n".join(line for line in lines if line.startswith("#"))
    return rows, comments


def test_every_vector_agrees(fixtures_dir):
    rows, _ = vectors(fixtures_dir)
    assert len(rows) >= 20
    for row in rows:
        value, stdnum, expectation = (
            row["value"],
            row["stdnum_2.2_result"],
            row["source_expectation"],
        )
        m = nir.match(value)
        if re.fullmatch(r"[0-9AB]{15}", stdnum):
            # stdnum accepts the key: a keyed number, the same compact form.
            assert m is not None and m.compact == stdnum, value
            # The one disagreement (first digit 8): a temporary number, not a person's NIR.
            assert (m.kind == "temporary") == (stdnum[0] in "78"), value
        elif "13 digits without key" in expectation:
            assert m is not None and m.kind == "keyless", value
        else:
            assert m is None or len(m.compact) != 15, value


def test_key_vectors_and_temporary_numbers(fixtures_dir):
    _, comments = vectors(fixtures_dir)
    keys = re.findall(r'"([^"]+)"->(\d{2})', comments)
    assert len(keys) == 7
    for body, key in keys:
        assert nir.nir_key(body) == key, body
    nnp = ["7112312345678", "8278965432189", "7 1 123 12345678", "8 2 789 65432189"]
    mig = ["5112312345678", "6278965432189", "5 1 123 12345678", "6 2 789 65432189"]
    assert all(nir.match(v).kind == "nnp" for v in nnp)
    assert all(nir.match(v).kind == "mig" for v in mig)
    for invalid in ("8 2 789 654321890", "5 2 789 654321890"):
        assert nir.match(invalid) is None
    assert nir.match("2 2 789 65432189").kind not in ("nnp", "mig")  # first digit 2: no NNP


@pytest.mark.parametrize("value", ["253072B07300470", "253072A07300443", "186022A21532523"])
def test_corsica(value):
    m = nir.match(value)
    assert m is not None and m.corsica and m.kind == "nir"
