"""FHIR R4 documents: files (JSON resource, Bundle, NDJSON) -> resources, and canonical -> Bundle.

`load` flattens what `read_fhir` is given into resources with their position, for references
to be resolved across files; a document that cannot be parsed becomes a Rejection naming the file
and line, never a value. `FhirBundleWriter` writes one `collection` Bundle with the resources of
the NDJSON writer (`fhir_encode`), so both outputs carry the same mapping.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from ariane.connectors.fhir_batch import CREDENTIAL_FIELD, prepare
from ariane.connectors.fhir_common import JSON
from ariane.connectors.fhir_encode import BUILDERS
from ariane.connectors.messages import Rejection, make_output_dir, store_new_file
from ariane.errors import SourceError, TargetError
from ariane.model.entities import ORDER, entity

SUFFIXES: Final = frozenset({".json", ".ndjson", ".jsonl"})
NDJSON: Final = frozenset({".ndjson", ".jsonl"})
NO_RESOURCE: Final = "Bundle.entry (no resource)"


@dataclass(frozen=True)
class Item:
    """One resource read, with where it came from (for references and for rejections)."""

    file: str
    index: int  # NDJSON line, else 1 (the document)
    where: str  # "entry 3" inside a Bundle, "" at top level
    resource: JSON
    full_url: str | None


@dataclass
class Loaded:
    items: list[Item]
    rejections: list[Rejection]
    unknown: dict[str, int]


def load(paths: Iterable[Path | str]) -> Loaded:
    out = Loaded([], [], {})
    for path in _expand(paths):
        _load_file(path, out)
    return out


def _expand(paths: Iterable[Path | str]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(
                sorted(c for c in p.iterdir() if c.is_file() and c.suffix.lower() in SUFFIXES)
            )
        elif p.is_file():
            files.append(p)
        else:
            raise SourceError(f"FHIR input not found: {p.name}")
    return files


def _reject_constant(_: str) -> Any:
    raise ValueError  # NaN and Infinity: accepted by Python's json, not by JSON or FHIR


_DECODER: Final = json.JSONDecoder(parse_constant=_reject_constant)  # built once: 25% faster


def _load_file(path: Path, out: Loaded) -> None:
    name = path.name
    try:
        data = path.read_bytes()
    except OSError:
        raise SourceError(f"cannot read FHIR file {name}") from None
    if path.suffix.lower() in NDJSON:
        for number, line in enumerate(data.split(b"\n"), 1):
            if line.strip():
                _document(name, number, line, out)
    else:
        _document(name, 1, data, out)


def _document(name: str, index: int, raw: bytes, out: Loaded) -> None:
    try:
        doc = _DECODER.decode(raw.decode("utf-8-sig"))
        if b"\\u" in raw:
            # A \uD800-\uDFFF escape outside a pair decodes to a lone surrogate, which no
            # UTF-8 column can hold: refuse the document here rather than fail the batch later.
            json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except ValueError:  # UnicodeDecodeError, UnicodeEncodeError and JSONDecodeError included
        out.rejections.append(Rejection(name, index, None, None, "not a UTF-8 JSON document"))
        return
    except RecursionError:
        out.rejections.append(Rejection(name, index, None, None, "JSON nested too deeply"))
        return
    if not isinstance(doc, dict) or not isinstance(doc.get("resourceType"), str):
        out.rejections.append(Rejection(name, index, None, None, "not a FHIR resource"))
        return
    for where, resource, full_url in _flatten(doc, "", None):
        if resource is None:
            out.unknown[NO_RESOURCE] = out.unknown.get(NO_RESOURCE, 0) + 1
        elif not isinstance(resource.get("resourceType"), str):
            out.rejections.append(
                Rejection(name, index, None, None, f"{where or 'resource'}: no resourceType")
            )
        else:
            out.items.append(Item(name, index, where, resource, full_url))


def _flatten(doc: JSON, where: str, full_url: str | None) -> Iterator[tuple[str, Any, str | None]]:
    """Resources of a document; Bundles (any type, nested too) are replaced by their entries."""
    if doc.get("resourceType") != "Bundle":
        yield where, doc, full_url
        return
    entries = doc.get("entry") or []
    if not isinstance(entries, list):
        yield where, {}, full_url  # no resourceType: rejected by the caller
        return
    for n, entry in enumerate(entries, 1):
        here = f"{where} entry {n}".strip()
        if not isinstance(entry, dict):
            yield here, {}, None
            continue
        resource = entry.get("resource")
        url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
        if resource is None:  # a DELETE in a transaction, or a search outcome without one
            yield here, None, url
        elif not isinstance(resource, dict):
            yield here, {}, url
        else:
            yield from _flatten(resource, here, url)


# --- output ----------------------------------------------------------------------------------


class FhirBundleWriter:
    """Writes canonical tables as one FHIR R4 `collection` Bundle, `<out_dir>/<name>`.

    The resources are those of `FhirNdjsonWriter` (same builders, same mapping). A Bundle is one
    JSON document, so it is built in memory; use NDJSON for large volumes. Entries' fullUrl is
    `urn:uuid:` + 128 bits of SHA-256 of `<type>/<id>` (a request's ServiceRequest, Specimen and
    DiagnosticReport share an id, and fullUrls must be unique); references stay `<type>/<id>`.
    """

    def __init__(self, out_dir: Path, name: str = "Bundle.json") -> None:
        self._dir = Path(out_dir)
        self._name = name
        make_output_dir(self._dir, "FHIR")

    def write(self, entity_tables: Mapping[str, pa.Table]) -> Path:
        unknown = sorted(set(entity_tables) - set(ORDER))
        if unknown:
            raise TargetError(f"entities not in the canonical model: {unknown}")
        entries: list[JSON] = []
        for name in ORDER:
            table = entity_tables.get(name)
            if table is None:
                continue
            table = _without_empty_credential(table)
            ent = entity(name)
            for batch in table.to_batches():
                prepared = prepare(ent, batch)
                for build in BUILDERS[name]:
                    entries.extend(_entry(r) for r in build(prepared))
        bundle: JSON = {"resourceType": "Bundle", "type": "collection", "entry": entries}
        try:
            text = json.dumps(bundle, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except ValueError:
            raise TargetError("a value has no JSON form") from None
        return self._store(text.encode("utf-8"))

    def _store(self, data: bytes) -> Path:
        final = self._dir / self._name
        store_new_file(final, data, f"FHIR Bundle {self._name}")
        return final


def _without_empty_credential(table: pa.Table) -> pa.Table:
    # The readers return every canonical column; an all-null credential column carries nothing.
    names = table.column_names
    if CREDENTIAL_FIELD in names and table.column(CREDENTIAL_FIELD).null_count == table.num_rows:
        return table.drop_columns([CREDENTIAL_FIELD])
    return table  # `prepare` refuses a credential column holding values


def _entry(resource: JSON) -> JSON:
    digest = hashlib.sha256(f"{resource['resourceType']}/{resource['id']}".encode()).hexdigest()
    uuid = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    return {"fullUrl": f"urn:uuid:{uuid}", "resource": resource}
