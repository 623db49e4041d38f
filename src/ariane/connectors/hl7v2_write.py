r"""Target writer: canonical tables -> HL7 v2.5.1 ORU^R01 messages, one per request.

Each message is MSH, PID (when the request has a patient), ORC, OBR, the request's comments (NTE),
then each result (OBX) followed by its comments, then ZPR segments; the field positions are the
reader's (`hl7v2_read` documents the mapping) so that what is written reads back the same:

  MSH  MSH-2 ^~\&, MSH-3/4 sending application/facility, MSH-5/6 receiving, MSH-7 the
       `message_time` passed in (no hidden clock), MSH-9 ORU^R01^ORU_R01, MSH-10 20 hex digits of
       SHA-256(message_time, request_id) (deterministic, unique per request, no id in clear),
       MSH-11 P, MSH-12 2.5.1, MSH-18 UNICODE UTF-8
  PID  PID-3 patient_id^^^^PI ~ nir^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.8&ISO^NH,
       PID-5 family^given^^^^^L ~ birth_name^^^^^^M, PID-7 birth date, PID-8 sex,
       PID-11 address^^city^^postal code, PID-13 phone^PRN^PH^^^^^^^^^phone ~ ^NET^Internet^email
  ORC  ORC-1 RE, ORC-2 request_id, ORC-12 prescriber, ORC-21 site (ordering facility name)
  OBR  OBR-1 1, OBR-2 request_id, OBR-4 REQ^Laboratory request^L (required; the model has no
       order code), OBR-7 collected_at, OBR-14 received_at, OBR-16 prescriber
  XCN  (ORC-12, OBR-16, OBX-16) practitioner_id^family^given ~ and, when known,
       rpps^family^given^^^^^^ASIP-SANTE-PS&1.2.250.1.71.4.2.1&ISO^L^^^RPPS
  OBX  OBX-1 1..n, OBX-2 NM (value_num) or ST (value_text), OBX-3 loinc^label^LN^local^^L (or
       local^label^L, or ^label), OBX-5 value, OBX-6 unit, OBX-7 "low-high" / ">low" / "<high",
       OBX-8 flag, OBX-11 status, OBX-16 validator, OBX-19 validated_at, OBX-21 result_id
  NTE  NTE-1 1..n, NTE-2 L, NTE-3 text (formatted text: line feeds as \.br\)
  Z    ZNT|comment_id|written_at after each NTE; ZOB|value_text after an OBX that has both a
       value_num and a value_text; ZPR|practitioner_id|specialty for each practitioner of the
       message with a specialty. (`z_segments=False` leaves these three out, and with them the
       fields they carry.)

What does not come back unchanged from `read_hl7v2`:

- result.sensitivity is not written: the engine derives it again from the codes;
- patient.portal_password is a credential: refused, never written;
- a result comment's request_id comes back as its result's request (a different non-null one
  is refused); every row must have its place in a message of the same `write` call (a result or
  comment under its request, a patient or practitioner named by one), else the call is refused;
- a patient or practitioner only referenced (not in the tables) comes back as a row with its id;
- timestamps are exact to 100 microseconds (DTM has four fraction digits): finer ones are
  refused rather than rounded.

Everything else, including "" versus null, separators, escape characters, control characters,
line breaks and non-Latin text, round-trips exactly: values are escaped (`hl7v2_escape`), numbers
are written as the shortest decimal that reads back as the same float, timestamps in UTC.

A call builds its messages in memory before writing: callers stream large extracts as calls of
a bounded number of requests (with their results, comments, patients and practitioners).

Files: up to `messages_per_file` messages per file, each file one FHS/BHS batch closed by
BTS (message count) and FTS, segments ending with CR, UTF-8, named `<prefix>NNNNNN.hl7`,
written to a temporary name, fsynced and renamed, mode 0600; an existing file is never replaced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import pyarrow as pa

from ariane.connectors import hl7v2_codes as codes
from ariane.connectors.hl7v2_escape import DEFAULT, escaper
from ariane.connectors.hl7v2_time import format_date, format_dtm
from ariane.connectors.messages import make_output_dir, store_new_file
from ariane.errors import TargetError
from ariane.model.entities import ENTITIES, Entity

__all__ = ["Hl7v2Writer"]

Row = dict[str, Any]

_CREDENTIAL: Final = "portal_password"
_VERSION: Final = "2.5.1"
_CR: Final = "\r"
_MSH: Final = "MSH" + DEFAULT.field + DEFAULT.msh2
_E: Final = escaper(DEFAULT)
_FT: Final = escaper(DEFAULT, formatted=True)
_ORDER_CODE: Final = "^".join(_E(v) for v in codes.ORDER_CODE)


def _seg(sid: str, *fields: str) -> str:
    values = list(fields)
    while values and not values[-1]:
        values.pop()
    return "|".join((sid, *values))


def _comps(*parts: str) -> str:
    return "^".join(parts).rstrip("^")  # an escaped value never ends with a raw "^"


def _num(value: float) -> str:
    if not math.isfinite(value):
        raise TargetError("result: NaN or infinite numbers have no HL7 v2 form")
    return format(Decimal(repr(value)), "f")  # NM has no exponent; repr is the shortest exact


class Hl7v2Writer:
    """Writes ORU^R01 v2.5.1 messages, one per request, into batch files under `out_dir`."""

    def __init__(
        self,
        out_dir: Path,
        sending_facility: str = "ARIANE",
        *,
        message_time: dt.datetime,
        sending_application: str = "ARIANE",
        receiving_application: str | None = None,
        receiving_facility: str | None = None,
        processing_id: str = "P",
        messages_per_file: int = 1000,
        file_prefix: str = "oru-",
        z_segments: bool = True,
    ) -> None:
        if messages_per_file < 1:
            raise TargetError("messages_per_file must be at least 1")
        if not file_prefix or os.sep in file_prefix or file_prefix.startswith("."):
            raise TargetError("file_prefix must be a plain file name prefix")
        self._dir = Path(out_dir)
        make_output_dir(self._dir, "HL7 v2")
        shift = message_time.utcoffset()
        if shift is not None:  # an aware time: the canonical convention is naive UTC
            message_time = (message_time - shift).replace(tzinfo=None)
        try:
            self._time = format_dtm(message_time)
        except ValueError:
            raise TargetError("message_time is finer than 100 microseconds") from None
        self._seed = message_time.isoformat()
        header = [
            _E(sending_application),
            _E(sending_facility),
            _E(receiving_application),
            _E(receiving_facility),
            self._time,
        ]
        self._header = header
        self._processing = _E(processing_id)
        self._per_file = messages_per_file
        self._prefix = file_prefix
        self._z = z_segments
        self._files = 0
        self._closed = False

    # --- public API ----------------------------------------------------------------------------

    def write(self, tables: Mapping[str, pa.Table]) -> int:
        """Write one message per request row; returns the number of messages written."""
        if self._closed:
            raise TargetError("the HL7 v2 writer is closed")
        rows = {name: _rows(name, table) for name, table in tables.items()}
        plan = _Plan(rows)
        messages = [self._message(request, plan) for request in plan.requests]
        for start in range(0, len(messages), self._per_file):
            self._file(messages[start : start + self._per_file])
        return len(messages)

    def close(self) -> None:
        """Nothing stays open between calls (each file is complete when `write` returns)."""
        self._closed = True

    def __enter__(self) -> Hl7v2Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- messages ------------------------------------------------------------------------------

    def _message(self, request: Row, plan: _Plan) -> str:
        request_id: str = request["request_id"]
        digest = hashlib.sha256(f"{self._seed}\x00{request_id}".encode()).hexdigest()[:20]
        segments = [
            _MSH
            + "|"
            + "|".join(
                [
                    *self._header,
                    "",
                    "ORU^R01^ORU_R01",
                    digest,
                    self._processing,
                    _VERSION,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "UNICODE UTF-8",
                ]
            )
        ]
        patient_id = request.get("patient_id")
        if patient_id is not None:
            segments.append(_pid(plan.patients.get(patient_id, {"patient_id": patient_id})))
        prescriber = plan.xcn(request.get("prescriber_id"))
        segments.append(
            _seg(
                "ORC",
                "RE",
                _E(request_id),
                *[""] * 9,
                prescriber,
                *[""] * 8,
                _E(request.get("site")),
            )
        )
        segments.append(
            _seg(
                "OBR",
                "1",
                _E(request_id),
                "",
                _ORDER_CODE,
                "",
                "",
                _ts(request, "collected_at"),
                *[""] * 6,
                _ts(request, "received_at"),
                "",
                prescriber,
            )
        )
        self._notes(segments, plan.request_notes.get(request_id, []))
        for n, result in enumerate(plan.results.get(request_id, []), 1):
            segments.append(_obx(n, result, plan))
            if (
                self._z
                and result.get("value_num") is not None
                and result.get("value_text") is not None
            ):
                segments.append(_seg(codes.ZOB, _E(result["value_text"])))
            self._notes(segments, plan.result_notes.get(result["result_id"], []))
        if self._z:
            for practitioner in plan.used(request):
                specialty = practitioner.get("specialty")
                if specialty is not None:
                    segments.append(
                        _seg(codes.ZPR, _E(practitioner["practitioner_id"]), _E(specialty))
                    )
        return _CR.join(segments) + _CR

    def _notes(self, segments: list[str], notes: list[Row]) -> None:
        for n, note in enumerate(notes, 1):
            segments.append(_seg("NTE", str(n), "L", _FT(note.get("text"))))
            if self._z:
                segments.append(_seg(codes.ZNT, _E(note["comment_id"]), _ts(note, "written_at")))

    # --- files ---------------------------------------------------------------------------------

    def _file(self, messages: list[str]) -> None:
        self._files += 1
        name = f"{self._prefix}{self._files:06d}.hl7"
        control = hashlib.sha256(f"{self._seed}\x00{name}".encode()).hexdigest()[:20]
        envelope = [*self._header, "", "", "", control]
        text = "".join(
            [
                _seg("FHS", DEFAULT.msh2, *envelope) + _CR,
                _seg("BHS", DEFAULT.msh2, *envelope) + _CR,
                *messages,
                _seg("BTS", str(len(messages))) + _CR,
                _seg("FTS", "1") + _CR,
            ]
        )
        store_new_file(self._dir / name, text.encode("utf-8"), f"HL7 v2 file {name}")


# --- tables -> checked rows ------------------------------------------------------------------


def _rows(name: str, table: pa.Table) -> list[Row]:
    entity: Entity | None = ENTITIES.get(name)
    if entity is None:
        raise TargetError("unknown entity for the HL7 v2 writer")
    columns = table.column_names
    if _CREDENTIAL in columns:
        raise TargetError(f"credential field {_CREDENTIAL} is never written")
    unknown = sorted(set(columns) - set(entity.field_names))
    if unknown or len(set(columns)) != len(columns):
        raise TargetError(f"{name}: columns must be distinct canonical fields: {unknown}")
    if entity.key not in columns:
        raise TargetError(f"{name}: key column {entity.key} is missing")
    try:
        table = table.cast(entity.schema(columns))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        raise TargetError(f"{name}: columns do not have the canonical types") from None
    if table.column(entity.key).null_count:
        raise TargetError(f"{name}: rows without a {entity.key}")
    try:
        rows: list[Row] = table.to_pylist()
    except (ValueError, OverflowError):
        raise TargetError(f"{name}: a date or time outside the years 1 to 9999") from None
    keys = {row[entity.key] for row in rows}
    if len(keys) != len(rows):
        raise TargetError(f"{name}: {len(rows) - len(keys)} duplicate {entity.key} values")
    return rows


class _Plan:
    """Rows grouped under their request; anything that has no place in a message is refused."""

    def __init__(self, rows: dict[str, list[Row]]) -> None:
        self.requests = rows.get("request", [])
        self.patients = {r["patient_id"]: r for r in rows.get("patient", [])}
        self.practitioners = {r["practitioner_id"]: r for r in rows.get("practitioner", [])}
        request_ids = {r["request_id"] for r in self.requests}
        self.results: dict[str, list[Row]] = {}
        result_request: dict[str, str] = {}
        for result in rows.get("result", []):
            if result.get("request_id") not in request_ids:
                raise TargetError("result: rows whose request is not written in the same call")
            self.results.setdefault(result["request_id"], []).append(result)
            result_request[result["result_id"]] = result["request_id"]
        self.request_notes: dict[str, list[Row]] = {}
        self.result_notes: dict[str, list[Row]] = {}
        for note in rows.get("comment", []):
            result_id, request_id = note.get("result_id"), note.get("request_id")
            if result_id is not None:
                owner = result_request.get(result_id)
                if owner is None or request_id not in (None, owner):
                    raise TargetError(
                        "comment: rows whose result is not written in the same call, or in "
                        "another request"
                    )
                self.result_notes.setdefault(result_id, []).append(note)
            elif request_id is not None and request_id in request_ids:
                self.request_notes.setdefault(request_id, []).append(note)
            else:
                raise TargetError("comment: rows whose request is not written in the same call")
        patients = {r.get("patient_id") for r in self.requests}
        orphans = len(self.patients.keys() - patients)
        if orphans:
            raise TargetError(f"patient: {orphans} rows referenced by no request of the call")
        used = {r.get("prescriber_id") for r in self.requests}
        used |= {r.get("validator_id") for rs in self.results.values() for r in rs}
        orphans = len(self.practitioners.keys() - used)
        if orphans:
            raise TargetError(f"practitioner: {orphans} rows referenced by no request or result")

    def xcn(self, practitioner_id: str | None) -> str:
        if practitioner_id is None:
            return ""
        row = self.practitioners.get(practitioner_id, {})
        family, given = _E(row.get("family_name")), _E(row.get("given_name"))
        text = _comps(_E(practitioner_id), family, given)
        rpps = row.get("rpps")
        if rpps is not None:
            authority = f"{codes.RPPS_NAMESPACE}&{codes.RPPS_OID}&ISO"
            text += "~" + _comps(
                _E(rpps),
                family,
                given,
                "",
                "",
                "",
                "",
                "",
                authority,
                codes.USUAL_NAME,
                "",
                "",
                codes.RPPS_TYPE,
            )
        return text

    def used(self, request: Row) -> list[Row]:
        """The practitioners (rows in the tables) that a request's message names, once each."""
        ids: list[str | None] = [request.get("prescriber_id")]
        ids += [r.get("validator_id") for r in self.results.get(request["request_id"], [])]
        seen: dict[str, Row] = {}
        for pid in ids:
            if pid is not None and pid in self.practitioners:
                seen.setdefault(pid, self.practitioners[pid])
        return list(seen.values())


