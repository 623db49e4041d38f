"""The DuckDB engine, configured so that it can never leave personal data behind on disk.

DuckDB is the one query engine Ariane uses: it reads SQLite and PostgreSQL sources through their
scanner extensions (shipped as PyPI packages, since nothing is downloaded at run time), evaluates
the scope, and writes SQL targets. Memory is bounded by ARIANE_MEMORY_LIMIT. A clear spill file
of a query engine is exactly the kind of copy that must not exist, so a connection spills only
when given a `SpillArea`, and then only ciphertext under a key of its own (see `spill.py`);
otherwise spilling is disabled and running short of memory is an error saying what to set.
"""

from __future__ import annotations

import os
import pathlib
from functools import cache

import duckdb

from ariane.connectors.spill import SpillArea
from ariane.errors import SourceError

DEFAULT_MEMORY_LIMIT = "512MB"  # with ~250 MB of interpreter and batches: under 1 GiB
MEMORY_ENV = "ARIANE_MEMORY_LIMIT"  # e.g. 2GB: DuckDB's memory per connection


def memory_limit() -> str:
    """The configured memory limit of the query engine (ARIANE_MEMORY_LIMIT, default 512MB)."""
    return os.environ.get(MEMORY_ENV, DEFAULT_MEMORY_LIMIT)


def out_of_memory(doing: str) -> SourceError:
    """Say what to do: raise the limit (spills, where allowed, are encrypted and bounded)."""
    return SourceError(
        f"the query engine ran out of memory while {doing} (limit {memory_limit()}): "
        f"set {MEMORY_ENV} higher, e.g. {MEMORY_ENV}=2GB"
    )


@cache
def _extension_file(package: str) -> str:
    module = __import__(package)
    root = pathlib.Path(next(iter(module.__path__)))
    found = sorted(root.rglob("*.duckdb_extension"))
    if not found:
        raise SourceError(f"DuckDB extension missing from package {package}")
    return str(found[0])


def connect(
    limit: str | None = None, threads: int | None = None, spill: SpillArea | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with bounded memory, no extension download, and no clear spill.

    Without `spill` nothing is ever written to disk by the engine; with it, overflow goes to
    that area, encrypted.
    """
    config: dict[str, str | bool | int | float | list[str]] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "memory_limit": limit or memory_limit(),
        "temp_directory": "",
        "enable_external_access": True,
    }
    if threads is not None:
        config["threads"] = threads
    con = duckdb.connect(":memory:", config=config)
    if spill is not None:
        try:
            spill.attach(con, _extension_file("duckdb_extension_httpfs"))
        except BaseException:
            con.close()
            raise
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
