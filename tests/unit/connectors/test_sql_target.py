"""SqlTarget on SQLite, plus the backend-independent contract that PostgreSQL also runs.

`SqlTargetContract` is imported by tests/integration/test_postgres_target.py; its name does not
start with "Test" so that it is collected only through its subclasses.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ariane.connectors.sql_target import SqlTarget
from ariane.errors import IntegrityError, TargetError, UsageError
from ariane.model.entities import DATE, ENTITIES, FLOAT, ORDER, STRING, TIMESTAMP, Entity

# -- random canonical data -------------------------------------------------------------------------

TRICKY = [
    "é à ç ü œ Æ ß",
    "O'Brien",
    'dit "bonjour"',
    "ligne 1\nligne 2",
    "crlf\r\nend",
    "tab\there",
    "",
    " ",
    "back\\slash",
    "comma,semi;colon|pipe",
    "🧪 émoji",
    "NULL",
    "--; DROP TABLE patient;",
    "x" * 5000,
    "Ω≈ç√∫",
]
EXTREME_FLOATS = [
    1.7976931348623157e308,
    -1.7976931348623157e308,
    5e-324,
    2.2250738585072014e-308,
    math.inf,
    -math.inf,
    0.0,
    1 / 3,
    0.1,
    -1e-300,
    123456789.123456789,
]
EXTREME_DATES = [
    dt.date(1, 1, 1),
    dt.date(1899, 12, 31),
    dt.date(1969, 12, 31),
    dt.date(9999, 12, 31),
]
EXTREME_TIMESTAMPS = [
    dt.datetime(1, 1, 1, 0, 0, 0, 1),
    dt.datetime(1900, 2, 28, 23, 59, 59, 999999),
    dt.datetime(1969, 12, 31, 23, 59, 59, 999999),
    dt.datetime(1970, 1, 1),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
]


def _value(rng: random.Random, typ: pa.DataType) -> object:
    extreme = rng.random() < 0.2
    if typ == STRING:
        return rng.choice(TRICKY) if extreme else "".join(rng.choices("abcdéèxyz 0123'\"\n", k=12))
    if typ == FLOAT:
        return rng.choice(EXTREME_FLOATS) if extreme else rng.uniform(-1e6, 1e6)
    if typ == DATE:
        if extreme:
            return rng.choice(EXTREME_DATES)
        return dt.date(1850, 1, 1) + dt.timedelta(days=rng.randrange(80_000))
    if typ == TIMESTAMP:
        if extreme:
            return rng.choice(EXTREME_TIMESTAMPS)
        return dt.datetime(1930, 1, 1) + dt.timedelta(microseconds=rng.randrange(3 * 10**15))
    raise AssertionError(typ)


def random_table(
    ent: Entity, rows: int, seed: int, columns: list[str] | None = None, start: int = 0
) -> pa.Table:
    """Rows with unique keys (themselves tricky strings) and ~20% NULLs elsewhere."""
    rng = random.Random(f"{ent.name}-{seed}")
    schema = ent.schema(columns)
    data: dict[str, list[object]] = {}
    for f in schema:
        if f.name == ent.key:
            data[f.name] = [
                f"{ent.name}-{start + i}-{rng.choice(TRICKY)[:20]}" for i in range(rows)
            ]
        else:
            data[f.name] = [
                None if rng.random() < 0.2 else _value(rng, f.type) for _ in range(rows)
            ]
    return pa.table(data, schema=schema)


def parts(table: pa.Table, rows: int) -> list[tuple[int, bytes]]:
    """The table as package parts: (rows, Parquet bytes), at most `rows` rows each."""
    out = []
    for start in range(0, max(table.num_rows, 1), rows):
        chunk = table.slice(start, rows)
        sink = pa.BufferOutputStream()
        pq.write_table(chunk, sink, compression="zstd")
        out.append((chunk.num_rows, sink.getvalue().to_pybytes()))
    return out


def sorted_by_key(table: pa.Table, ent: Entity) -> pa.Table:
    return table.sort_by(ent.key)


class _Died(BaseException):
    """Stands for the process dying in the middle of a load: no handler may clean up."""


def _has_checkpoints(target: SqlTarget) -> bool:
    """Whether the target still holds a load-checkpoint table."""
    import duckdb

    from ariane.connectors.sql_checkpoint import TABLE

    con = target._connection()
    prefix = target._table(TABLE)
    try:
        con.execute(f"SELECT count(*) FROM {prefix}").fetchone()
    except duckdb.CatalogException:
        return False
    return True


# -- the contract ---------------------------------------------------------------------------------


class SqlTargetContract:
    """What every SQL backend must do. Subclasses provide the `target` fixture."""

    stores_nan: bool  # PostgreSQL: yes; SQLite would turn NaN into NULL, so the load refuses
    stores_nul: bool  # SQLite: yes; PostgreSQL text cannot hold U+0000, so the load refuses

    def test_create_schema_is_idempotent(self, target: SqlTarget) -> None:
        target.create_schema()
        ent = ENTITIES["patient"]
        table = random_table(ent, 10, seed=1)
        target.load("patient", table.schema, table.to_batches())
        target.create_schema()
        for name in ORDER:
            assert target.count(name) == (10 if name == "patient" else 0)

    @pytest.mark.parametrize("name", ORDER)
    def test_round_trip_is_exact(self, target: SqlTarget, name: str) -> None:
        target.create_schema()
        ent = ENTITIES[name]
        table = random_table(ent, 400, seed=2)
        # Several batches, as a package part delivers them.
        assert target.load(name, table.schema, table.to_batches(max_chunksize=64)) == 400
        back = target.read_back(name, list(ent.field_names))
        assert back.schema == ent.schema()
        assert sorted_by_key(back, ent).equals(sorted_by_key(table, ent))
        assert target.count(name) == 400

    def test_load_appends_across_calls(self, target: SqlTarget) -> None:
        target.create_schema()
        ent = ENTITIES["comment"]
        first = random_table(ent, 50, seed=3)
        second = random_table(ent, 70, seed=4, start=50)
        target.load("comment", first.schema, first.to_batches())
        target.load("comment", second.schema, second.to_batches())
        back = target.read_back("comment", list(ent.field_names))
        assert sorted_by_key(back, ent).equals(
            sorted_by_key(pa.concat_tables([first, second]), ent)
        )

    def test_subset_of_columns_leaves_others_null(self, target: SqlTarget) -> None:
        target.create_schema()
        ent = ENTITIES["result"]
        cols = ["value_num", "result_id", "validated_at"]  # not in canonical order on purpose
        table = random_table(ent, 100, seed=5, columns=cols)
        assert target.load("result", table.schema, table.to_batches()) == 100
        assert target.non_null_columns("result") == ["result_id", "value_num", "validated_at"]
        back = target.read_back("result", cols)
        assert sorted_by_key(back, ent).equals(sorted_by_key(table, ent))
        everything = target.read_back("result", None)
        for other in set(ent.field_names) - set(cols):
            assert everything.column(other).null_count == 100

    def test_non_null_columns(self, target: SqlTarget) -> None:
        target.create_schema()
        assert target.non_null_columns("practitioner") == []
        ent = ENTITIES["practitioner"]
        table = pa.table(
            {"practitioner_id": ["p1", "p2"], "rpps": [None, "10001"], "specialty": [None, None]},
            schema=ent.schema(["practitioner_id", "rpps", "specialty"]),
        )
        target.load("practitioner", table.schema, table.to_batches())
        assert target.non_null_columns("practitioner") == ["practitioner_id", "rpps"]
        counts = target.non_null_counts("practitioner")
        assert counts == {
            "practitioner_id": 2,
            "family_name": 0,
            "given_name": 0,
            "rpps": 1,
            "specialty": 0,
        }

    def test_duplicate_key_from_earlier_load_changes_nothing(self, target: SqlTarget) -> None:
        target.create_schema()
        ent = ENTITIES["request"]
        first = random_table(ent, 30, seed=6)
        target.load("request", first.schema, first.to_batches())
        before = sorted_by_key(target.read_back("request", list(ent.field_names)), ent)
        # New rows first, the repeated key last: the new rows must not remain either.
        again = pa.concat_tables([random_table(ent, 20, seed=7, start=30), first.slice(29, 1)])
        with pytest.raises(TargetError) as err:
            target.load("request", again.schema, again.to_batches(max_chunksize=8))
        assert "primary key request.request_id" in err.value.message
        assert first.column("request_id")[29].as_py() not in err.value.message
        after = sorted_by_key(target.read_back("request", list(ent.field_names)), ent)
        assert after.equals(before)

    def test_duplicate_key_within_one_load_changes_nothing(self, target: SqlTarget) -> None:
        target.create_schema()
        ent = ENTITIES["patient"]
        table = pa.table(
            {"patient_id": ["SECRET-1", "other", "SECRET-1"], "family_name": ["A", "B", "C"]},
            schema=ent.schema(["patient_id", "family_name"]),
        )
        with pytest.raises(TargetError) as err:
            target.load("patient", table.schema, table.to_batches())
        assert "SECRET" not in str(err.value)
        assert target.count("patient") == 0

    def test_failing_input_rolls_back_and_reraises(self, target: SqlTarget) -> None:
        target.create_schema()
        ent = ENTITIES["result"]
        table = random_table(ent, 300, seed=8)

        def tampered() -> Iterator[pa.RecordBatch]:
            yield from table.slice(0, 200).to_batches(max_chunksize=50)
            raise IntegrityError("part result-0001: ciphertext digest mismatch")

        with pytest.raises(IntegrityError, match="digest mismatch"):
            target.load("result", table.schema, tampered())
        assert target.count("result") == 0

    def test_a_failed_load_leaves_the_target_usable(self, target: SqlTarget) -> None:
        target.create_schema()
        ent = ENTITIES["patient"]
        table = random_table(ent, 5, seed=9)
        target.load("patient", table.schema, table.to_batches())
        with pytest.raises(TargetError):
            target.load("patient", table.schema, table.to_batches())
        more = random_table(ent, 5, seed=10, start=5)
        assert target.load("patient", more.schema, more.to_batches()) == 5
        assert target.count("patient") == 10

    def test_empty_load(self, target: SqlTarget) -> None:
        target.create_schema()
        schema = ENTITIES["comment"].schema()
        assert target.load("comment", schema, []) == 0
        assert target.read_back("comment", None).num_rows == 0

    def test_nan(self, target: SqlTarget) -> None:
        target.create_schema()
        ent = ENTITIES["result"]
        schema = ent.schema(["result_id", "value_num", "ref_low"])
        table = pa.table(
            {"result_id": ["r1", "r2"], "value_num": [1.0, math.nan], "ref_low": [-0.0, None]},
            schema=schema,
        )
        if not self.stores_nan:
            with pytest.raises(TargetError, match="value_num holds 1 NaN"):
                target.load("result", schema, table.to_batches())
            assert target.count("result") == 0
            return
        target.load("result", schema, table.to_batches())
        back = target.read_back("result", ["result_id", "value_num", "ref_low"]).sort_by(
            "result_id"
        )
        assert math.isnan(back.column("value_num")[1].as_py())
        assert math.copysign(1.0, back.column("ref_low")[0].as_py()) == -1.0  # -0.0 kept

    def test_nul_character(self, target: SqlTarget) -> None:
        target.create_schema()
        ent = ENTITIES["comment"]
        schema = ent.schema(["comment_id", "text"])
        table = pa.table({"comment_id": ["c1", "c2"], "text": ["ok", "a\x00b"]}, schema=schema)
        if not self.stores_nul:
            with pytest.raises(TargetError, match="text holds 1 value"):
                target.load("comment", schema, table.to_batches())
            assert target.count("comment") == 0
            return
        target.load("comment", schema, table.to_batches())
        assert (
            target.read_back("comment", ["comment_id", "text"]).sort_by("comment_id").equals(table)
        )

    # -- the bulk path: whole Parquet parts, read by DuckDB from memory ---------------------

    @pytest.mark.parametrize("run", [None, "run-1"])
    @pytest.mark.parametrize("name", ORDER)
    def test_parts_round_trip_is_exact(self, target: SqlTarget, name: str, run: str | None) -> None:
        target.create_schema()
        ent = ENTITIES[name]
        table = random_table(ent, 400, seed=12)
        assert target.load_parts(name, table.schema, parts(table, 150), run) == 400
        assert not _has_checkpoints(target)
        back = target.read_back(name, list(ent.field_names))
        assert sorted_by_key(back, ent).equals(sorted_by_key(table, ent))

    @pytest.mark.parametrize("run", [None, "run-1"])
    def test_parts_duplicate_key_rolls_back_every_part(
        self, target: SqlTarget, run: str | None
    ) -> None:
        target.create_schema()
        ent = ENTITIES["request"]
        table = random_table(ent, 60, seed=13)
        again = pa.concat_tables([table, table.slice(0, 1)])  # the clash is in the last part
        with pytest.raises(TargetError, match=r"primary key request\.request_id"):
            target.load_parts("request", again.schema, parts(again, 25), run)
        assert target.count("request") == 0
        assert not _has_checkpoints(target)

    @pytest.mark.parametrize("run", [None, "run-1"])
    def test_parts_failing_input_rolls_back_and_reraises(
        self, target: SqlTarget, run: str | None
    ) -> None:
        target.create_schema()
        table = random_table(ENTITIES["result"], 100, seed=14)

        def tampered() -> Iterator[tuple[int, bytes]]:
            yield from parts(table.slice(0, 50), 50)
            raise IntegrityError("part result-00001: ciphertext digest mismatch")

        with pytest.raises(IntegrityError, match="digest mismatch"):
            target.load_parts("result", table.schema, tampered(), run)
        assert target.count("result") == 0
        assert not _has_checkpoints(target)

    @pytest.mark.parametrize("run", [None, "run-1"])
    def test_parts_check_values_like_batches(self, target: SqlTarget, run: str | None) -> None:
        target.create_schema()
        res = ENTITIES["result"].schema(["result_id", "value_num"])
        nan = pa.table({"result_id": ["r1", "r2"], "value_num": [1.0, math.nan]}, schema=res)
        com = ENTITIES["comment"].schema(["comment_id", "text"])
        nul = pa.table({"comment_id": ["c1", "c2"], "text": ["ok", "a\x00b"]}, schema=com)
        for name, table, stores, message in [
            ("result", nan, self.stores_nan, "value_num holds 1 NaN"),
            ("comment", nul, self.stores_nul, "text holds 1 value"),
        ]:
            if stores:
                assert target.load_parts(name, table.schema, parts(table, 10), run) == 2
            else:
                with pytest.raises(TargetError, match=message):
                    target.load_parts(name, table.schema, parts(table, 10), run)
                assert target.count(name) == 0

    @pytest.mark.parametrize("run", [None, "run-1"])
    def test_parts_empty(self, target: SqlTarget, run: str | None) -> None:
        target.create_schema()
        table = random_table(ENTITIES["comment"], 0, seed=15)
        assert target.load_parts("comment", table.schema, parts(table, 10), run) == 0

    # -- checkpointed loads: one transaction per part, resumed after the last one ------------

    def _interrupted(self, target: SqlTarget, table: pa.Table, after: int) -> None:
        def dying() -> Iterator[tuple[int, bytes]]:
            yield from parts(table, 25)[:after]
            raise _Died()

        with pytest.raises(_Died):
            target.load_parts("result", table.schema, dying(), "run-1")

    def test_an_interrupted_load_resumes_after_its_last_committed_part(
        self, target: SqlTarget
    ) -> None:
        target.create_schema()
        ent = ENTITIES["result"]
        table = random_table(ent, 100, seed=16)
        self._interrupted(target, table, 2)
        assert target.count("result") == 50  # two parts committed, with their checkpoints
        assert target.parts_loaded("run-1", "result") == 2
        assert target.parts_loaded("run-2", "result") == 0  # another load knows nothing of it
        target.create_schema()  # a resumed load checks the schema again: it must still pass
        assert target.load_parts("result", table.schema, parts(table, 25)[2:], "run-1") == 100
        back = target.read_back("result", list(ent.field_names))
        assert sorted_by_key(back, ent).equals(sorted_by_key(table, ent))
        assert not _has_checkpoints(target)
        with pytest.raises(TargetError, match="primary key"):  # the key is in place again
            target.load("result", table.schema, table.slice(0, 1).to_batches())

    def test_a_duplicate_after_a_resume_still_leaves_nothing(self, target: SqlTarget) -> None:
        target.create_schema()
        table = random_table(ENTITIES["result"], 100, seed=17)
        self._interrupted(target, table, 2)
        again = pa.concat_tables([table.slice(50), table.slice(0, 1)])
        with pytest.raises(TargetError, match="primary key"):
            target.load_parts("result", again.schema, parts(again, 25), "run-1")
        assert target.count("result") == 0 and not _has_checkpoints(target)
        assert target.load_parts("result", table.schema, parts(table, 25), "run-1") == 100

    def test_an_undo_that_fails_keeps_the_checkpoints(
        self, target: SqlTarget, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import duckdb

        from ariane.connectors.sql_checkpoint import Checkpoints

        target.create_schema()
        table = random_table(ENTITIES["result"], 100, seed=20)
        again = pa.concat_tables([table, table.slice(0, 1)])  # the clash is in the last part

        def failing(self: Checkpoints, run: str, entity: str) -> None:
            raise duckdb.IOException("the server went away")

        with monkeypatch.context() as m:
            m.setattr(Checkpoints, "clear", failing)
            with pytest.raises(TargetError, match="checkpoints are intact"):
                target.load_parts("result", again.schema, parts(again, 25), "run-1")
        # Nothing half-undone: the committed parts and their checkpoints agree (SQLite meets the
        # repeated key in the last part, PostgreSQL when it rebuilds the key after all five).
        done = target.parts_loaded("run-1", "result")
        assert done in (4, 5)
        assert target.count("result") == sum(rows for rows, _ in parts(again, 25)[:done])
        with pytest.raises(TargetError, match="primary key"):  # carried on: the clash again
            target.load_parts("result", again.schema, parts(again, 25)[done:], "run-1")
        assert target.count("result") == 0 and not _has_checkpoints(target)

    def test_altered_checkpoints_are_refused(self, target: SqlTarget) -> None:
        from ariane.connectors.sql_checkpoint import TABLE

        target.create_schema()
        table = random_table(ENTITIES["result"], 100, seed=22)
        self._interrupted(target, table, 2)
        target._connection().execute(f"DELETE FROM {target._table(TABLE)} WHERE part = 0")
        with pytest.raises(TargetError, match=r"checkpoints of result .* are unreadable"):
            target.parts_loaded("run-1", "result")
        with pytest.raises(TargetError, match="unreadable"):
            target.load_parts("result", table.schema, parts(table, 25)[1:], "run-1")

    def test_a_table_changed_since_the_interruption_is_refused(self, target: SqlTarget) -> None:
        target.create_schema()
        table = random_table(ENTITIES["result"], 100, seed=18)
        self._interrupted(target, table, 2)
        con = target._connection()
        con.execute(
            f"DELETE FROM {target._table('result')} WHERE result_id IN "
            "(SELECT result_id FROM " + target._table("result") + " LIMIT 3)"
        )
        with pytest.raises(TargetError, match="changed since the interrupted load"):
            target.load_parts("result", table.schema, parts(table, 25)[2:], "run-1")

    def test_a_table_with_rows_is_loaded_in_one_transaction(self, target: SqlTarget) -> None:
        target.create_schema()
        table = random_table(ENTITIES["result"], 100, seed=19)
        assert target.load_parts("result", table.schema, parts(table.slice(0, 10), 25)) == 10
        rest = pa.concat_tables([table.slice(10), table.slice(0, 1)])  # clash in the last part
        with pytest.raises(TargetError, match="primary key"):
            target.load_parts("result", rest.schema, parts(rest, 25), "run-1")
        assert target.count("result") == 10  # the rows that were there, and only them
        assert target.parts_loaded("run-1", "result") == 0

    @pytest.mark.parametrize(
        ("columns", "message"),
        [
            ({"patient_id": STRING, "shoe_size": STRING}, "no canonical column 'shoe_size'"),
            ({"patient_id": STRING, "birth_date": TIMESTAMP}, "birth_date is timestamp"),
            ({"family_name": STRING}, "key column patient_id is missing"),
            ({"patient_id": pa.large_string()}, "patient_id is large_string"),
        ],
    )
    def test_load_refuses_non_canonical_schemas(
        self, target: SqlTarget, columns: dict[str, pa.DataType], message: str
    ) -> None:
        target.create_schema()
        schema = pa.schema(list(columns.items()))
        with pytest.raises(TargetError, match=message):
            target.load("patient", schema, [])

    def test_batches_must_match_the_declared_schema(self, target: SqlTarget) -> None:
        target.create_schema()
        ent = ENTITIES["patient"]
        declared = ent.schema(["patient_id", "sex"])
        other = random_table(ent, 3, seed=11, columns=["patient_id", "city"])
        with pytest.raises(TargetError, match="differ from the declared schema"):
            target.load("patient", declared, other.to_batches())
        assert target.count("patient") == 0

    def test_unknown_entity(self, target: SqlTarget) -> None:
        with pytest.raises(TargetError, match="unknown entity 'invoice'"):
            target.count("invoice")

    def test_iter_batches_streams(self, target: SqlTarget) -> None:
        target.create_schema()
        ent = ENTITIES["practitioner"]
        table = random_table(ent, 100, seed=12)
        target.load("practitioner", table.schema, table.to_batches())
        batches = list(target.iter_batches("practitioner", ["practitioner_id"], batch_rows=2048))
        assert sum(b.num_rows for b in batches) == 100
        assert all(b.schema == ent.schema(["practitioner_id"]) for b in batches)


# -- SQLite --------------------------------------------------------------------------------------


class TestSqliteTarget(SqlTargetContract):
    stores_nan = False
    stores_nul = True

    @pytest.fixture
    def target(self, tmp_path: Path) -> Iterator[SqlTarget]:
        with SqlTarget.from_url(f"sqlite://{tmp_path}/target.db") as t:
            yield t


def test_sqlite_file_is_private_and_dates_are_iso_text(tmp_path: Path) -> None:
    path = tmp_path / "lab.db"
    with SqlTarget.from_url(f"sqlite:///{path}") as target:
        target.create_schema()
        ent = ENTITIES["request"]
        table = pa.table(
            {
                "request_id": ["q1"],
                "collected_at": pa.array([dt.datetime(1969, 7, 20, 20, 17, 40, 5)], TIMESTAMP),
            },
            schema=ent.schema(["request_id", "collected_at"]),
        )
        target.load("request", table.schema, table.to_batches())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with sqlite3.connect(path) as con:
        # The format Python's sqlite3 and most SQLite tools read as a timestamp.
        row = con.execute("SELECT collected_at, typeof(collected_at) FROM request").fetchone()
    assert row == ("1969-07-20 20:17:40.000005", "text")


def test_sqlite_relative_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    target = SqlTarget.from_url("sqlite:sub/t.db")
    assert target.describe() == f"sqlite://{tmp_path}/sub/t.db"
    target.create_schema()
    target.close()
    assert (tmp_path / "sub" / "t.db").is_file()


def test_sqlite_missing_file_is_not_created_by_reading(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    target = SqlTarget.from_url(f"sqlite://{path}")
    with pytest.raises(TargetError, match="does not exist: create its schema first"):
        target.count("patient")
    assert not path.exists()


def test_sqlite_foreign_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE patient (patient_id TEXT PRIMARY KEY, birth_date TEXT)")
    with (
        SqlTarget.from_url(f"sqlite://{path}") as target,
        pytest.raises(TargetError, match="has no column family_name"),
    ):
        target.create_schema()


def test_sqlite_table_without_primary_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nokey.db"
    ddl = SqlTarget.from_url(f"sqlite://{path}").ddl()
    with sqlite3.connect(path) as con:
        con.executescript(ddl.replace(" NOT NULL PRIMARY KEY", ""))
    with (
        SqlTarget.from_url(f"sqlite://{path}") as target,
        pytest.raises(TargetError, match="lacks the primary key"),
    ):
        target.create_schema()


def test_sqlite_signed_zero_is_lost() -> None:
    # Documented SQLite behaviour (integral REALs are stored as integers): -0.0 reads back 0.0.
    # Equal as numbers, and pa.Table.equals agrees; only the sign bit differs.
    with sqlite3.connect(":memory:") as con:
        con.execute("CREATE TABLE t (x REAL)")
        con.execute("INSERT INTO t VALUES (?)", (-0.0,))
        (value,) = con.execute("SELECT x FROM t").fetchone()
    assert value == 0.0


# -- DDL -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "float_type", "timestamp_type"),
    [
        ("sqlite:///tmp/x.db", "REAL", "TIMESTAMP"),
        ("postgresql://u@h/db", "DOUBLE PRECISION", "TIMESTAMP WITHOUT TIME ZONE"),
    ],
)
def test_ddl(url: str, float_type: str, timestamp_type: str) -> None:
    target = SqlTarget.from_url(url)
    ddl = target.ddl()
    assert ddl.count("CREATE TABLE IF NOT EXISTS") == 5
    assert ddl.count("NOT NULL PRIMARY KEY") == 5
    assert "REFERENCES" not in ddl and "FOREIGN" not in ddl
    assert f'"value_num" {float_type},' in ddl
    assert f'"validated_at" {timestamp_type},' in ddl
    assert '"birth_date" DATE,' in ddl
    for ent in ENTITIES.values():
        assert f'"{ent.name}" (' in ddl
        for f in ent.fields:
            assert f'"{f.name}"' in ddl
    target.close()


# -- URLs ------------------------------------------------------------------------------------------

PASSWORD = "s3cr3t-Pa55"


@pytest.mark.parametrize(
    ("url", "described"),
    [
        (
            f"postgresql://lab:{PASSWORD}@db.example:5433/lis",
            "postgresql://lab:***@db.example:5433/lis",
        ),
        (
            "postgres://lab@127.0.0.1/lis?sslmode=require",
            "postgresql://lab@127.0.0.1/lis?sslmode=require",
        ),
        ("postgresql://lab:p%40ss@[::1]:5432/lis", "postgresql://lab:***@[::1]:5432/lis"),
        (
            f"postgresql:///lis?host=/run/pg&password={PASSWORD}",
            "postgresql://:***@%2Frun%2Fpg/lis",
        ),
        ("postgresql://lab:x@h1:5432,h2:5433/lis", "postgresql://lab:***@h1:5432,h2:5433/lis"),
        ("sqlite:////tmp/a.db", "sqlite:///tmp/a.db"),
    ],
)
def test_describe_masks_passwords(url: str, described: str) -> None:
    target = SqlTarget.from_url(url)
    assert target.describe() == described
    assert PASSWORD not in repr(target)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (f"mysql://u:{PASSWORD}@h/db", "unsupported SQL target scheme 'mysql'"),
        (f"postgresql://u:{PASSWORD}@h:99999/db", "port must be a number"),
        (f"postgresql://u:{PASSWORD}@h:port/db", "port must be a number"),
        (f"postgresql://u:{PASSWORD}@h/", "must name the database"),
        (f"postgresql://u:{PASSWORD}@h/db?bogus=1", "not a valid libpq connection URL"),
        (f"postgresql://u:{PASSWORD}@h/db?password={PASSWORD}%zz", "not a valid libpq"),
        (f"postgresql://u:{PASSWORD}@wrong@h/db", "as %40"),
        (f"postgresql://u:{PASSWORD}@h/db#frag", "no #fragment"),
        ("sqlite://host/a.db", "names a file, not a host"),
        ("sqlite:", "must name a database file"),
        ("sqlite:///no/such/dir/a.db", "directory of the sqlite target does not exist"),
        ("sqlite:///tmp", "is a directory"),
        ("sqlite:///tmp/a.db?mode=ro", r"no \?query"),
        (PASSWORD, "not a SQL target URL"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as err:
        SqlTarget.from_url(url)
    assert PASSWORD not in str(err.value)
    assert "wrong" not in str(err.value)
