"""The DuckDB engine, configured so that it can never leave personal data behind on disk.

DuckDB is the one query engine Ariane uses: it reads SQLite and PostgreSQL sources through their
scanner extensions (shipped as PyPI packages, since nothing is downloaded at run time), evaluates
the scope, and writes SQL targets. Spilling to disk is disabled: a spill file of a query engine is
exactly the kind of clear copy that must not exist. Memory is bounded instead.
"""

from __future__ import annotations

import pathlib
from functools import cache

import duckdb

from ariane.errors import SourceError

DEFAULT_MEMORY_LIMIT = "1GB"


@cache
def _extension_file(package: str) -> str:
    module = __import__(package)
    root = pathlib.Path(next(iter(module.__path__)))
    found = sorted(root.rglob("*.duckdb_extension"))
    if not found:
        raise SourceError(f"DuckDB extension missing from package {package}")
    return str(found[0])


def connect(
    memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with no spill directory, no extension download, bounded memory."""
    config: dict[str, str | bool | int | float | list[str]] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "memory_limit": memory_limit,
        "temp_directory": "",
        "enable_external_access": True,
    }
    if threads is not None:
        config["threads"] = threads
    con = duckdb.connect(":memory:", config=config)
    return con


def load_sqlite(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"LOAD '{_extension_file('duckdb_extension_sqlite_scanner')}'")


def load_postgres(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"LOAD '{_extension_file('duckdb_extension_postgres_scanner')}'")


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB; identifiers come from validated profiles, never from data."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
