"""Checks on the batches a SQL target is asked to load, before any of them reaches the database.

A load's schema must be canonical (known columns, canonical Arrow types, the key present), every
batch must match it, and no value may be one the backend would change silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from ariane.errors import TargetError
from ariane.model.entities import FLOAT, STRING, Entity

# What the backends would do to a value silently; both load paths refuse it, naming the column.
NAN_WHY = "NaN value(s), which SQLite would store as NULL"
NUL_WHY = "value(s) with a NUL character, which PostgreSQL text cannot store"


def check_schema(ent: Entity, schema: pa.Schema) -> None:
    if len(schema) == 0:
        raise TargetError(f"load of {ent.name}: no columns")
    if len(set(schema.names)) != len(schema.names):
        raise TargetError(f"load of {ent.name}: a column is named twice")
    for f in schema:
        if not ent.has(f.name):
            raise TargetError(f"{ent.name} has no canonical column {f.name!r}")
        want = ent.field(f.name).type
        if f.type != want:
            raise TargetError(
                f"load of {ent.name}: column {f.name} is {f.type}; canonical type is {want}"
            )
    if ent.key not in schema.names:
        raise TargetError(f"load of {ent.name}: the key column {ent.key} is missing")


class Feed:
    """The batches of one load, checked on the way in, counted, and any failure remembered."""

    def __init__(
        self,
        ent: Entity,
        schema: pa.Schema,
        batches: Iterable[pa.RecordBatch],
        *,
        forbid_nan: bool,
        forbid_nul: bool,
    ) -> None:
        self._ent = ent
        self._schema = schema
        self._batches = batches
        self._types = [f.type for f in schema]
        # SQLite turns NaN into NULL; PostgreSQL TEXT cannot hold U+0000. Refuse rather than
        # let either backend change a value silently (or fail without naming the column).
        self._floats = [f.name for f in schema if f.type == FLOAT] if forbid_nan else []
        self._strings = [f.name for f in schema if f.type == STRING] if forbid_nul else []
        self.rows = 0
        self.error: BaseException | None = None

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        try:
            for batch in self._batches:
                yield self._checked(batch)
        except GeneratorExit:
            raise
        except BaseException as exc:
            self.error = exc
            raise

    def _checked(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        name = self._ent.name
        types = [f.type for f in batch.schema]
        if batch.schema.names != self._schema.names or types != self._types:
            raise TargetError(f"load of {name}: a batch's columns differ from the declared schema")
        if not batch.schema.equals(self._schema):  # metadata or nullability only: relabel
            batch = pa.RecordBatch.from_arrays(batch.columns, schema=self._schema)
        for col in self._floats:
            nan = pc.sum(pc.is_nan(batch.column(col))).as_py() or 0
            if nan:
                raise TargetError(f"load of {name}: column {col} holds {nan} {NAN_WHY}")
        for col in self._strings:
            nul = pc.sum(pc.match_substring(batch.column(col), "\x00")).as_py() or 0
            if nul:
                raise TargetError(f"load of {name}: column {col} holds {nul} {NUL_WHY}")
        self.rows += batch.num_rows
        return batch
