"""Targets behind one small interface: load an entity's batches, read them back for reconciliation.

`fhir:DIR` is FHIR R4 NDJSON in a folder; `sqlite:...` and `postgresql://...` are SQL databases
with the canonical target schema.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import shutil
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa
import pyarrow.parquet as pq

from ariane.connectors.fhir_common import FILES
from ariane.connectors.fhir_ndjson import FhirNdjsonWriter, read_back
from ariane.connectors.messages import make_output_dir, publish_staged
from ariane.connectors.sql_target import SqlTarget
from ariane.crypto.files import write_atomic
from ariane.errors import TargetError, UsageError

CHECKPOINT = "checkpoint.json"  # in a FHIR entity's staging folder: parts written so far
READ_ROWS = 100_000


# Fields a target's format cannot carry, by entity: reconciled on the field digests alone.
Uncarried = Mapping[str, frozenset[str]]
CARRIES_ALL: Uncarried = MappingProxyType({})


class Target(Protocol):
    @property
    def deferred_writes(self) -> bool:
        """True: nothing is written before close() (message files), so the load records no
        entity as done before then."""

    @property
    def uncarried(self) -> Uncarried: ...

    def describe(self) -> str: ...

    def prepare(self) -> None: ...

    def load(self, entity: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int: ...

    def read_back(self, entity: str, columns: Sequence[str]) -> pa.Table: ...

    def close(self) -> None: ...


@runtime_checkable
class PartLoader(Protocol):
    """A target that loads whole decrypted Parquet parts itself (memory stays flat) and, with
    a run id, checkpoints each part so that a resumed load starts at the next one."""

    def load_parts(
        self,
        entity: str,
        schema: pa.Schema,
        parts: Iterable[tuple[int, bytes]],
        run: str | None = None,
    ) -> int: ...

    def parts_loaded(self, run: str, entity: str) -> int: ...


@runtime_checkable
class SqlInspection(Protocol):
    """A target that answers in SQL about what it holds: digests computed where the rows are
    read (nothing crosses into Python but the sums), counts, columns holding values."""

    def digest_rows(
        self, entity: str, columns: Sequence[str], aggregate: str
    ) -> tuple[Any, ...]: ...

    def count(self, entity: str) -> int: ...

    def non_null_columns(self, entity: str) -> list[str]: ...


class FhirTarget:
    """FHIR R4 NDJSON files in a folder, one set of files per entity (FILES).

    An entity is written into a staging folder and its files are renamed into place only when
    all its rows are written and flushed: a load killed mid-entity leaves no half-written file
    among the final ones. Loaded from package parts (`load_parts` with a run id), the staging
    folder is checkpointed after each part (the files' sizes, fsynced first): a resumed load
    cuts the files back to the last checkpoint and carries on from the next part. Otherwise
    loading the entity again replaces its staged files instead of appending to them.
    """

    deferred_writes = False
    uncarried = CARRIES_ALL

    def __init__(self, folder: pathlib.Path) -> None:
        self.folder = folder

    def describe(self) -> str:
        return f"fhir:{self.folder}"

    def prepare(self) -> None:
        make_output_dir(self.folder, "FHIR")

    def _staging(self, entity: str) -> pathlib.Path:
        return self.folder / f".{entity}.partial"

    def load(self, entity: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
        return self._write_staged(entity, [(None, batches)], None)

    def load_parts(
        self,
        entity: str,
        schema: pa.Schema,
        parts: Iterable[tuple[int, bytes]],
        run: str | None = None,
    ) -> int:
        """Like `load`, from whole Parquet parts; with `run`, checkpointed after each part."""
        groups = (
            (expected, pq.ParquetFile(pa.BufferReader(data)).iter_batches(READ_ROWS))
            for expected, data in parts
        )
        return self._write_staged(entity, groups, run)

    def _write_staged(
        self,
        entity: str,
        groups: Iterable[tuple[int | None, Iterable[pa.RecordBatch]]],
        run: str | None,
    ) -> int:
        """Write groups of batches (parts, with their expected rows) into the entity's staging
        folder, then publish its files; with `run`, checkpoint after each group."""
        self.prepare()
        staging = self._staging(entity)
        state = self._checkpoint(entity, run) if run is not None else None
        if state is None and staging.exists():
            shutil.rmtree(staging)  # left by an interrupted load: never taken as complete
        elif state is not None:
            for name, size in state["sizes"].items():
                # What was appended after the checkpoint belongs to a part not recorded.
                os.truncate(staging / name, int(size))
        done = int(state["parts"]) if state else 0
        n = int(state["rows"]) if state else 0
        with FhirNdjsonWriter(staging) as writer:
            writer.write(entity, [])  # the entity's files exist even when it has no row
            for expected, batches in groups:
                rows = 0
                for batch in batches:
                    writer.write(entity, [batch])
                    rows += batch.num_rows
                if expected is not None and rows != expected:
                    raise TargetError(f"load of {entity}: a part of {expected} rows wrote {rows}")
                n, done = n + rows, done + 1
                if run is not None:
                    sizes = writer.sync()
                    doc = {"run": run, "parts": done, "rows": n, "sizes": sizes}
                    write_atomic(staging / CHECKPOINT, json.dumps(doc).encode(), replace=True)
        (staging / CHECKPOINT).unlink(missing_ok=True)
        publish_staged(staging, self.folder, FILES[entity], f"{entity} files")
        return n

    def parts_loaded(self, run: str, entity: str) -> int:
        state = self._checkpoint(entity, run)
        return int(state["parts"]) if state else 0

    def _checkpoint(self, entity: str, run: str | None) -> dict[str, Any] | None:
        path = self._staging(entity) / CHECKPOINT
        try:
            state: dict[str, Any] = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if state.get("run") != run or not isinstance(state.get("sizes"), dict):
            return None
        staged = self._staging(entity)
        try:
            for name, size in state["sizes"].items():
                if name not in FILES[entity] or (staged / name).stat().st_size < int(size):
                    return None  # not what this checkpoint describes: start afresh
        except (OSError, ValueError, TypeError):
            return None
        return state

    def read_back(self, entity: str, columns: Sequence[str]) -> pa.Table:
        return read_back(self.folder, entity, columns)

    def close(self) -> None:
        pass


def open_target(spec: str, now: dt.datetime | None = None) -> Target:
    """`now` stamps message headers (HL7 MSH-7, HPRIM H) for message targets."""
    if spec.startswith(("hl7v2:", "hprim:")):
        from ariane.connectors import message_target

        fmt, _, rest = spec.partition(":")
        if not rest:
            raise UsageError(f"{fmt}: target needs a folder, e.g. {fmt}:out/{fmt}")
        stamp = now or dt.datetime.now(dt.UTC)
        make = message_target.hl7v2_target if fmt == "hl7v2" else message_target.hprim_target
        return make(pathlib.Path(rest), stamp)
    if spec.startswith("fhir:"):
        folder = pathlib.Path(spec.removeprefix("fhir:"))
        if not str(folder):
            raise UsageError("fhir: target needs a folder, e.g. fhir:out/fhir")
        return FhirTarget(folder)
    if spec.startswith(("sqlite:", "postgresql://", "postgres://")):
        return SqlTarget.from_url(spec)
    raise UsageError(
        "target must be sqlite:PATH, postgresql://..., fhir:DIR, hl7v2:DIR or hprim:DIR"
    )
