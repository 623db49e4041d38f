"""Canonical Arrow batch -> checked per-field Python lists, ready for the FHIR resource builders.

Everything that can be decided per column (refusals, types, ranges, blank strings, code syntax,
date and timestamp formatting, resource ids) is done here once per batch with Arrow compute, so
that the per-row Python in `fhir_encode` only assembles dicts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from ariane.connectors import fhir_common as f
from ariane.connectors.fhir_common import JSON
from ariane.connectors.messages import cast_column
from ariane.errors import TargetError
from ariane.model.entities import DATE, FLOAT, STRING, TIMESTAMP, Entity

CREDENTIAL_FIELD: Final = "portal_password"

# A FHIR string needs a character that is a space, tab, CR, LF or non-whitespace (fhir.resources
# checks `[ \r\n\t\S]+` with Unicode \s); RE2's \s is ASCII-only, hence the explicit class.
_NON_SPACE: Final = r"[^\pZ\t\n\x0b\x0c\r\x1c-\x1f\x85]"
_FHIR_STRING: Final = r"[ \t\n\r]|" + _NON_SPACE
_FHIR_CODE: Final = rf"^{_NON_SPACE}+( {_NON_SPACE}+)*$"
# Canonical fields written as a FHIR `code` whose value is free: the rest are mapped from enums.
CODE_FIELDS: Final = frozenset({"loinc_code", "local_code", "sensitivity"})

# Year 0001 to 9999: FHIR dates have four-digit years and no year zero.
_DAY_RANGE: Final = (-719_162, 2_932_896)
_US_RANGE: Final = (-62_135_596_800_000_000, 253_402_300_799_999_999)


@dataclass(frozen=True)
class Prepared:
    """One batch, checked and turned into per-field Python lists (absent fields: all None)."""

    n: int
    present: frozenset[str]
    cols: dict[str, list[Any]]
    rids: list[str]  # resource id of each row, from its key
    ids: dict[str, list[str | None]]  # resource ids of identifier fields, from original values
    raw_codes: dict[str, list[str | None]]  # CODE_FIELDS values that are not valid FHIR codes
    blanks: list[list[JSON]] | None  # per row: EXT_BLANK extensions for empty/blank strings


def prepare(entity: Entity, batch: pa.RecordBatch) -> Prepared:
    names = batch.schema.names
    if CREDENTIAL_FIELD in names:
        raise TargetError(f"credential field {CREDENTIAL_FIELD} is never written")
    unknown = sorted(set(names) - set(entity.field_names))
    if unknown:
        raise TargetError(f"{entity.name}: columns not in the canonical model: {unknown}")
    if len(set(names)) != len(names):
        raise TargetError(f"{entity.name}: duplicate columns")
    if entity.key not in names:
        raise TargetError(f"{entity.name}: key column {entity.key} is missing")
    n = batch.num_rows
    cols: dict[str, list[Any]] = {}
    rids: list[str] = []
    ids: dict[str, list[str | None]] = {}
    raw_codes: dict[str, list[str | None]] = {}
    blanks: list[list[JSON]] | None = None
    for name in names:
        field = entity.field(name)
        arr = cast_column(entity.name, name, batch.column(name), field.type)
        if name == entity.key and arr.null_count:
            raise TargetError(f"{entity.name}: {arr.null_count} rows without a {name}")
        if field.type == STRING:
            if name == entity.key:
                rids = [f.resource_id(v) for v in arr.to_pylist()]
            elif field.domain is not None:
                ids[name] = _resource_ids(arr.to_pylist())
            blank = pc.invert(pc.match_substring_regex(arr, _FHIR_STRING)).fill_null(False)
            if pc.any(blank).as_py():
                blanks = blanks if blanks is not None else [[] for _ in range(n)]
                for i in pc.indices_nonzero(blank).to_pylist():
                    value = json.dumps(arr[i].as_py())
                    blanks[i].append({"url": f.EXT_BLANK, "valueString": f"{name}={value}"})
                arr = pc.if_else(blank, pa.scalar(None, STRING), arr)
            if name in CODE_FIELDS:
                valid = pc.match_substring_regex(arr, _FHIR_CODE).fill_null(True)
                raw_codes[name] = pc.if_else(valid, pa.scalar(None, STRING), arr).to_pylist()
                arr = pc.if_else(valid, arr, pa.scalar(None, STRING))
            cols[name] = arr.to_pylist()
        elif field.type == FLOAT:
            bad = pc.sum(pc.invert(pc.is_finite(arr))).as_py() or 0
            if bad:
                raise TargetError(f"{entity.name}.{name}: {bad} values are NaN or infinite")
            cols[name] = arr.to_pylist()
        elif field.type == DATE:
            _check_range(entity, name, arr, pa.int32(), _DAY_RANGE)
            cols[name] = pc.strftime(arr, format="%Y-%m-%d").to_pylist()
        elif field.type == TIMESTAMP:
            _check_range(entity, name, arr, pa.int64(), _US_RANGE)
            text = pc.strftime(arr, format="%Y-%m-%dT%H:%M:%S")  # %S carries the microseconds
            text = pc.replace_substring_regex(text, pattern=r"\.000000$", replacement="")
            cols[name] = pc.binary_join_element_wise(text, "Z", "").to_pylist()
        else:  # pragma: no cover - the canonical model has only the four types above
            raise TargetError(f"{entity.name}.{name}: unsupported type")
    absent: list[Any] = [None] * n
    for name in entity.field_names:
        cols.setdefault(name, absent)
        if name != entity.key and entity.field(name).domain is not None:
            ids.setdefault(name, absent)
    for name in CODE_FIELDS:
        raw_codes.setdefault(name, absent)
    return Prepared(n, frozenset(names), cols, rids, ids, raw_codes, blanks)


def _check_range(
    entity: Entity, name: str, arr: pa.Array, as_int: pa.DataType, bounds: tuple[int, int]
) -> None:
    ints = arr.view(as_int)
    bad = pc.sum(pc.or_(pc.less(ints, bounds[0]), pc.greater(ints, bounds[1]))).as_py() or 0
    if bad:
        raise TargetError(f"{entity.name}.{name}: {bad} values outside years 0001-9999")


def _resource_ids(values: list[str | None]) -> list[str | None]:
    # References repeat (one request, many results): digest each distinct key once.
    seen: dict[str, str] = {}
    out: list[str | None] = []
    for v in values:
        if v is None:
            out.append(None)
        else:
            rid = seen.get(v)
            if rid is None:
                rid = seen[v] = f.resource_id(v)
            out.append(rid)
    return out
