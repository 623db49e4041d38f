"""Open a source read-only in DuckDB and describe it: tables, columns, types, keys, row counts.

SQLite files and PostgreSQL databases are attached through the scanners of `connectors.source`
(read-only, no spill). A folder of CSV files becomes an in-memory catalogue `src` with one view per
file over `read_csv(..., all_varchar)`: values are kept as typed in the file, so leading zeros of
postal codes or phone numbers survive, and nothing is copied to disk.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass
from types import TracebackType

import duckdb

from ariane.connectors import duck
from ariane.connectors import source as src
from ariane.discover.model import ColumnInfo, SourceSchema, TableInfo
from ariane.errors import SourceError, UsageError

ALIAS = src.ALIAS
PG_SCHEMA = "public"


@dataclass
class OpenSource:
    """A DuckDB connection with the source attached as `src`; close it when done."""

    con: duckdb.DuckDBPyConnection
    kind: str  # sqlite | postgres | csv | hl7v2 | hprim | fhir
    location: str  # printable

    @property
    def staged(self) -> bool:
        """CSV files and message folders live in DuckDB itself: sample them with DuckDB."""
        return self.kind not in ("sqlite", "postgres")

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> OpenSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def native_table(self, table: str) -> str:
        """The table as the source's own SQL names it (for sqlite_query / postgres_query)."""
        if self.kind == "postgres":
            return f"{pg_ident(PG_SCHEMA)}.{pg_ident(table)}"
        return pg_ident(table)  # SQLite accepts double-quoted identifiers too

    def duck_table(self, table: str) -> str:
        return f"{ALIAS}.{duck.quote_ident(table)}"


def pg_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _connect(memory_limit: str | None) -> duckdb.DuckDBPyConnection:
    con = duck.connect(memory_limit)
    con.execute("SET enable_progress_bar = false")  # a library never draws on the terminal
    return con


def open_source(ref: str, memory_limit: str | None = None) -> OpenSource:
    """`ref`: a SQLite file, a postgresql:// URL, or a folder of .csv files (or one .csv file)."""
    if ref.partition(":")[0] in src.MESSAGE_KINDS:
        # A folder of messages: staged as canonical tables by Ariane's readers, then scanned
        # like any in-memory database.
        return _attached(src.parse_source(ref), memory_limit)
    path = pathlib.Path(ref.removeprefix("sqlite://").removeprefix("sqlite:"))
    is_url = ref.startswith(("postgresql://", "postgres://"))
    if not is_url and (path.is_dir() or path.suffix.lower() == ".csv"):
        return _open_csv(path, memory_limit)
    if not is_url and not path.exists():
        raise UsageError(f"source not found: {path}")
    # parse_source raises UsageError for a file that is not SQLite.
    return _attached(src.parse_source(ref), memory_limit)


def _attached(ref: src.SourceRef, memory_limit: str | None) -> OpenSource:
    con = _connect(memory_limit)
    try:
        src.attach(con, ref)
    except BaseException:
        con.close()
        raise
    return OpenSource(con, ref.kind, ref.describe())


def _open_csv(path: pathlib.Path, memory_limit: str | None) -> OpenSource:
    if not path.exists():
        raise UsageError(f"source not found: {path}")
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    if not files:
        raise UsageError(f"source folder {path} holds no .csv file")
    names = [f.stem for f in files]
    if len({n.lower() for n in names}) != len(names):
        raise UsageError(f"source folder {path}: two CSV files differ only by letter case")
    con = _connect(memory_limit)
    try:
        con.execute(f"ATTACH ':memory:' AS {ALIAS}")
        for f, name in zip(files, names, strict=True):
            location = duck.quote_literal(str(f.resolve()))
            con.execute(
                f"CREATE VIEW {ALIAS}.{duck.quote_ident(name)} AS SELECT * FROM "
                f"read_csv({location}, header = true, all_varchar = true, sample_size = 20480)"
            )
            # Sniffing happens lazily: describe now so that a malformed file fails here.
            con.execute(f"DESCRIBE {ALIAS}.{duck.quote_ident(name)}").fetchall()
    except duckdb.Error:
        con.close()
        raise SourceError(f"cannot read the CSV files of {path} (not CSV, or malformed)") from None
    return OpenSource(con, "csv", str(path))


def describe(source: OpenSource) -> SourceSchema:
    """Tables, columns (with the engine's types), declared primary keys and exact row counts."""
    schema = PG_SCHEMA if source.kind == "postgres" else "main"
    try:
        rows = source.con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE database_name = ? AND schema_name = ? ORDER BY table_name, column_index",
            [ALIAS, schema],
        ).fetchall()
        pks: dict[str, tuple[str, ...]] = {}
        for table, kind, cols in source.con.execute(
            "SELECT table_name, constraint_type, constraint_column_names FROM duckdb_constraints() "
            "WHERE database_name = ? AND schema_name = ?",
            [ALIAS, schema],
        ).fetchall():
            if kind == "PRIMARY KEY":
                pks[table] = tuple(cols)
    except duckdb.Error:
        raise SourceError(f"cannot read the catalogue of {source.location}") from None
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in rows:
        columns.setdefault(table, []).append((column, dtype))
    tables = []
    for name, cols in columns.items():
        pk = pks.get(name, ())
        infos = tuple(ColumnInfo(c, t, c in pk) for c, t in cols)
        tables.append(TableInfo(name, infos, count_rows(source, name), pk))
    if not tables:
        raise SourceError(f"source {source.location} has no table")
    return SourceSchema(source.kind, source.location, tuple(tables))


def count_rows(source: OpenSource, table: str) -> int:
    # The scanners read every row for a count; the source's own engine answers from an index.
    if source.kind in ("sqlite", "postgres"):
        sql = native_query(source, f"SELECT count(*) FROM {source.native_table(table)}")
    else:
        sql = f"SELECT count(*) FROM {source.duck_table(table)}"
    try:
        row = source.con.execute(sql).fetchone()
    except duckdb.Error:
        raise SourceError(f"cannot count the rows of table {table}") from None
    return int(row[0]) if row and row[0] is not None else 0


def native_query(source: OpenSource, sql: str) -> str:
    """A DuckDB query running `sql` inside the source's own engine (SQLite or PostgreSQL).

    `sql` is built from catalogue identifiers (quoted) and integers only, never from values.
    """
    fn = "sqlite_query" if source.kind == "sqlite" else "postgres_query"
    return f"SELECT * FROM {fn}({duck.quote_literal(ALIAS)}, {duck.quote_literal(sql)})"
