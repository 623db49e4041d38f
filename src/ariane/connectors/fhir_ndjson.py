"""Target writer: canonical model -> FHIR R4 NDJSON, and read-back for reconciliation.

One JSON resource per line, UTF-8, written from plain dicts (building fhir.resources models per
row is far too slow at ten million rows); `validate_file` checks every line against the
fhir.resources model of its resourceType. fhir.resources 8 ships R5 as its default package and
no pure R4 package: the models used are `fhir.resources.R4B` (FHIR 4.3), whose Patient,
Practitioner, ServiceRequest, Specimen, DiagnosticReport, Observation and Communication have the
R4 elements used here unchanged, and which accept every official R4 example in the fixtures. R5
would be wrong: it has no `Communication.payload.contentString`, and its ServiceRequest.code is a
CodeableReference, so it rejects R4 ServiceRequests.

Mapping (every canonical field except the credential `portal_password`, which is refused)::

  patient.patient_id       Patient.identifier[system=urn:ariane:id:patient].value; id = digest
  patient.family_name      Patient.name[use=usual].family
  patient.given_name       Patient.name[use=usual].given[0]  (one element: splitting is lossy)
  patient.birth_name       Patient.name[use=maiden].family
  patient.nir              Patient.identifier[system=urn:oid:1.2.250.1.213.1.4.8].value
  patient.birth_date       Patient.birthDate
  patient.sex              Patient.gender (F female, M male, U unknown; else ext sex)
  patient.address          Patient.address[0].line[0]
  patient.postal_code      Patient.address[0].postalCode
  patient.city             Patient.address[0].city
  patient.phone / email    Patient.telecom[system=phone|email].value
  practitioner.practitioner_id  Practitioner.identifier[system=urn:ariane:id:practitioner]
  practitioner.family_name / given_name  Practitioner.name[0].family / given[0]
  practitioner.rpps        Practitioner.identifier[system=urn:oid:1.2.250.1.71.4.2.1].value
  practitioner.specialty   Practitioner.qualification[0].code.text
  request.request_id       identifier[system=urn:ariane:id:request] of ServiceRequest, Specimen
                           and DiagnosticReport
  request.patient_id       ServiceRequest.subject (1..1: data-absent-reason when null/untransferred)
  request.prescriber_id    ServiceRequest.requester
  request.collected_at     Specimen.collection.collectedDateTime (and DiagnosticReport.effective)
  request.received_at      Specimen.receivedTime
  request.site             Specimen.extension[urn:ariane:fhir:collection-site].valueString
  result.result_id         Observation.identifier[system=urn:ariane:id:result]
  result.request_id        Observation.basedOn (ServiceRequest)
  result.loinc_code        Observation.code.coding[system=http://loinc.org].code
  result.local_code        Observation.code.coding[system=urn:ariane:local-code].code
  result.label             Observation.code.text
  result.value_num / unit  Observation.valueQuantity.value / .unit
  result.value_text        Observation.valueString, or ext value-text beside a valueQuantity
  result.ref_low / ref_high  Observation.referenceRange[0].low.value / high.value
  result.flag              Observation.interpretation[0] (v3 code for L/H/N/A, else .text)
  result.status            Observation.status (F final, P preliminary, C corrected, null
                           unknown; any other code: unknown + ext result-status)
  result.validated_at      Observation.issued
  result.validator_id      Observation.performer (Practitioner)
  result.sensitivity       Observation.meta.security[system=urn:ariane:sensitivity].code
  comment.comment_id       Communication.identifier[system=urn:ariane:id:comment]
  comment.request_id / result_id  Communication.about (ServiceRequest / Observation)
  comment.written_at       Communication.sent
  comment.text             Communication.payload[0].contentString

Decisions:

- Resource ids are 32 hex digits of SHA-256 of the key (keys and pseudonyms may hold any
  character, ids may not); every Reference also carries the referenced key as `identifier`, so
  read-back never needs to invert a digest.
- Comments are Communications, not Observation.note: a comment streams as its own entity, may
  belong to a request without a result, and has its own id and time, which an Annotation inside
  the result could only hold by rewriting that result. Both links go in `about` (`basedOn` would
  claim the comment fulfils the order).
- Timestamps: the canonical model's naive timestamps are taken as UTC and written with "Z",
  to the microsecond (the fraction is omitted when zero); FHIR requires an offset on any time.
  Read-back converts any offset to UTC. Dates are YYYY-MM-DD; years outside 0001-9999 are refused.
- Floats are JSON numbers in Python's shortest round-trip repr, so they come back bit-exact;
  NaN and infinities have no FHIR form and are refused.
- FHIR has no empty or whitespace-only string, and a `code` cannot hold arbitrary spacing. Such
  canonical values are carried in extensions (`blank`, `code`) so that "" stays "" and not null.
- Absent and null are the same in FHIR: read-back returns only the requested columns, which are
  the ones the manifest transferred. A required element with no value (ServiceRequest.subject,
  Observation.code) carries data-absent-reason "masked" (not transferred) or "unknown" (null).
- Messages name files, line numbers, fields and counts, never a value; third-party exceptions
  are not chained, since pydantic and Arrow messages quote input values.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from itertools import zip_longest
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

import pyarrow as pa
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError

from ariane.connectors import fhir_decode as dec
from ariane.connectors.fhir_batch import CREDENTIAL_FIELD, prepare
from ariane.connectors.fhir_common import FILES, JSON, resource_id
from ariane.connectors.fhir_encode import BUILDERS
from ariane.connectors.messages import make_output_dir
from ariane.errors import TargetError
from ariane.model.entities import DATE, TIMESTAMP, Entity
from ariane.model.entities import ENTITIES as _ENTITIES

__all__ = [
    "FILES",
    "FhirNdjsonWriter",
    "read_back",
    "resource_id",
    "validate_file",
    "validate_resource",
]

# Same output as json.dumps(..., ensure_ascii=False, separators=(",", ":")), built once.
_ENCODER: Final = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False
)
_FHIR_ID: Final = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_SAFE_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_CHUNK: Final = 65_536


def _entity(name: str) -> Entity:
    try:
        return _ENTITIES[name]
    except KeyError:
        raise TargetError("unknown entity for the FHIR writer") from None


class FhirNdjsonWriter:
    """Appends FHIR R4 resources for canonical batches to `<out_dir>/<ResourceType>.ndjson`."""

    def __init__(self, out_dir: Path) -> None:
        self._dir = Path(out_dir)
        make_output_dir(self._dir, "FHIR")
        self._files: dict[str, IO[bytes]] = {}
        self._closed = False

    def write(self, entity: str, batches: Iterable[pa.RecordBatch]) -> int:
        """Write every row of `batches`; returns the number of resources (3 per request row)."""
        if self._closed:
            raise TargetError("the FHIR writer is closed")
        ent = _entity(entity)
        # Created even for zero rows, so that read-back tells "nothing" from "never written".
        handles = [self._open(name) for name in FILES[entity]]
        written = 0
        for batch in batches:
            prepared = prepare(ent, batch)
            if prepared.n == 0:
                continue
            # Every file's text is built before any is written: a refused batch writes nothing.
            try:
                texts = [
                    "\n".join([_ENCODER.encode(r) for r in build(prepared)]) + "\n"
                    for build in BUILDERS[entity]
                ]
            except ValueError:
                raise TargetError(f"{entity}: a value has no JSON form") from None
            for name, handle, text in zip(FILES[entity], handles, texts, strict=True):
                try:
                    handle.write(text.encode("utf-8"))
                except OSError:
                    raise TargetError(f"cannot write {name}") from None
            written += prepared.n * len(handles)
        return written

    def _open(self, name: str) -> IO[bytes]:
        handle = self._files.get(name)
        if handle is None:
            try:
                # 0600: the target files hold personal data in clear.
                fd = os.open(self._dir / name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                handle = self._files[name] = os.fdopen(fd, "ab")
            except OSError:
                raise TargetError(f"cannot open {name} for writing") from None
        return handle

    def sync(self) -> dict[str, int]:
        """Flush and fsync every open file; return each file's size (a checkpoint)."""
        sizes = {}
        for name, handle in self._files.items():
            try:
                handle.flush()
                os.fsync(handle.fileno())
                sizes[name] = os.fstat(handle.fileno()).st_size
            except OSError:
                raise TargetError(f"cannot flush {name}") from None
        return sizes

    def close(self) -> None:
        """Flush and fsync every file; idempotent."""
        self._closed = True
        files, self._files = self._files, {}
        failed = []
        for name, handle in files.items():
            try:
                handle.flush()
                os.fsync(handle.fileno())
            except OSError:
                failed.append(name)
            finally:
                handle.close()
        if failed:
            raise TargetError(f"cannot flush {sorted(failed)}")

    def __enter__(self) -> FhirNdjsonWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --- reading ------------------------------------------------------------------------------


