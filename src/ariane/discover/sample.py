"""A bounded sample of every column, drawn in memory, in seconds whatever the table's size.

SQLite: blocks of consecutive rowids spread evenly over the table, read by SQLite itself through
`sqlite_query` (an index seek per block: DuckDB's scanner does not push rowid filters down and would
read the whole table). PostgreSQL: `TABLESAMPLE SYSTEM` run by the server. CSV: DuckDB's reservoir
sample. Columns that are mostly empty are topped up with their first non-empty values, so that a
comment column filled on one row in fifty still gets enough text to judge.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from ariane.discover.introspect import OpenSource, native_query, pg_ident
from ariane.discover.model import ColumnSample, TableInfo
from ariane.errors import SourceError

DEFAULT_ROWS = 2000
BLOCKS = 20  # rowid blocks per SQLite table: spread over its history, not just the oldest rows
MIN_VALUES = 200  # below this many non-empty values a column is topped up


def sample_table(
    source: OpenSource, table: TableInfo, rows: int = DEFAULT_ROWS, seed: int = 7
) -> list[ColumnSample]:
    names = [c.name for c in table.columns]
    try:
        data = _draw(source, table, names, rows, seed)
        samples = []
        for i, col in enumerate(table.columns):
            aligned = tuple(None if v is None or not v.strip() else v for v in (r[i] for r in data))
            values = tuple(v for v in aligned if v is not None)
            if len(values) < MIN_VALUES and table.rows > len(data):
                values = values + _top_up(source, table, col.name, values, MIN_VALUES)
            samples.append(ColumnSample(table.name, col.name, col.type, len(data), values, aligned))
    except duckdb.Error:
        # DuckDB messages can quote a value (a failed cast): name the table only.
        raise SourceError(f"cannot sample table {table.name}") from None
    return samples


def _draw(
    source: OpenSource, table: TableInfo, names: Sequence[str], rows: int, seed: int
) -> list[tuple[str | None, ...]]:
    con = source.con
    if source.staged:
        cols = ", ".join(f"CAST({pg_ident(n)} AS VARCHAR)" for n in names)
        sql = f"SELECT {cols} FROM {source.duck_table(table.name)}"
        if table.rows > rows:
            sql += f" USING SAMPLE reservoir({int(rows)} ROWS) REPEATABLE ({int(seed)})"
        return [tuple(r) for r in con.execute(sql).fetchall()]
    text = "TEXT"
    cols = ", ".join(f"CAST({pg_ident(n)} AS {text}) AS {pg_ident(n)}" for n in names)
    base = f"SELECT {cols} FROM {source.native_table(table.name)}"
    if table.rows <= rows:
        return _fetch(source, base)
    if source.kind == "postgres":
        percent = min(100.0, 300.0 * rows / table.rows)
        got = _fetch(source, f"{base} TABLESAMPLE SYSTEM ({percent:.6f}) LIMIT {int(rows)}")
        if len(got) >= rows // 2:
            return got
        return _fetch(source, f"{base} LIMIT {int(rows)}")
    return _sqlite_blocks(source, table, base, rows)


def _sqlite_blocks(
    source: OpenSource, table: TableInfo, base: str, rows: int
) -> list[tuple[str | None, ...]]:
    native = source.native_table(table.name)
    try:
        bounds = source.con.execute(
            # Two subqueries: SQLite answers each from the b-tree's ends, not by a scan.
            native_query(
                source,
                f"SELECT (SELECT min(rowid) FROM {native}), (SELECT max(rowid) FROM {native})",
            )
        ).fetchone()
    except duckdb.Error:  # a WITHOUT ROWID table: the first rows will do
        return _fetch(source, f"{base} LIMIT {int(rows)}")
    if not bounds or bounds[0] is None:
        return []
    low, high = int(bounds[0]), int(bounds[1])
    per_block = max(1, rows // BLOCKS)
    step = max(per_block, (high - low + 1) // BLOCKS)
    parts = [
        f"SELECT * FROM ({base} WHERE rowid >= {low + k * step} ORDER BY rowid LIMIT {per_block})"
        for k in range(BLOCKS)
        if low + k * step <= high
    ]
    return _fetch(source, " UNION ALL ".join(parts))


def _fetch(source: OpenSource, sql: str) -> list[tuple[str | None, ...]]:
    return [tuple(r) for r in source.con.execute(native_query(source, sql)).fetchall()]


def _top_up(
    source: OpenSource, table: TableInfo, column: str, have: tuple[str, ...], want: int
) -> tuple[str, ...]:
    ident = pg_ident(column)
    if source.staged:
        sql = (
            f"SELECT CAST({ident} AS VARCHAR) FROM {source.duck_table(table.name)} "
            f"WHERE {ident} IS NOT NULL AND trim(CAST({ident} AS VARCHAR)) <> '' LIMIT {want}"
        )
        rows = source.con.execute(sql).fetchall()
    else:
        native = (
            f"SELECT CAST({ident} AS TEXT) FROM {source.native_table(table.name)} "
            f"WHERE {ident} IS NOT NULL AND trim(CAST({ident} AS TEXT)) <> '' LIMIT {want}"
        )
        rows = source.con.execute(native_query(source, native)).fetchall()
    extra = tuple(str(r[0]) for r in rows if r[0] is not None)
    return extra[: max(0, want - len(have))]
