"""Order-independent content digests, computed the same way on both sides of a transfer.

Each value is first turned into its canonical text: DuckDB's cast to VARCHAR, with a NULL as a
0x00 byte. For an entity with key k and fields f1..fn:

- the **row digest** is the sum, modulo 2^64, over all rows of DuckDB's `md5_number_lower` of
  k || 0x1F || f1 || 0x1F || ... || fn (bytes 8 to 15 of the MD5, read as a little-endian
  integer). It is the integrity check: anyone can recompute it with any MD5 (the unit tests do,
  with hashlib), and it changes when any value, key or row changes;
- the **field digests**, one per field f, are the sum modulo 2^64 of DuckDB's 64-bit
  `hash(k, f)`. They say *which* field differs when the row digest does not match, and they are
  the check for targets that cannot carry every field (the row digest needs them all).

One MD5 per row instead of one per field made extraction and reconciliation several times
faster (benchmarks/README.md). Sums ignore row order (targets return rows in any order). The
digests are a check against accidents; the package's signature guards against tampering.
They reveal nothing about values.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pyarrow as pa

from ariane.connectors.duck import quote_ident

ALGORITHM = "row-md5+field-duckdb-hash/2"
MOD = 1 << 64
# DuckDB scans an Arrow table with one thread per record batch: slice big batches so that
# every core takes part.
SCAN_CHUNK_ROWS = 16_384
_BATCH = "_digest_batch"


def _text(column: str) -> str:
    return f"COALESCE(CAST({quote_ident(column)} AS VARCHAR), chr(0))"


class FieldDigests:
    """Accumulates the row digest and the field digests over batches of one entity."""

    def __init__(self, con: duckdb.DuckDBPyConnection, key: str, fields: Iterable[str]) -> None:
        self._con = con
        self._fields = tuple(fields)
        self._fields_sum = dict.fromkeys(self._fields, 0)
        self._row_sum = 0
        self.rows = 0
        k = _text(key)
        row = f"md5_number_lower(concat_ws(chr(31), {k}, {', '.join(map(_text, self._fields))}))"
        sums = [f"COALESCE(sum({row}::HUGEINT), 0) % {MOD}"] if self._fields else ["0"]
        sums += [f"COALESCE(sum(hash({k}, {_text(f)})::HUGEINT), 0) % {MOD}" for f in self._fields]
        self.aggregate = f"SELECT count(*), {', '.join(sums)} FROM _rows"
        self._sql = f"WITH _rows AS (SELECT * FROM {_BATCH}) {self.aggregate}"

    def update(self, batch: pa.RecordBatch | pa.Table) -> None:
        if isinstance(batch, pa.RecordBatch):
            batch = pa.Table.from_batches([batch])
        table = pa.Table.from_batches(batch.to_batches(SCAN_CHUNK_ROWS), batch.schema)
        self._con.register(_BATCH, table)
        try:
            row = self._con.execute(self._sql).fetchone()
        finally:
            self._con.unregister(_BATCH)
        assert row is not None
        self.add(tuple(row))

    def add(self, row: tuple[object, ...]) -> None:
        """Add the result of `aggregate` run elsewhere (over a relation named `_rows`)."""
        self.rows += int(row[0])  # type: ignore[call-overload]
        self._row_sum = (self._row_sum + int(row[1])) % MOD  # type: ignore[call-overload]
        for f, value in zip(self._fields, row[2:], strict=True):
            self._fields_sum[f] = (self._fields_sum[f] + int(value)) % MOD  # type: ignore[call-overload]

    def row_digest(self) -> str:
        return f"{self._row_sum:016x}"

    def result(self) -> dict[str, str]:
        return {f: f"{v:016x}" for f, v in self._fields_sum.items()}

    def stats(self) -> dict[str, object]:
        """What the package index records about an entity's content."""
        return {
            "digest_algorithm": ALGORITHM,
            "row_digest": self.row_digest(),
            "field_digests": self.result(),
        }
