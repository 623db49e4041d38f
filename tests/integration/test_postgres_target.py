"""SqlTarget against a real PostgreSQL server (started by the session, see tests/pgserver.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pyarrow as pa
import pytest

from ariane.connectors.sql_target import SqlTarget
from ariane.errors import TargetError
from ariane.model.entities import ENTITIES, ORDER

# The backend-independent contract lives with the SQLite tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "connectors"))
from test_sql_target import SqlTargetContract, random_table

pytestmark = pytest.mark.postgres


class TestPostgresTarget(SqlTargetContract):
    stores_nan = True
    stores_nul = False

    @pytest.fixture
    def target(self, pg_db: str) -> Iterator[SqlTarget]:
        with SqlTarget.from_url(pg_db) as t:
            yield t


def _password(url: str) -> str:
    return url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]


def test_pg_url_is_a_password_protected_libpq_url(pg_url: str) -> None:
    with psycopg.connect(pg_url) as con:
        assert con.execute("SELECT current_user").fetchone() == ("ariane",)
    wrong = pg_url.replace(_password(pg_url), "not-the-password")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong)


def test_tables_and_types_in_the_catalog(pg_db: str) -> None:
    with SqlTarget.from_url(pg_db) as target:
        target.create_schema()
    with psycopg.connect(pg_db) as con:
        types = dict(
            con.execute(
                "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = 'public'"
            ).fetchall()
        )
        constraints = con.execute(
            "SELECT table_name, constraint_type FROM information_schema.table_constraints"
            " WHERE table_schema = 'public' AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')"
        ).fetchall()
    assert types["request.collected_at"] == "timestamp without time zone"
    assert types["result.value_num"] == "double precision"
    assert types["patient.birth_date"] == "date"
    assert types["comment.text"] == "text"
    assert len(types) == sum(len(e.fields) for e in ENTITIES.values())
    assert sorted(constraints) == sorted((name, "PRIMARY KEY") for name in ORDER)


def test_wrong_password_is_not_echoed(pg_url: str) -> None:
    secret = "Wr0ng-But-Secret"
    url = pg_url.replace(_password(pg_url), secret)
    target = SqlTarget.from_url(url)
    with pytest.raises(TargetError, match="password authentication failed") as err:
        target.count("patient")
    assert secret not in str(err.value)
    assert _password(pg_url) not in str(err.value)
    assert "ariane:***@" in str(err.value)


def test_unreachable_server(pg_url: str) -> None:
    url = f"postgresql://ariane:{_password(pg_url)}@127.0.0.1:1/ariane"  # nothing listens on 1
    with pytest.raises(TargetError, match="cannot open") as err:
        SqlTarget.from_url(url).create_schema()
    assert _password(pg_url) not in str(err.value)


def test_duplicate_key_message_has_no_value(pg_db: str) -> None:
    # PostgreSQL's DETAIL line quotes the key ("Key (patient_id)=(…) already exists").
    ent = ENTITIES["patient"]
    table = pa.table(
        {"patient_id": ["NIR-1850575123456"], "family_name": ["Dupont"]},
        schema=ent.schema(["patient_id", "family_name"]),
    )
    with SqlTarget.from_url(pg_db) as target:
        target.create_schema()
        target.load("patient", table.schema, table.to_batches())
        with pytest.raises(TargetError) as err:
            target.load("patient", table.schema, table.to_batches())
    text = str(err.value)
    assert "1850575123456" not in text and "Dupont" not in text
    assert "primary key patient.patient_id" in text


def test_table_missing_after_schema_dropped(pg_db: str) -> None:
    with SqlTarget.from_url(pg_db) as target:
        ent = ENTITIES["practitioner"]
        table = random_table(ent, 3, seed=1)
        with pytest.raises(TargetError, match="practitioner"):
            target.load("practitioner", table.schema, table.to_batches())


def test_two_targets_on_one_database(pg_db: str) -> None:
    # A load is one transaction: a second session sees all of it or nothing.
    ent = ENTITIES["comment"]
    table = random_table(ent, 1000, seed=2)
    with SqlTarget.from_url(pg_db) as writer, SqlTarget.from_url(pg_db) as reader:
        writer.create_schema()
        assert reader.count("comment") == 0
        writer.load("comment", table.schema, table.to_batches(max_chunksize=100))
        assert reader.count("comment") == 1000


def _primary_keys(url: str) -> set[str]:
    with psycopg.connect(url) as con:
        rows = con.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'p' AND conrelid::regclass::text"
            " IN ('patient', 'practitioner', 'request', 'result', 'comment')"
        ).fetchall()
    return {r[0] for r in rows}


def test_bulk_load_builds_the_primary_key_after_the_rows_and_keeps_it(pg_db: str) -> None:
    """Into an empty table the key is dropped and rebuilt in the load's transaction: it is
    there afterwards, whether the load succeeded or failed, and it refuses later duplicates."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "connectors"))
    from test_sql_target import parts

    ent = ENTITIES["result"]
    table = random_table(ent, 300, seed=21)
    with SqlTarget.from_url(pg_db) as target:
        target.create_schema()
        keys = _primary_keys(pg_db)
        assert "result_pkey" in keys
        doubled = pa.concat_tables([table, table.slice(10, 1)])
        with pytest.raises(TargetError, match=r"primary key result\.result_id") as err:
            target.load_parts("result", doubled.schema, parts(doubled, 100))
        # PostgreSQL's own message quotes the repeated key: it must not come through.
        assert table.column("result_id")[10].as_py() not in str(err.value)
        assert _primary_keys(pg_db) == keys and target.count("result") == 0
        assert target.load_parts("result", table.schema, parts(table, 100)) == 300
        assert _primary_keys(pg_db) == keys
        # Not empty any more: the key stays in place and refuses a repeated one.
        with pytest.raises(TargetError, match=r"primary key result\.result_id"):
            target.load_parts("result", table.schema, parts(table.slice(0, 5), 100))
        assert target.count("result") == 300


def test_a_role_that_cannot_create_tables_loads_in_one_transaction(pg_server, pg_db: str) -> None:
    """Checkpoints need a table in the target; a loading role without CREATE still loads, one
    transaction per entity, as a load without checkpoints would."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "connectors"))
    from test_sql_target import parts

    name = pg_db.rsplit("/", 1)[1].split("?", 1)[0]
    with SqlTarget.from_url(pg_db) as owner:
        owner.create_schema()
    password = "loader-only-" + name
    with psycopg.connect(pg_server.superuser_url(name), autocommit=True) as con:
        con.execute(f"CREATE ROLE loader_{name} LOGIN PASSWORD '{password}'")
        con.execute(f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, loader_{name}")
        con.execute(f"GRANT USAGE ON SCHEMA public TO loader_{name}")
        con.execute(f"GRANT SELECT, INSERT, DELETE ON ALL TABLES IN SCHEMA public TO loader_{name}")
    url = pg_db.replace(pg_db.split("://", 1)[1].split("@", 1)[0], f"loader_{name}:{password}")
    table = random_table(ENTITIES["request"], 120, seed=31)
    try:
        with SqlTarget.from_url(url) as loader:
            assert loader.load_parts("request", table.schema, parts(table, 50), "run-1") == 120
            assert loader.parts_loaded("run-1", "request") == 0  # nothing was checkpointed
            assert loader.count("request") == 120
    finally:
        with psycopg.connect(pg_server.superuser_url(name), autocommit=True) as con:
            con.execute(f"REASSIGN OWNED BY loader_{name} TO CURRENT_USER")
            con.execute(f"DROP OWNED BY loader_{name}")
            con.execute(f"DROP ROLE loader_{name}")
