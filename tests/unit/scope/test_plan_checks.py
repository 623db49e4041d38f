"""The per-batch re-check counts exactly what the scope conditions themselves reject.

Membership conditions are checked with an anti-join (cheaper: it hashes the batch, not the
scope); this must give the same counts as evaluating the condition row by row, NULLs included.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest

from ariane.crypto.seal import new_identity
from ariane.demo.run import PROFILE, demo_manifest_text
from ariane.manifest.load import parse_manifest
from ariane.scope.plan import SCOPE_REQUEST, build_plan

BATCH = "_check_batch"


@pytest.fixture(scope="module")
def plan():
    _, recipient = new_identity()
    text = demo_manifest_text(PROFILE, "M-CHECK", recipient, dt.date(2026, 11, 29))
    return build_plan(parse_manifest(text), {})


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute(
        f"CREATE TABLE {SCOPE_REQUEST} AS SELECT * FROM (VALUES "
        "('R1', 'P1', 'D1'), ('R2', 'P1', NULL), ('R3', NULL, 'D2')) "
        "t(request_id, patient_id, prescriber_id)"
    )
    yield c
    c.close()


BATCHES = {
    "patient": {"patient_id": ["P1", "P2", None, "P1"]},
    "request": {"request_id": ["R1", "R9", None, "R3"], "patient_id": ["P1", "P1", "P1", None]},
    "result": {
        "request_id": ["R1", "R2", "R8", None, "R3"],
        "sensitivity": ["x", "health.sensitive.genetic", None, "x", "x"],
    },
    "comment": {"request_id": ["R1", None, "R7"], "result_id": [None, "S1", None]},
}


@pytest.mark.parametrize("entity", sorted(BATCHES))
def test_check_counts_equal_the_conditions_row_by_row(plan, con, entity):
    ep = plan.entities[entity]
    checks = [c for c in ep.conditions if c.in_stream]
    assert any(c.member for c in checks), "the entity has a membership condition"
    con.register(BATCH, pa.table(BATCHES[entity]))
    got = con.execute(plan.check_sql(entity, BATCH)).fetchone()
    expected = tuple(
        con.execute(
            f"SELECT count(*) FILTER (WHERE NOT COALESCE(({c.sql}), FALSE)) FROM {BATCH} x"
        ).fetchone()[0]
        for c in checks
    )
    assert got == expected
    assert got[0] > 0  # the batches hold rows outside the scope, NULLs among them