# --- segments ----------------------------------------------------------------------------------


def _ts(row: Row, name: str) -> str:
    value = row.get(name)
    if value is None:
        return ""
    try:
        return format_dtm(value)
    except ValueError:
        raise TargetError(f"{name}: a time finer than 100 microseconds has no DTM form") from None


def _pid(patient: Row) -> str:
    ids = [_comps(_E(patient["patient_id"]), "", "", "", codes.PATIENT_ID_TYPE)]
    nir = patient.get("nir")
    if nir is not None:
        authority = f"{codes.NIR_NAMESPACE}&{codes.NIR_OID}&ISO"
        ids.append(_comps(_E(nir), "", "", authority, codes.NIR_TYPE))
    names = []
    family, given = patient.get("family_name"), patient.get("given_name")
    if family is not None or given is not None:
        names.append(_comps(_E(family), _E(given), "", "", "", "", codes.USUAL_NAME))
    birth = patient.get("birth_name")
    if birth is not None:
        names.append(_comps(_E(birth), "", "", "", "", "", codes.BIRTH_NAME))
    parts = (patient.get("address"), patient.get("city"), patient.get("postal_code"))
    address = (
        ""
        if all(p is None for p in parts)
        else _comps(_E(parts[0]), "", _E(parts[1]), "", _E(parts[2]))
    )
    telecom = []
    if patient.get("phone") is not None:
        phone = _E(patient["phone"])
        telecom.append(_comps(phone, codes.PHONE_USE, "PH", *[""] * 8, phone))
    if patient.get("email") is not None:
        telecom.append(_comps("", codes.EMAIL_USE, "Internet", _E(patient["email"])))
    birth_date = patient.get("birth_date")
    return _seg(
        "PID",
        "1",
        "",
        "~".join(ids),
        "",
        "~".join(names),
        "",
        format_date(birth_date) if birth_date is not None else "",
        _E(patient.get("sex")),
        "",
        "",
        address,
        "",
        "~".join(telecom),
    )


