"""The SQL target: canonical tables in a SQLite file or a PostgreSQL database.

Both backends are written through DuckDB (`ATTACH … (TYPE sqlite|postgres)`): Arrow batches are
registered as a view and appended with one `INSERT … SELECT` inside one transaction, which the
scanners turn into prepared SQLite inserts or a PostgreSQL binary COPY. Nothing is written to a
temporary file on the way (DuckDB runs without spill, see `duck.py`).

Errors never relay a driver's message once data is flowing: PostgreSQL's DETAIL lines and
DuckDB's conversion errors quote the offending values, and DuckDB's connection errors quote the
connection string with its password. Messages name the entity, column and row counts instead.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType, TracebackType
from typing import Any

import duckdb
import pyarrow as pa

from ariane.connectors import duck, memfiles
from ariane.connectors.sql_checkpoint import START, Checkpoints, Started
from ariane.connectors.sql_ddl import DUCKDB_TYPES, POSTGRESQL, SQLITE, Dialect
from ariane.connectors.sql_feed import NAN_WHY, NUL_WHY, Feed, check_schema
from ariane.connectors.sql_url import Location, PostgresLocation, SqliteLocation, parse_url
from ariane.errors import TargetError
from ariane.model.entities import ENTITIES, FLOAT, ORDER, STRING, Entity

READ_BATCH_ROWS = 122_880  # a multiple of DuckDB's vector size
_ALIAS = "ariane_target"
_FEED = "ariane_load_feed"
_KEY_VIOLATION = (
    "duplicate key value",
    "UNIQUE constraint failed",
    "PRIMARY KEY or UNIQUE",
    "could not create unique index",  # a deferred primary key meeting a repeated key
)
_NULL_VIOLATION = ("violates not-null constraint", "NOT NULL constraint failed")


class SqlTarget:
    """Canonical tables in one SQL database. Use as a context manager, or call `close()`."""

    def __init__(self, location: Location) -> None:
        self._loc = location
        self._dialect: Dialect = SQLITE if isinstance(location, SqliteLocation) else POSTGRESQL
        self._con: duckdb.DuckDBPyConnection | None = None

    @classmethod
    def from_url(cls, url: str) -> SqlTarget:
        """`sqlite:///abs/path.db`, `sqlite:relative/path.db` or a libpq `postgresql://` URL."""
        return cls(parse_url(url))

    @property
    def dialect(self) -> str:
        return self._dialect.name

    # As a `Target` (targets.py): rows are written as they load, and every field is carried.
    deferred_writes = False
    uncarried: Mapping[str, frozenset[str]] = MappingProxyType({})

    def describe(self) -> str:
        """The URL with any password masked: safe for logs and reports."""
        return self._loc.describe()

    def __repr__(self) -> str:
        return f"SqlTarget({self.describe()})"

    def ddl(self) -> str:
        return self._dialect.ddl()

    # -- schema ----------------------------------------------------------------------------------

    def prepare(self) -> None:
        """What a load does first (`Target.prepare`): the canonical schema."""
        self.create_schema()

    def create_schema(self) -> None:
        """Create the five canonical tables if absent, then check that existing ones fit."""
        if isinstance(self._loc, SqliteLocation):
            self._create_sqlite(self._loc)
        else:
            self._create_postgres()
        # A load interrupted while it had set a primary key aside rebuilds it when resumed.
        aside = self._checkpoints(self._connection()).keys_set_aside()
        for name in ORDER:
            self._verify_table(ENTITIES[name], key_set_aside=name in aside)

    def _create_sqlite(self, loc: SqliteLocation) -> None:
        try:
            # The file will hold personal data: readable by its owner only. SQLite gives its
            # journal the database file's mode.
            fd = os.open(loc.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
        except FileExistsError:
            pass
        except OSError as exc:
            raise TargetError(f"cannot create {self.describe()}: {exc.strerror}") from None
        try:
            con = sqlite3.connect(loc.path, isolation_level=None)
            try:
                con.execute("BEGIN IMMEDIATE")
                for stmt in SQLITE.statements():
                    con.execute(stmt)
                con.execute("COMMIT")
            finally:
                con.close()  # rolls back if COMMIT was not reached
        except sqlite3.Error as exc:
            raise TargetError(
                f"cannot create the canonical tables in {self.describe()}: {exc}"
            ) from None

    def _create_postgres(self) -> None:
        con = self._connection()
        try:
            con.execute("BEGIN")
            for stmt in POSTGRESQL.statements():
                con.execute("CALL postgres_execute(?, ?)", [_ALIAS, stmt])
            con.execute("COMMIT")
            con.execute("CALL pg_clear_cache()")  # DuckDB caches the catalog it attached
        except duckdb.Error as exc:
            _rollback(con)
            raise TargetError(
                f"cannot create the canonical tables in {self.describe()}: {self._scrub(exc)}"
            ) from None

    def _verify_table(self, ent: Entity, key_set_aside: bool = False) -> None:
        try:
            rows = self._connection().execute(f"DESCRIBE {self._table(ent.name)}").fetchall()
        except duckdb.Error as exc:
            raise TargetError(f"cannot inspect table {ent.name}: {self._scrub(exc)}") from None
        found = {str(r[0]): (str(r[1]), r[3]) for r in rows}
        for f in ent.fields:
            if f.name not in found:
                raise TargetError(
                    f"table {ent.name} in {self.describe()} has no column {f.name}: "
                    "it was not created from the canonical DDL"
                )
            got, key = found[f.name]
            if got != DUCKDB_TYPES[f.type]:
                raise TargetError(
                    f"column {ent.name}.{f.name} is {got} in the target; canonical type is "
                    f"{f.type_name}"
                )
            if f.name == ent.key and key != "PRI" and not key_set_aside:
                raise TargetError(
                    f"table {ent.name} in the target lacks the primary key on {ent.key}"
                )

    # -- writing ---------------------------------------------------------------------------------

    def load(self, entity: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
        """Append the batches to the entity's table in one transaction; return the row count.

        Only the schema's columns are written; the others stay NULL. On any failure, including
        one raised by `batches` itself (a package part that does not verify), nothing of this call
        remains in the table and the original error is raised.
        """
        ent = _entity(entity)
        check_schema(ent, schema)
        feed = Feed(
            ent,
            schema,
            batches,
            forbid_nan=self._dialect is SQLITE,
            forbid_nul=self._dialect is POSTGRESQL,
        )
        con = self._connection()
        cols = ", ".join(duck.quote_ident(n) for n in schema.names)
        insert = f"INSERT INTO {self._table(entity)} ({cols}) SELECT {cols} FROM {_FEED}"
        con.register(_FEED, pa.RecordBatchReader.from_batches(schema, iter(feed)))
        committing = False
        try:
            con.execute("BEGIN")
            done = con.execute(insert).fetchone()
            inserted = int(done[0]) if done else -1
            if inserted != feed.rows:
                raise TargetError(
                    f"load of {entity}: {feed.rows} rows read but {inserted} inserted"
                )
            committing = True
            con.execute("COMMIT")
        except BaseException as exc:
            _rollback(con)
            if feed.error is not None:
                raise feed.error from None
            if committing and isinstance(exc, duckdb.Error):
                # A COMMIT that fails on a lost connection may or may not have happened.
                raise TargetError(
                    f"load of {entity} into {self.describe()}: the commit of {feed.rows} rows "
                    f"failed ({type(exc).__name__}); whether it took effect is unknown: count "
                    "the table before loading again"
                ) from None
            if isinstance(exc, duckdb.Error):
                raise TargetError(self._load_failure(ent, exc, feed.rows)) from None
            raise
        finally:
            with contextlib.suppress(duckdb.Error):
                con.unregister(_FEED)
        return feed.rows

    def load_parts(
        self,
        entity: str,
        schema: pa.Schema,
        parts: Iterable[tuple[int, bytes]],
        run: str | None = None,
    ) -> int:
        """Like `load`, from whole Parquet parts (rows, plaintext in memory) that DuckDB reads.

        The bulk path for packages: memory stays flat whatever the entity's size, because DuckDB
        lets go of each part when its statement ends. The same checks as `load` run in SQL on
        each part before it is inserted.

        Without `run`, all parts go in one transaction. With `run` (an id of the load, the same
        when it is resumed) and a table empty at the start, each part is committed with its
        checkpoint (`sql_checkpoint.py`): a load interrupted in any way is resumed by calling
        again with the parts after `parts_loaded(run, entity)`. A failure that is not an
        interruption (a repeated key, a bad value, a part that does not verify) removes what
        the entity's earlier parts put in, so that nothing of it remains, as in one transaction.
        A table that already held rows is loaded in one transaction.
        """
        ent = _entity(entity)
        check_schema(ent, schema)
        con = self._connection()
        memfiles.register(con)
        if run is not None:
            started = self._started(con, run, entity)
            if started is not None:
                return self._load_checkpointed(con, ent, schema, parts, run, started)
        empty = self._is_empty(con, ent)
        if run is not None and empty and self._can_checkpoint(con):
            return self._load_checkpointed(con, ent, schema, parts, run, None)
        return self._load_parts_at_once(con, ent, schema, parts, empty)

    def _can_checkpoint(self, con: duckdb.DuckDBPyConnection) -> bool:
        """Whether the checkpoint table exists or can be created (a role may lack CREATE: the
        load then goes in one transaction per entity, as without a run)."""
        try:
            con.execute("BEGIN")
            self._checkpoints(con).ensure()
            con.execute("COMMIT")
        except duckdb.Error:
            _rollback(con)
            return False
        return True

    def parts_loaded(self, run: str, entity: str) -> int:
        """How many parts of `entity` a checkpointed load `run` has committed."""
        _entity(entity)
        started = self._started(self._connection(), run, entity)
        return 0 if started is None else started.parts

    def _started(self, con: duckdb.DuckDBPyConnection, run: str, entity: str) -> Started | None:
        try:
            return self._checkpoints(con).started(run, entity)
        except (duckdb.Error, ValueError):
            raise TargetError(
                f"the load checkpoints of {entity} in {self.describe()} are unreadable"
            ) from None

    def _checkpoints(self, con: duckdb.DuckDBPyConnection) -> Checkpoints:
        return Checkpoints(con, f"{_ALIAS}.{duck.quote_ident(self._dialect.schema)}")

    def _is_empty(self, con: duckdb.DuckDBPyConnection, ent: Entity) -> bool:
        return con.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {self._table(ent.name)} LIMIT 1)"
        ).fetchone() == (0,)

    def _insert_part(
        self,
        con: duckdb.DuckDBPyConnection,
        ent: Entity,
        schema: pa.Schema,
        expected: int,
        data: bytes,
    ) -> int:
        cols = ", ".join(duck.quote_ident(n) for n in schema.names)
        checks = self._value_checks(schema)
        with memfiles.memory_file(data) as url:
            source = f"read_parquet({duck.quote_literal(url)})"
            if checks:
                self._check_part(con, ent, source, checks)
            done = con.execute(
                f"INSERT INTO {self._table(ent.name)} ({cols}) SELECT {cols} FROM {source}"
            ).fetchone()
        inserted = int(done[0]) if done else -1
        if inserted != expected:
            raise TargetError(f"load of {ent.name}: a part of {expected} rows inserted {inserted}")
        return inserted

    def _load_checkpointed(
        self,
        con: duckdb.DuckDBPyConnection,
        ent: Entity,
        schema: pa.Schema,
        parts: Iterable[tuple[int, bytes]],
        run: str,
        started: Started | None,
    ) -> int:
        book = self._checkpoints(con)
        try:
            if started is None:  # the table is empty and the checkpoint table exists
                con.execute("BEGIN")
                deferred = self._defer_primary_key(con, ent)
                book.record(run, ent.name, START, 0, deferred)
                con.execute("COMMIT")
                started = Started(0, 0, deferred)
            elif self.count(ent.name) != started.rows:
                raise TargetError(
                    f"{ent.name} in {self.describe()} changed since the interrupted load "
                    f"({started.parts} part(s) were recorded): empty the table and load again"
                )
        except duckdb.Error as exc:
            _rollback(con)
            raise TargetError(self._load_failure(ent, exc, 0)) from None
        number, rows = started.parts, started.rows
        try:
            for expected, data in parts:
                con.execute("BEGIN")
                inserted = self._insert_part(con, ent, schema, expected, data)
                book.record(run, ent.name, number, inserted)
                con.execute("COMMIT")
                number, rows = number + 1, rows + inserted
            con.execute("BEGIN")
            if started.deferred_key is not None:
                self._restore_primary_key(con, ent, started.deferred_key)
            book.clear(run, ent.name)
            book.drop_if_empty()
            con.execute("COMMIT")
        except BaseException as exc:
            _rollback(con)
            if not isinstance(exc, Exception) or _interrupted(exc):
                if isinstance(exc, duckdb.Error):
                    raise TargetError(
                        f"load of {ent.name} into {self.describe()} interrupted "
                        f"({type(exc).__name__}) after {number} part(s) committed: load again "
                        "(or `ariane resume`) to carry on from the next part"
                    ) from None
                raise
            self._undo(con, ent, run, started.deferred_key)
            if isinstance(exc, duckdb.Error):
                raise TargetError(self._load_failure(ent, exc, rows)) from None
            raise
        return rows

    def _undo(
        self, con: duckdb.DuckDBPyConnection, ent: Entity, run: str, deferred: str | None
    ) -> None:
        """Take out what this checkpointed load put in an entity's table (empty at its start)."""
        try:
            con.execute("BEGIN")
            con.execute(f"DELETE FROM {self._table(ent.name)}")
            if deferred is not None:
                self._restore_primary_key(con, ent, deferred)
            book = self._checkpoints(con)
            book.clear(run, ent.name)
            book.drop_if_empty()
            con.execute("COMMIT")
        except duckdb.Error as exc:
            _rollback(con)
            raise TargetError(
                f"load of {ent.name} into {self.describe()} failed, and the parts already "
                f"committed could not be taken out ({type(exc).__name__}); their checkpoints "
                "are intact: load again to carry on from them, or empty the table"
            ) from None

    def _restore_primary_key(self, con: duckdb.DuckDBPyConnection, ent: Entity, name: str) -> None:
        self._postgres_execute(
            con,
            f"ALTER TABLE {self._dialect.table(ent.name)} ADD CONSTRAINT "
            f"{duck.quote_ident(name)} PRIMARY KEY ({duck.quote_ident(ent.key)})",
        )

    def _load_parts_at_once(
        self,
        con: duckdb.DuckDBPyConnection,
        ent: Entity,
        schema: pa.Schema,
        parts: Iterable[tuple[int, bytes]],
        empty: bool,
    ) -> int:
        entity = ent.name
        rows = 0
        committing = False
        try:
            con.execute("BEGIN")
            deferred = self._defer_primary_key(con, ent) if empty else None
            for expected, data in parts:
                rows += self._insert_part(con, ent, schema, expected, data)
            if deferred is not None:
                # Built once over the loaded rows, in the same transaction: a duplicate key
                # fails here and nothing of the entity remains.
                self._restore_primary_key(con, ent, deferred)
            committing = True
            con.execute("COMMIT")
        except BaseException as exc:
            _rollback(con)
            if committing and isinstance(exc, duckdb.Error):
                raise TargetError(
                    f"load of {entity} into {self.describe()}: the commit of {rows} rows "
                    f"failed ({type(exc).__name__}); whether it took effect is unknown: count "
                    "the table before loading again"
                ) from None
            if isinstance(exc, duckdb.Error):
                raise TargetError(self._load_failure(ent, exc, rows)) from None
            raise
        return rows

    def _defer_primary_key(self, con: duckdb.DuckDBPyConnection, ent: Entity) -> str | None:
        """PostgreSQL, empty table (the caller knows): drop its primary key for the load, inside
        the transaction.

        Building the key's index once after the rows are in is faster than maintaining it row
        by row on random (pseudonymised) keys. Returns the constraint's name to restore, or None
        (SQLite, or a table the role does not own: then the key stays and checks each row). A
        table that holds rows keeps its key: callers do not ask.
        """
        if self._dialect is not POSTGRESQL:
            return None
        found = con.execute(
            "SELECT * FROM postgres_query(?, ?)",
            [
                _ALIAS,
                # Only a table the loading role owns can have its key set aside; others keep
                # it and check each row.
                "SELECT c.conname::text FROM pg_constraint c JOIN pg_class r ON r.oid = "
                "c.conrelid WHERE c.contype = 'p' AND pg_has_role(r.relowner, 'USAGE') AND "
                f"c.conrelid = {duck.quote_literal(self._dialect.table(ent.name))}::regclass",
            ],
        ).fetchall()
        if len(found) != 1:
            return None
        name = str(found[0][0])
        self._postgres_execute(
            con,
            f"ALTER TABLE {self._dialect.table(ent.name)} DROP CONSTRAINT {duck.quote_ident(name)}",
        )
        return name

    @staticmethod
    def _postgres_execute(con: duckdb.DuckDBPyConnection, statement: str) -> None:
        con.execute("CALL postgres_execute(?, ?)", [_ALIAS, statement])

    def _value_checks(self, schema: pa.Schema) -> list[tuple[str, str, str]]:
        """(column, SQL counting bad values, why) for values the backend would change silently."""
        out = []
        for f in schema:
            col = duck.quote_ident(f.name)
            if self._dialect is SQLITE and f.type == FLOAT:
                out.append((f.name, f"count(*) FILTER (WHERE isnan({col}))", NAN_WHY))
            if self._dialect is POSTGRESQL and f.type == STRING:
                out.append((f.name, f"count(*) FILTER (WHERE contains({col}, chr(0)))", NUL_WHY))
        return out

    def _check_part(
        self,
        con: duckdb.DuckDBPyConnection,
        ent: Entity,
        source: str,
        checks: list[tuple[str, str, str]],
    ) -> None:
        row = con.execute(f"SELECT {', '.join(c[1] for c in checks)} FROM {source}").fetchone()
        assert row is not None
        for (name, _, why), n in zip(checks, row, strict=True):
            if n:
                raise TargetError(f"load of {ent.name}: column {name} holds {n} {why}")

    def _load_failure(self, ent: Entity, exc: duckdb.Error, rows: int) -> str:
        where = f"load of {ent.name} into {self.describe()}"
        after = f"after {rows} input rows; rolled back, the table is unchanged"
        text = str(exc)
        if any(s in text for s in _KEY_VIOLATION):
            return (
                f"{where}: primary key {ent.name}.{ent.key} violated (a key already in the table"
                f" or repeated in this load) {after}"
            )
        if any(s in text for s in _NULL_VIOLATION):
            return f"{where}: NULL in a NOT NULL column ({ent.key}) {after}"
        if isinstance(exc, duckdb.CatalogException | duckdb.BinderException):
            return f"{where}: {self._scrub(exc)} (was the schema created?)"
        # Anything else may quote a value: give the kind of failure only.
        return f"{where} failed ({type(exc).__name__}) {after}"

    # -- reading ---------------------------------------------------------------------------------

    def iter_batches(
        self, entity: str, columns: Sequence[str] | None = None, batch_rows: int = READ_BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        """Stream the table back with exact canonical Arrow types, in no particular order."""
        ent = _entity(entity)
        names = _columns(ent, columns)
        target = ent.schema(names)
        cols = ", ".join(duck.quote_ident(n) for n in names)
        # A cursor of its own, so that other calls on this target may run while this is read.
        cur = self._connection().cursor()
        try:
            cur.execute(f"SELECT {cols} FROM {self._table(entity)}")
            reader = cur.to_arrow_reader(batch_rows)
            for batch in reader:
                # SQLite keeps dates and timestamps as text; DuckDB parses them by declared type.
                yield pa.RecordBatch.from_arrays(
                    [c.cast(t.type) for c, t in zip(batch.columns, target, strict=True)],
                    schema=target,
                )
        except (duckdb.Error, pa.ArrowException) as exc:
            raise self._read_failure(entity, exc) from None
        finally:
            cur.close()

    def _read_failure(self, entity: str, exc: Exception) -> TargetError:
        if isinstance(exc, duckdb.CatalogException | duckdb.BinderException):
            detail = self._scrub(exc)
        else:
            detail = type(exc).__name__  # may be a conversion error quoting a value
        return TargetError(f"read back of {entity} from {self.describe()} failed: {detail}")

    def digest_rows(self, entity: str, columns: Sequence[str], aggregate: str) -> tuple[Any, ...]:
        """Run `aggregate` (a SELECT over `_rows`) inside DuckDB, where the table is read.

        `_rows` holds the named columns cast to their canonical types, as `iter_batches` gives
        them: reconciliation digests the target without moving it through Arrow batches.
        """
        ent = _entity(entity)
        names = _columns(ent, columns)
        cols = ", ".join(
            f"CAST({duck.quote_ident(n)} AS {DUCKDB_TYPES[ent.field(n).type]}) "
            f"AS {duck.quote_ident(n)}"
            for n in names
        )
        sql = f"WITH _rows AS (SELECT {cols} FROM {self._table(entity)}) {aggregate}"
        cur = self._connection().cursor()
        try:
            row = cur.execute(sql).fetchone()
        except duckdb.Error as exc:
            raise self._read_failure(entity, exc) from None
        finally:
            cur.close()
        assert row is not None
        return tuple(row)

    def read_back(self, entity: str, columns: Sequence[str] | None = None) -> pa.Table:
        """The whole table (or the named columns) with exact canonical Arrow types."""
        ent = _entity(entity)
        schema = ent.schema(_columns(ent, columns))
        return pa.Table.from_batches(list(self.iter_batches(entity, columns)), schema=schema)

    def count(self, entity: str) -> int:
        _entity(entity)
        return self._native(f"SELECT count(*) FROM {self._dialect.table(entity)}", entity)[0]

    def non_null_counts(self, entity: str) -> dict[str, int]:
        """Per canonical column, how many rows hold a value (one scan, run inside the database)."""
        ent = _entity(entity)
        counts = ", ".join(
            f"count({duck.quote_ident(n)}) AS c{i}" for i, n in enumerate(ent.field_names)
        )
        row = self._native(f"SELECT {counts} FROM {self._dialect.table(entity)}", entity)
        return dict(zip(ent.field_names, row, strict=True))

    def non_null_columns(self, entity: str) -> list[str]:
        """Canonical columns holding at least one value, in canonical order."""
        return [n for n, c in self.non_null_counts(entity).items() if c > 0]

    def _native(self, query: str, entity: str) -> list[int]:
        # Aggregates run in the database itself: DuckDB would otherwise pull every row over.
        func = "sqlite_query" if self._dialect is SQLITE else "postgres_query"
        try:
            row = (
                self._connection()
                .execute(f"SELECT * FROM {func}(?, ?)", [_ALIAS, query])
                .fetchone()
            )
        except duckdb.Error as exc:
            # Aggregate queries carry no data values; the message names tables at most.
            raise TargetError(
                f"cannot count {entity} in {self.describe()}: {self._scrub(exc)}"
            ) from None
        if row is None:
            raise TargetError(f"cannot count {entity} in {self.describe()}: no answer")
        return [int(v) for v in row]  # sqlite_query answers in text

    # -- connection ------------------------------------------------------------------------------

    def _table(self, entity: str) -> str:
        return f"{_ALIAS}.{duck.quote_ident(self._dialect.schema)}.{duck.quote_ident(entity)}"

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is not None:
            return self._con
        loc = self._loc
        if isinstance(loc, SqliteLocation) and not loc.path.is_file():
            # ATTACH would create an empty file; a missing target is a mistake, not a wish.
            raise TargetError(f"{self.describe()} does not exist: create its schema first")
        con = duck.connect()
        try:
            if isinstance(loc, SqliteLocation):
                duck.load_sqlite(con)
                target = duck.quote_literal(str(loc.path))
                con.execute(f"ATTACH {target} AS {_ALIAS} (TYPE sqlite)")
            else:
                duck.load_postgres(con)
                target = duck.quote_literal(loc.conninfo)
                con.execute(f"ATTACH {target} AS {_ALIAS} (TYPE postgres)")
        except duckdb.Error as exc:
            con.close()
            raise TargetError(f"cannot open {self.describe()}: {self._scrub(exc)}") from None
        self._con = con
        return con

    def _scrub(self, exc: BaseException) -> str:
        text = str(exc).strip()
        return self._loc.scrub(text) if isinstance(self._loc, PostgresLocation) else text

    def close(self) -> None:
        if self._con is not None:
            con, self._con = self._con, None
            con.close()

    def __enter__(self) -> SqlTarget:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _entity(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise TargetError(f"unknown entity {name!r}: expected one of {', '.join(ORDER)}") from None


def _columns(ent: Entity, columns: Sequence[str] | None) -> list[str]:
    names = list(ent.field_names if columns is None else columns)
    for n in names:
        if not ent.has(n):
            raise TargetError(f"{ent.name} has no canonical column {n!r}")
    if len(set(names)) != len(names):
        raise TargetError(f"{ent.name}: a column is named twice")
    return names


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    # Fails harmlessly when no transaction is open (BEGIN itself failed).
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


def _interrupted(exc: BaseException) -> bool:
    """A lost connection or server: what was committed stays, and a resume carries on."""
    if isinstance(exc, duckdb.IOException | duckdb.ConnectionException):
        return True
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and any(
        s in text for s in ("connection", "server closed", "terminating", "could not send")
    )
