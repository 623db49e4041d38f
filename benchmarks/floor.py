"""The extraction's floor: the same extraction with its guarantees switched off, one by one.

For measurement only (`run.py --floor`): each variant replaces a step of Ariane's extraction by
nothing, in the benchmark's own child process, so that the benchmark can say how much of the
time each guarantee costs and how far from the raw copy the extraction would be without them.
What such a run writes is not a valid package (no digests, clear or empty parts) and the
variants never run outside the benchmark.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

# Variant -> steps switched off. Reading, classifying and counting every source row (the
# partition) always stay: without them there is no extraction at all.
VARIANTS: dict[str, tuple[str, ...]] = {
    "floor-no-digests": ("digests",),
    "floor-no-digests-parquet-seal": ("digests", "parquet", "seal"),
    "floor-read-classify": ("digests", "parquet", "seal", "checks", "transform"),
}

LABELS: dict[str, str] = {
    "floor-no-digests": "floor: no digests",
    "floor-no-digests-parquet-seal": "floor: no digests, Parquet, age",
    "floor-read-classify": "floor: read + classify + count only",
}


@contextlib.contextmanager
def switched_off(steps: tuple[str, ...]) -> Iterator[None]:
    """Replace the named steps of the extraction by no-ops for the duration."""
    from ariane.package import writer
    from ariane.reconcile import digest
    from ariane.scope import extract

    saved: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, value: Any) -> None:
        saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    if "digests" in steps:

        def count_only(self: Any, batch: Any) -> None:
            self.rows += batch.num_rows  # the row count is still checked against the scope

        patch(digest.FieldDigests, "update", count_only)
    if "parquet" in steps:
        import pyarrow.parquet as pq

        patch(pq.ParquetWriter, "write_table", lambda self, table, row_group_size=None: None)
    if "seal" in steps:
        patch(writer, "encrypt_stream", lambda src, out, recipient: out.write(src.read()))
    if "checks" in steps:
        patch(extract, "_check", lambda *args: None)
    if "transform" in steps:
        import pyarrow as pa

        def select_only(batch: Any, schema: Any, maps: Any, rules: Any, entity: str) -> Any:
            columns = [
                batch.column("__p_" + f.name if f.name in maps else f.name).cast(f.type)
                for f in schema
            ]
            return pa.RecordBatch.from_arrays(columns, schema=schema)

        patch(extract, "_transform", select_only)
    try:
        yield
    finally:
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)
