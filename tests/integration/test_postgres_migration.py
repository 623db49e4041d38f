"""Migrations through a real PostgreSQL server: as the target, and as the source."""

from __future__ import annotations

import pytest

from ariane.connectors import duck
from ariane.connectors.targets import open_target
from ariane.demo.generator import generate
from ariane.demo.run import RECIPIENT_KEY, SENDER_KEY
from ariane.engine import procedure
from ariane.errors import ReconcileError
from flows import OP, RCPT, RECIPIENT_PASS, SENDER_PASS, approved, at, new_workspace, write_manifest

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def small_lab(tmp_path_factory):
    from flows import TODAY

    path = tmp_path_factory.mktemp("pglab") / "lis.db"
    generate(path, 600, seed=11, today=TODAY)
    return path


@pytest.fixture(scope="module")
def pg_keys(tmp_path_factory):
    from flows import make_keys

    return make_keys(tmp_path_factory.mktemp("pgkeys") / "ws")


def test_load_into_postgresql_reconciles_and_detects_tampering(small_lab, pg_keys, pg_db, tmp_path):
    ws = new_workspace(tmp_path / "ws", pg_keys)
    write_manifest(ws, tmp_path / "m.yaml")
    mid = approved(ws, tmp_path / "m.yaml", small_lab)
    result = procedure.extract(ws, mid, str(small_lab), OP, SENDER_PASS, at(3))
    sender = ws.keys.public(SENDER_KEY)
    loaded = procedure.load(
        ws,
        result.package,
        open_target(pg_db),
        RCPT,
        RECIPIENT_KEY,
        RECIPIENT_PASS,
        sender,
        at(4),
    )
    assert loaded["result"] == result.counts["result"]["transferred"] > 0
    report = procedure.reconcile(ws, result.package, open_target(pg_db), RCPT, sender, at(5))
    assert report["ok"]

    # Someone edits one value in the target: reconciliation must notice, and name the field only.
    con = duck.connect()
    duck.load_postgres(con)
    con.execute(f"ATTACH {duck.quote_literal(pg_db)} AS t (TYPE postgres)")
    con.execute(
        "UPDATE t.public.result SET unit = 'mg/dL' WHERE result_id = "
        "(SELECT min(result_id) FROM t.public.result)"
    )
    con.execute(
        "UPDATE t.public.patient SET nir = '123' WHERE patient_id = "
        "(SELECT min(patient_id) FROM t.public.patient)"
    )
    con.close()
    with pytest.raises(ReconcileError) as info:
        procedure.reconcile(ws, result.package, open_target(pg_db), RCPT, sender, at(6))
    assert "unit" in info.value.message
    assert "nir" in info.value.message  # a column the package never filled
    assert "mg/dL" not in info.value.message


def test_postgresql_source_gives_the_same_scope(small_lab, pg_keys, pg_db, tmp_path):
    con = duck.connect()
    duck.load_sqlite(con)
    duck.load_postgres(con)
    con.execute(f"ATTACH {duck.quote_literal(str(small_lab))} AS s (TYPE sqlite, READ_ONLY)")
    con.execute(f"ATTACH {duck.quote_literal(pg_db)} AS p (TYPE postgres)")
    for (table,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 's'"
    ).fetchall():
        con.execute(f'CREATE TABLE p.public."{table}" AS SELECT * FROM s.main."{table}"')
    con.close()
    ws = new_workspace(tmp_path / "ws", pg_keys)
    write_manifest(ws, tmp_path / "m.yaml")
    mid = approved(ws, tmp_path / "m.yaml", small_lab)
    from_sqlite = procedure.dry_run(ws, mid, str(small_lab), OP, at(3))["counts"]
    from_pg = procedure.dry_run(ws, mid, pg_db, OP, at(4))["counts"]
    assert from_pg == from_sqlite
    assert from_pg["result"]["transferred"] > 0
