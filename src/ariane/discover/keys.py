"""Keys and links: each table's key, and which columns point to another table's key.

Declared primary keys are taken as they are; otherwise the first column whose sampled values are
all distinct and identifier-shaped is the key. A column references a key when every distinct
sampled value of it is a value of that key: checked exactly against a dense integer range, a key
set small enough to hold in memory, or else by one query in the source. Among several keys that
contain a column's values (small integers fit many), the smallest table wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from ariane.discover.detectors.text import shape
from ariane.discover.introspect import ALIAS, OpenSource, native_query, pg_ident
from ariane.discover.model import ColumnSample, Link, SourceSchema, TableInfo
from ariane.errors import SourceError

_SET_LIMIT = 200_000  # keys of tables up to this size are compared in memory


@dataclass(frozen=True)
class KeyIndex:
    table: str
    column: str
    rows: int
    low: int | None  # dense integer key: every value between low and high exists
    high: int | None
    values: frozenset[str] | None  # the whole key, for small tables
    shapes: frozenset[str]

    def contains_all(self, source: OpenSource, wanted: set[str]) -> bool:
        if not wanted:
            return False
        if self.low is not None and self.high is not None:
            try:
                ints = {int(v) for v in wanted}
            except ValueError:
                return False
            return all(self.low <= i <= self.high for i in ints)
        if self.values is not None:
            return wanted <= self.values
        if not {shape(v) for v in wanted} <= self.shapes:
            return False
        return _query_contains(source, self, wanted)


_PROBE = 200  # distinct values looked up: enough to tell a link from a coincidence


def _query_contains(source: OpenSource, key: KeyIndex, wanted: set[str]) -> bool:
    probe_values = sorted(wanted)[:_PROBE]
    if source.kind == "sqlite":
        # Looked up through the key's index by SQLite, with bound parameters, never SQL text.
        marks = ", ".join("?" for _ in probe_values)
        sql = (
            f"SELECT count(DISTINCT CAST({pg_ident(key.column)} AS TEXT)) FROM "
            f"{source.native_table(key.table)} WHERE {pg_ident(key.column)} IN ({marks})"
        )
        params = {f"p{i}": v for i, v in enumerate(probe_values)}
        try:
            found = source.con.execute(
                "SELECT * FROM sqlite_query(?, ?, params = ?)", [ALIAS, sql, params]
            ).fetchone()
        except duckdb.Error:
            raise SourceError(f"cannot check the key of table {key.table}") from None
        return found is not None and int(found[0]) == len(probe_values)
    # The sampled values stay in memory: an Arrow table registered with DuckDB, never SQL text.
    probe = pa.table({"v": pa.array(probe_values, pa.string())})
    name = "_ariane_probe"
    source.con.register(name, probe)
    try:
        row = source.con.execute(
            f"SELECT count(DISTINCT p.v) FROM {name} p SEMI JOIN "
            f"(SELECT CAST({pg_ident(key.column)} AS VARCHAR) AS k "
            f"FROM {source.duck_table(key.table)}) s ON s.k = p.v"
        ).fetchone()
    except duckdb.Error:
        raise SourceError(f"cannot check the key of table {key.table}") from None
    finally:
        source.con.unregister(name)
    return row is not None and int(row[0]) == len(probe_values)


def _id_shaped(col: ColumnSample) -> bool:
    vals = col.values
    if not vals or any(" " in v.strip() for v in vals[:200]):
        return False
    return len({shape(v) for v in vals}) <= 3


def infer_key(table: TableInfo, samples: list[ColumnSample]) -> str | None:
    if len(table.primary_key) == 1:
        return table.primary_key[0]
    if table.primary_key:
        return None  # a composite key is not a link target
    for col in samples:
        if col.temporal_type or not col.values or col.nulls:
            continue
        if len(set(col.values)) == len(col.values) and _id_shaped(col):
            return col.name
    return None


def key_index(source: OpenSource, table: TableInfo, column: str, sample: ColumnSample) -> KeyIndex:
    shapes = frozenset(shape(v) for v in sample.values)
    ident = pg_ident(column)
    try:
        if table.rows <= _SET_LIMIT:
            rows = source.con.execute(
                f"SELECT DISTINCT CAST({ident} AS VARCHAR) FROM {source.duck_table(table.name)}"
            ).fetchall()
            return KeyIndex(
                table.name,
                column,
                table.rows,
                None,
                None,
                frozenset(str(r[0]) for r in rows if r[0] is not None),
                shapes,
            )
        if sample.numeric_type and not source.staged:
            # min and max apart: each is a seek in the key's index; the count is the table's.
            name = source.native_table(table.name)
            sql = f"SELECT (SELECT min({ident}) FROM {name}), (SELECT max({ident}) FROM {name})"
            row = source.con.execute(native_query(source, sql)).fetchone()
            if row and row[0] is not None:
                low, high, n = int(row[0]), int(row[1]), table.rows
                if high - low + 1 == n:
                    return KeyIndex(table.name, column, table.rows, low, high, None, shapes)
    except (duckdb.Error, ValueError, TypeError):
        raise SourceError(f"cannot read the key of table {table.name}") from None
    return KeyIndex(table.name, column, table.rows, None, None, None, shapes)


def find_links(
    source: OpenSource,
    schema: SourceSchema,
    samples: dict[str, list[ColumnSample]],
    keys: dict[str, str],
    eligible: set[tuple[str, str]],
) -> list[Link]:
    """Links from `eligible` (table, column) pairs to the tables' keys."""
    indexes: dict[str, KeyIndex] = {}
    for table, column in keys.items():
        sample = next(s for s in samples[table] if s.name == column)
        indexes[table] = key_index(source, schema.table(table), column, sample)
    links = []
    for table, cols in samples.items():
        for col in cols:
            if (table, col.name) not in eligible or keys.get(table) == col.name:
                continue
            wanted = set(col.values)
            ordered = sorted(indexes.values(), key=lambda k: (k.rows, k.table))
            best = next(
                (k for k in ordered if k.table != table and k.contains_all(source, wanted)), None
            )
            if best is not None:
                links.append(Link(table, col.name, best.table, best.column))
    return links