def _reject_constant(_: str) -> Any:
    raise ValueError  # NaN, Infinity: Python's json accepts them, JSON and FHIR do not


def _lines(path: Path) -> Iterator[tuple[int, JSON]]:
    """(line number, JSON object) for each line; bytes are split on LF only, since U+2028 and
    U+0085 may stand unescaped inside strings."""
    try:
        handle = path.open("rb")
    except OSError:
        raise TargetError(f"cannot open {path.name}") from None
    with handle:
        for number, raw in enumerate(handle, 1):
            try:
                obj = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
            except ValueError:  # UnicodeDecodeError and JSONDecodeError included
                raise TargetError(f"{path.name} line {number}: not a JSON document") from None
            if not isinstance(obj, dict):
                raise TargetError(f"{path.name} line {number}: not a JSON object")
            yield number, obj


def _resources(path: Path, rtype: str) -> Iterator[tuple[int, JSON]]:
    for number, obj in _lines(path):
        if obj.get("resourceType") != rtype:
            raise TargetError(f"{path.name} line {number}: not a {rtype}")
        yield number, obj


def read_back(out_dir: Path, entity: str, columns: Sequence[str]) -> pa.Table:
    """The canonical table of the requested columns, in file order, from what `write` wrote."""
    ent = _entity(entity)
    cols = tuple(columns)
    if CREDENTIAL_FIELD in cols:
        raise TargetError(f"credential field {CREDENTIAL_FIELD} is never written")
    unknown = [c for c in cols if not ent.has(c)]
    if not cols or unknown or len(set(cols)) != len(cols):
        raise TargetError(f"{entity}: columns must be distinct canonical fields, at least one")
    schema = ent.schema(cols)
    files = FILES[entity]
    out_dir = Path(out_dir)
    rtype = files[0].removesuffix(".ndjson")
    primary = _resources(out_dir / files[0], rtype)
    join = entity == "request" and not dec.SPECIMEN_FIELDS.isdisjoint(cols)
    # Specimen lines are written in lockstep with ServiceRequest lines: pair them by position.
    secondary = _resources(out_dir / files[1], "Specimen") if join else iter(())
    decode = dec.DECODERS[files[0]]
    batches: list[pa.RecordBatch] = []
    buffer: dict[str, list[Any]] = {c: [] for c in cols}
    first = 1
    for left, right in zip_longest(primary, secondary):
        if left is None or (join and right is None):
            raise TargetError(f"{files[0]} and {files[1]} differ in line count")
        number, resource = left
        try:
            values = decode(resource)
            if join:
                if right[1].get("id") != resource.get("id"):
                    raise dec.Malformed
                values.update(dec.specimen(right[1]))
            values.update(dec.blanks(resource))
            if values[ent.key] is None:
                raise dec.Malformed
        except (dec.Malformed, KeyError, TypeError, AttributeError, IndexError, ValueError):
            names = f"{files[0]}/{files[1]}" if join else files[0]
            raise TargetError(f"{names} line {number}: not a resource as written") from None
        for c in cols:
            buffer[c].append(values[c])
        if len(buffer[cols[0]]) >= _CHUNK:
            batches.append(_batch(buffer, schema, first, files))
            first = number + 1
            buffer = {c: [] for c in cols}
    if buffer[cols[0]]:
        batches.append(_batch(buffer, schema, first, files))
    return pa.Table.from_batches(batches, schema=schema)


