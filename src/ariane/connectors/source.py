"""A source database attached read-only to DuckDB, with its live catalogue.

SQLite files and PostgreSQL databases are attached through DuckDB's scanners, read-only: Ariane
never writes to the laboratory's system. The catalogue (tables and columns as the source names
them) is what profiles are checked against.
"""

from __future__ import annotations

import pathlib
import re
from dataclasses import dataclass

import duckdb

from ariane.connectors import duck
from ariane.errors import SourceError, UsageError
from ariane.profiles.expressions import Catalog, Table

ALIAS = "src"


@dataclass(frozen=True)
class SourceRef:
    kind: str  # "sqlite" | "postgres" | "hl7v2" | "hprim" | "fhir" (a folder of messages)
    location: str  # file path, libpq URL or folder

    def describe(self) -> str:
        if self.kind == "postgres":
            return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", self.location)
        return self.location


MESSAGE_KINDS = ("hl7v2", "hprim", "fhir")


def parse_source(ref: str) -> SourceRef:
    if ref.startswith(("postgresql://", "postgres://")):
        return SourceRef("postgres", ref)
    kind, sep, rest = ref.partition(":")
    if sep and kind in MESSAGE_KINDS:
        folder = pathlib.Path(rest)
        if not folder.is_dir():
            raise UsageError(f"message folder not found: {folder}")
        return SourceRef(kind, str(folder.resolve()))
    path = pathlib.Path(ref.removeprefix("sqlite://").removeprefix("sqlite:"))
    if not path.is_file():
        raise UsageError(f"source database not found: {path}")
    with path.open("rb") as f:
        if f.read(16) != b"SQLite format 3\x00":
            raise UsageError(f"source {path} is not a SQLite database")
    return SourceRef("sqlite", str(path.resolve()))


def attach(con: duckdb.DuckDBPyConnection, source: SourceRef) -> dict[str, object] | None:
    """Attach the source as `src`; for message folders, return the reader's report (counts)."""
    if source.kind in MESSAGE_KINDS:
        from ariane.connectors.message_source import attach_messages

        return attach_messages(con, source.kind, pathlib.Path(source.location), ALIAS).to_json()
    try:
        if source.kind == "sqlite":
            duck.load_sqlite(con)
        else:
            duck.load_postgres(con)
        location = duck.quote_literal(source.location)
        con.execute(f"ATTACH {location} AS {ALIAS} (TYPE {source.kind}, READ_ONLY)")
    except duckdb.Error:
        raise SourceError(f"cannot open source {source.describe()}") from None
    return None


def catalog(con: duckdb.DuckDBPyConnection) -> Catalog:
    schema = "public" if _kind(con) == "postgres" else "main"
    rows = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE database_name = ? AND schema_name = ? ORDER BY table_name, column_index",
        [ALIAS, schema],
    ).fetchall()
    tables: dict[str, dict[str, str]] = {}
    names: dict[str, str] = {}
    for table, column in rows:
        names[table.lower()] = table
        tables.setdefault(table.lower(), {})[column.lower()] = column
    return {k: Table(names[k], cols) for k, cols in tables.items()}


def _kind(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute(
        "SELECT type FROM duckdb_databases() WHERE database_name = ?", [ALIAS]
    ).fetchone()
    return str(row[0]) if row else "sqlite"
