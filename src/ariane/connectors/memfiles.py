"""Plaintext Parquet handed to DuckDB through memory, never through a file.

DuckDB reads Parquet itself (natively, in parallel, and without holding on to what it read
once a statement is done, unlike an Arrow stream it scans). It can read from an fsspec
filesystem registered on the connection; fsspec's memory filesystem keeps each file as bytes in
this process. Names are random and each file is removed as soon as its statement ends.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import fsspec

PROTOCOL = "memory"


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Let `con` read memory:// files (idempotent)."""
    if not con.filesystem_is_registered(PROTOCOL):
        con.register_filesystem(fsspec.filesystem(PROTOCOL))


@contextmanager
def memory_file(data: bytes) -> Iterator[str]:
    """A memory:// URL holding `data` for the duration of the block."""
    fs = fsspec.filesystem(PROTOCOL)
    path = f"/ariane-{secrets.token_hex(16)}.parquet"
    fs.pipe_file(path, data)
    try:
        yield f"{PROTOCOL}://{path}"
    finally:
        fs.rm_file(path)