def _batch(
    buffer: dict[str, list[Any]], schema: pa.Schema, first: int, files: tuple[str, ...]
) -> pa.RecordBatch:
    arrays = []
    for field in schema:
        values = buffer[field.name]
        if field.type in (DATE, TIMESTAMP):
            source = files[1] if field.name in dec.SPECIMEN_FIELDS else files[0]
            arrays.append(_parse_times(values, field.type, source, first))
        else:
            arrays.append(pa.array(values, type=field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _parse_times(values: list[Any], wanted: pa.DataType, source: str, first: int) -> pa.Array:
    def cast(strings: list[Any]) -> pa.Array:
        text = pa.array(strings, type=pa.string())
        if wanted == DATE:
            return text.cast(DATE)
        return text.cast(pa.timestamp("us", tz="UTC")).cast(TIMESTAMP)

    try:
        return cast(values)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass  # find the line: Arrow's message quotes the value
    for offset, value in enumerate(values):
        try:
            cast([value])
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise TargetError(f"{source} line {first + offset}: bad date or time") from None
    raise TargetError(f"{source}: dates or times could not be read")  # pragma: no cover


# --- validation ----------------------------------------------------------------------------


def validate_resource(resource: JSON, where: str = "resource") -> None:
    """Validate one resource with the fhir.resources R4B model of its resourceType."""
    rtype = resource.get("resourceType")
    model: Any = None
    if isinstance(rtype, str) and _SAFE_NAME.fullmatch(rtype):
        try:
            model = get_fhir_model_class(rtype)
        except ValueError:
            model = None
    if model is None or not issubclass(model, Resource):
        raise TargetError(f"{where}: no known FHIR R4 resourceType")
    rid = resource.get("id")
    if rid is not None and not (isinstance(rid, str) and _FHIR_ID.fullmatch(rid)):
        # fhir.resources allows 255 characters; R4 allows 64.
        raise TargetError(f"{where}: id is not a valid FHIR R4 id")
    try:
        model.model_validate(resource)
    except (ValidationError, ValueError, TypeError) as exc:
        raise TargetError(f"{where}: not a valid FHIR R4 {rtype}{_locations(exc)}") from None


def _locations(exc: Exception) -> str:
    if not isinstance(exc, ValidationError):
        return ""
    paths = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False)[:3]:
        parts = [
            str(p) if isinstance(p, int) or _SAFE_NAME.fullmatch(p) else "?" for p in error["loc"]
        ]
        paths.append(".".join(parts))
    return f" at {', '.join(paths)}"


def validate_file(path: Path) -> int:
    """Validate every line of an NDJSON file with the R4B models; returns the resource count."""
    path = Path(path)
    count = 0
    for number, obj in _lines(path):
        validate_resource(obj, where=f"{path.name} line {number}")
        count += 1
    return count
