"""Order-independent content digests per field, computed the same way on both sides.

For a field f of an entity with key k, the digest is the sum, modulo 2^64, of the low 64 bits of
MD5(k || 0x1F || text(f)) over all rows, where text() is DuckDB's canonical cast to VARCHAR and a
NULL is a 0x00 byte. A sum is insensitive to row order (targets return rows in any order) and
changes when any value, key or row changes; it is an integrity check against accidents, while the
package's signature guards against tampering. Digests reveal nothing about values.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from ariane.connectors.duck import quote_ident

MOD = 1 << 64


class FieldDigests:
    def __init__(self, con: duckdb.DuckDBPyConnection, key: str, fields: tuple[str, ...]) -> None:
        self._con = con
        self._key = key
        self._fields = fields
        self._sums = dict.fromkeys(fields, 0)
        self.rows = 0
        k = f"COALESCE(CAST({quote_ident(key)} AS VARCHAR), chr(0))"
        sums = ", ".join(
            f"COALESCE(sum(md5_number_lower({k} || chr(31) || "
            f"COALESCE(CAST({quote_ident(f)} AS VARCHAR), chr(0)))::HUGEINT), 0) % {MOD}"
            for f in fields
        )
        self._sql = f"SELECT count(*), {sums} FROM _digest_batch"

    def update(self, batch: pa.RecordBatch | pa.Table) -> None:
        self._con.register("_digest_batch", batch)
        try:
            row = self._con.execute(self._sql).fetchone()
        finally:
            self._con.unregister("_digest_batch")
        assert row is not None
        self.rows += int(row[0])
        for f, value in zip(self._fields, row[1:], strict=True):
            self._sums[f] = (self._sums[f] + int(value)) % MOD

    def result(self) -> dict[str, str]:
        return {f: f"{v:016x}" for f, v in self._sums.items()}


def table_digests(
    con: duckdb.DuckDBPyConnection, key: str, table: pa.Table, batch_rows: int = 200_000
) -> tuple[int, dict[str, str]]:
    d = FieldDigests(con, key, tuple(table.column_names))
    for batch in table.to_batches(max_chunksize=batch_rows):
        d.update(batch)
    return d.rows, d.result()
