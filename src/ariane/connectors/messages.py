"""What message readers (HPRIM, HL7 v2, FHIR) hand back: canonical tables plus what they refused.

A `Rejection` names a file, a position and a reason, never a value read from the message: it is
logged and reported to people who must not see patient data. `CanonicalBatch.unknown_segments`
counts records (or FHIR resource types) the reader did not map, so that nothing is dropped silently;
a reader may also count values it could not map, under a key naming the field and the reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from ariane.model.entities import ENTITIES, ORDER


@dataclass(frozen=True)
class Rejection:
    file: str
    message_index: int
    segment: str | None
    field: str | None
    reason: str  # no patient values ever


@dataclass
class CanonicalBatch:
    tables: dict[str, pa.Table]
    rejections: list[Rejection] = field(default_factory=list)
    unknown_segments: dict[str, int] = field(default_factory=dict)


def merge_rows(old: dict[str, object], new: dict[str, object]) -> bool:
    """Fill `old`'s gaps from `new` (one record told twice); False when both hold different
    values for a field."""
    same = True
    for k, v in new.items():
        if v is None:
            continue
        if old.get(k) is None:
            old[k] = v
        elif old[k] != v:
            same = False
    return same


def empty_tables() -> dict[str, pa.Table]:
    """One empty table per canonical entity, every field in model order with its Arrow type."""
    return {name: ENTITIES[name].schema().empty_table() for name in ORDER}


def to_canonical(entity: str, rows: list[dict[str, object]]) -> pa.Table:
    """Rows (dicts keyed by canonical field name) as a canonical table; missing fields are null.

    Keys that are not fields of the entity are a programming error, not data: they raise KeyError
    rather than being dropped.
    """
    ent = ENTITIES[entity]
    extra = set().union(*rows) - set(ent.field_names) if rows else set()
    if extra:
        raise KeyError(f"{entity}: {sorted(extra)}")
    return pa.Table.from_pylist(rows, schema=ent.schema())


def cast_column(entity: str, name: str, arr: pa.Array, wanted: pa.DataType) -> pa.Array:
    """A writer's input column in its canonical type, or a TargetError naming the types only
    (Arrow's own message may quote a value)."""
    from ariane.errors import TargetError

    if arr.type == wanted:
        return arr
    try:
        return arr.cast(wanted, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise TargetError(f"{entity}.{name}: type {arr.type} is not {wanted}") from None


def make_output_dir(path: Path, fmt: str) -> None:
    """Create a target's output folder (0700: it will hold personal data in clear)."""
    from ariane.errors import TargetError

    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        raise TargetError(f"cannot create the {fmt} output directory {path}") from None


def publish_staged(staging: Path, folder: Path, names: Iterable[str], what: str) -> None:
    """Rename the named files of a target's staging folder into `folder`, make the renames
    durable, and remove the (then empty) staging folder."""
    from ariane.crypto.files import fsync_dir
    from ariane.errors import TargetError

    try:
        for name in names:
            os.replace(staging / name, folder / name)
        fsync_dir(folder)
        staging.rmdir()
    except OSError:
        raise TargetError(f"cannot move the {what} into {folder}") from None


def store_new_file(path: Path, data: bytes, what: str) -> None:
    """Write a message file whole (0600, fsynced, renamed into place), never over another."""
    from ariane.crypto.files import write_atomic
    from ariane.errors import TargetError, UsageError

    try:
        write_atomic(path, data)
    except UsageError:
        raise TargetError(f"{what} already exists") from None
    except OSError:
        raise TargetError(f"cannot write {what}") from None
