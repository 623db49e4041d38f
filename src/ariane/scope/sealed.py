"""Resuming an entity mid-way: leave out the rows an interrupted run already sealed.

The extraction stream is read again in full (the partition is counted over every source row
and the digests over every transferred row, as in an uninterrupted run); only the rows whose
key is among the sealed parts' keys are not passed on to be sealed a second time. Every sealed
key must be met again exactly once, or the source changed and the run stops.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa

from ariane.connectors import duck
from ariane.errors import IntegrityError

_SEALED = "_sealed_keys"
_BATCH = "_batch_keys"


def skip_sealed(
    batches: Iterable[pa.RecordBatch], key: str, sealed: pa.Array, entity: str
) -> Iterator[pa.RecordBatch]:
    # Memory only (no spill area): the keys never reach the disk in clear.
    con = duck.connect(threads=1)
    try:
        con.register("_sealed_arrow", pa.table({"k": sealed}))
        con.execute(f"CREATE TABLE {_SEALED} AS SELECT DISTINCT k FROM _sealed_arrow")
        con.unregister("_sealed_arrow")
        row = con.execute(f"SELECT count(*) FROM {_SEALED}").fetchone()
        if row is None or row[0] != len(sealed) or sealed.null_count:
            raise IntegrityError(f"{entity}: the sealed parts' key lists are inconsistent")
        met = 0
        for batch in batches:
            keys = pa.table({"k": batch.column(key), "i": np.arange(batch.num_rows)})
            con.register(_BATCH, keys)
            try:
                found = con.execute(
                    f"SELECT i FROM {_BATCH} b SEMI JOIN {_SEALED} s ON b.k = s.k"
                ).fetchnumpy()["i"]
            finally:
                con.unregister(_BATCH)
            met += len(found)
            if len(found) == 0:
                yield batch
                continue
            keep = np.ones(batch.num_rows, dtype=bool)
            keep[found] = False
            if keep.any():
                yield batch.filter(pa.array(keep))
        if met != len(sealed):
            raise IntegrityError(
                f"{entity}: the source changed since the interrupted extraction "
                f"({len(sealed)} rows sealed before, {met} of them found again); "
                "its sealed parts are discarded: extract again"
            )
    finally:
        con.close()