def _code(result: Row) -> str:
    loinc, local, label = result.get("loinc_code"), result.get("local_code"), result.get("label")
    if loinc is not None:
        text = _comps(_E(loinc), _E(label), codes.LOINC)
        return text if local is None else _comps(text, _E(local), "", codes.LOCAL)
    if local is not None:
        return _comps(_E(local), _E(label), codes.LOCAL)
    return _comps("", _E(label))


def _range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{_num(low)}-{_num(high)}"
    if low is not None:
        return f">{_num(low)}"
    return "" if high is None else f"<{_num(high)}"


def _obx(n: int, result: Row, plan: _Plan) -> str:
    num, text = result.get("value_num"), result.get("value_text")
    kind, value = (
        ("NM", _num(num))
        if num is not None
        else (("ST", _E(text)) if text is not None else ("", ""))
    )
    return _seg(
        "OBX",
        str(n),
        kind,
        _code(result),
        "",
        value,
        _E(result.get("unit")),
        _range(result.get("ref_low"), result.get("ref_high")),
        _E(result.get("flag")),
        "",
        "",
        _E(result.get("status")),
        "",
        "",
        "",
        "",
        plan.xcn(result.get("validator_id")),
        "",
        "",
        _ts(result, "validated_at"),
        "",
        _E(result["result_id"]),
    )
