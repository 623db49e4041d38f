"""Hypothesis strategies for tests/fuzz: structured inputs for each fuzz target.

Byte-level mutation of the committed seeds (what atheris does, without coverage feedback) plus
small grammars that reach deeper than random bytes: HL7 v2 and HPRIM messages built from real
segment names and delimiter-heavy fields, FHIR resources built from the elements the reader maps,
filters built from the canonical fields and SQL's operators.
"""

from __future__ import annotations

import json
from typing import Any

import ariane_fuzz as af
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ariane.model.entities import ENTITIES

# --- byte mutation ----------------------------------------------------------------------------

byte_edit = st.tuples(
    st.sampled_from(("delete", "insert", "replace", "duplicate", "flip")),
    st.integers(0, 1 << 16),
    st.integers(1, 64),
    st.binary(min_size=1, max_size=8),
)


def mutate(data: bytes, edits: list[tuple[str, int, int, bytes]]) -> bytes:
    out = bytearray(data)
    for kind, pos, size, payload in edits:
        at = pos % (len(out) + 1)
        if kind == "delete":
            del out[at : at + size]
        elif kind == "insert":
            out[at:at] = payload
        elif kind == "replace":
            out[at : at + len(payload)] = payload
        elif kind == "duplicate":
            out[at:at] = out[at : at + size]
        elif out:
            out[at % len(out)] ^= payload[0] or 1
    return bytes(out)


def mutated(target: str, max_edits: int = 4) -> st.SearchStrategy[bytes]:
    """A committed seed of `target` with a few byte edits."""
    return st.builds(
        mutate, st.sampled_from(af.seeds(target)), st.lists(byte_edit, max_size=max_edits)
    )


# --- HL7 v2 -----------------------------------------------------------------------------------

HL7_TOKENS = (
    "", "P1", "R1", "5.5", "-1.5e3", "<^0.5", ">=2", "1-2", "3.9 to 6.1", "NM", "SN", "CE",
    "CWE", "ST", "TX", "ED", "RP", "LN", "L", "PI", "MR", "INS", "RPPS", "F", "P", "C", "H",
    '""', "20240101", "20240101120000", "202401011200+0100", "1962", "20241301", "9999",
    "20240101120000.123456-1400", "\\X41\\", "\\XC3A9\\", "\\XFF\\", "\\.br\\", "\\.sp3\\",
    "\\.sk2\\", "\\.in+4\\", "\\E\\", "\\F\\", "\\S\\", "\\R\\", "\\T\\", "\\H\\", "\\Z1\\",
    "\\", "ASIP-SANTE-INS-NIR", "1.2.250.1.213.1.4.8", "1.2.250.1.71.4.2.1", "NET", "Internet",
    "PRN", "é", "²", "ORU^R01^ORU_R01", "ADT^A08", "OML^O21", "OUL^R22",
)  # fmt: skip
HL7_SEGMENTS = ("PID", "PV1", "ORC", "OBR", "OBX", "NTE", "SPM", "ZNT", "ZPR", "ZOB", "EVN", "Z01")

_hl7_piece = st.sampled_from(HL7_TOKENS) | st.text(alphabet="AZaz09^~&\\|-. ", max_size=6)
_hl7_field = st.lists(_hl7_piece, max_size=4).map(lambda p: "^".join(p)) | _hl7_piece


@st.composite
def hl7_segment(draw: st.DrawFn) -> str:
    sid = draw(st.sampled_from(HL7_SEGMENTS))
    fields = draw(st.lists(_hl7_field, max_size=24))
    return "|".join([sid, *fields])


@st.composite
def hl7_message(draw: st.DrawFn, n: int = 1) -> str:
    version = draw(st.sampled_from(("2.3", "2.5.1", "2.8", "")))
    kind = draw(st.sampled_from(("ORU^R01^ORU_R01", "OUL^R22", "OML^O21", "ADT^A01", "ORM^O01")))
    charset = draw(st.sampled_from(("", "UNICODE UTF-8", "8859/1", "8859/15", "ASCII", "BAD")))
    when = draw(st.sampled_from(("20240102030405+0100", "20240102", "", "2024")))
    msh = f"MSH|^~\\&|APP|FAC|||{when}||{kind}|C{n}|P|{version}||||||{charset}"
    segments = draw(st.lists(hl7_segment(), min_size=1, max_size=10))
    return "\r".join([msh, *segments]) + "\r"


@st.composite
def hl7_file(draw: st.DrawFn) -> bytes:
    messages = draw(st.lists(hl7_message(), min_size=1, max_size=3))
    text = "".join(messages)
    if draw(st.booleans()):
        count = draw(st.sampled_from(("", str(len(messages)), "x", "9" * 30)))
        text = f"BHS|^~\\&\r{text}BTS|{count}\r"
    newline = draw(st.sampled_from(("\r", "\n", "\r\n")))
    data = text.replace("\r", newline).encode(
        draw(st.sampled_from(("utf-8", "latin-1"))), "replace"
    )
    if draw(st.booleans()):
        data = b"\x0b" + data + b"\x1c\r"
    return data


# --- HPRIM ------------------------------------------------------------------------------------

HPRIM_TOKENS = (
    "", "A1", "R1", "5,5", "5.5", "<17", "3,9 - 6,1", "- 6", ">1", "NM", "ST", "LN", "L",
    "RPPS", "20240101", "202401011230", "20240101123045.5", "20241301", "0000", "\\X0A\\",
    "\\XE9\\", "\\.br\\", "\\F\\", "\\S\\", "\\R\\", "\\E\\", "\\T\\", "\\H\\", "\\N\\", "\\",
    "H2.1", "H2.2", "UTF-8", "ISO 8859-15", "é", "²", "9" * 25,
)  # fmt: skip

_hprim_piece = st.sampled_from(HPRIM_TOKENS) | st.text(alphabet="AZaz09^~&\\|-,. ", max_size=6)
_hprim_field = st.lists(_hprim_piece, max_size=3).map(lambda p: "~".join(p)) | _hprim_piece


@st.composite
def hprim_record(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(("P", "OBR", "OBX", "C", "A", "RES", "Z")))
    return "|".join([kind, *draw(st.lists(_hprim_field, max_size=20))])


@st.composite
def hprim_message(draw: st.DrawFn) -> str:
    version = draw(st.sampled_from(("H2.1", "H2.2", "H2.4", "H1", "")))
    charset = draw(st.sampled_from(("", "UTF-8", "8859-15", "ISO 8859-1")))
    head = f"H|~^\\&|F.HPR||EMET||ORU|{charset}|||{version}|20240101"
    records = draw(st.lists(hprim_record(), max_size=10))
    patients = sum(r.startswith("P|") for r in records)
    count = draw(st.sampled_from((str(patients), "", "x", "²", "9" * 30)))
    tail = [] if draw(st.integers(0, 9)) == 0 else [f"L|1||{count}"]
    return "\r\n".join([head, *records, *tail]) + "\r\n"


@st.composite
def hprim_file(draw: st.DrawFn) -> bytes:
    text = "".join(draw(st.lists(hprim_message(), min_size=1, max_size=3)))
    encoding = draw(st.sampled_from(("latin-1", "utf-8", "utf-8-sig")))
    return text.encode(encoding, "replace")


# --- FHIR -------------------------------------------------------------------------------------

FHIR_TYPES = (
    "Patient", "Practitioner", "ServiceRequest", "Specimen", "DiagnosticReport", "Observation",
    "Communication", "Bundle", "Encounter",
)  # fmt: skip
FHIR_KEYS = (
    "id", "identifier", "system", "value", "reference", "subject", "basedOn", "specimen",
    "request", "result", "note", "text", "conclusion", "contained", "code", "coding", "display",
    "valueQuantity", "valueString", "valueInteger", "valueCodeableConcept", "valueBoolean",
    "valueDateTime", "valuePeriod", "comparator", "unit", "status", "interpretation", "issued",
    "effectiveDateTime", "effectivePeriod", "start", "collection", "collectedDateTime",
    "receivedTime", "name", "family", "given", "use", "gender", "birthDate", "address", "line",
    "telecom", "extension", "url", "valueString", "meta", "security", "qualification",
    "requester", "performer", "payload", "contentString", "sent", "about", "entry", "resource",
    "fullUrl", "type", "referenceRange", "low", "high", "component",
)  # fmt: skip
FHIR_STRINGS = (
    "p1", "Patient/p1", "ServiceRequest/s1", "DiagnosticReport/d1", "Specimen/x", "#c1",
    "urn:uuid:1", "urn:ariane:id:patient", "urn:ariane:id:request", "http://loinc.org",
    "2345-7", "final", "amended", "usual", "maiden", "female", "2024", "2024-01",
    "2024-01-02", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05.1234567+14:00",
    "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "<", "\ud83d\ude00", "",
)  # fmt: skip

_fhir_scalar = (
    st.sampled_from(FHIR_STRINGS)
    | st.text(max_size=8)
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
    | st.none()
)


def _fhir_object(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(FHIR_KEYS), children, max_size=5
    )


fhir_value = st.recursive(_fhir_scalar, _fhir_object, max_leaves=20)


@st.composite
def fhir_resource(draw: st.DrawFn) -> dict[str, Any]:
    resource = draw(st.dictionaries(st.sampled_from(FHIR_KEYS), fhir_value, max_size=8))
    resource["resourceType"] = draw(st.sampled_from(FHIR_TYPES))
    if resource["resourceType"] == "Bundle" and draw(st.booleans()):
        inner = draw(st.lists(fhir_resource(), max_size=3))  # nested Bundles come and go
        resource["entry"] = [{"resource": r} for r in inner]
    return resource


@st.composite
def fhir_file(draw: st.DrawFn) -> bytes:
    """NDJSON lines (each a resource or a Bundle); read as .json it is usually refused whole."""
    resources = draw(st.lists(fhir_resource(), min_size=1, max_size=4))
    return "\n".join(json.dumps(r) for r in resources).encode()


# --- filters ----------------------------------------------------------------------------------

SQL_EXTRA = (
    "NOT", "AND", "OR", "(", ")", "IS", "NULL", "IN", "BETWEEN", "LIKE", "ILIKE", "SELECT",
    "::", "CAST", "lower(", "'", '"', ";", "--", "/*", "*", "1e309", "-", "+", ",", "=", "<>",
)  # fmt: skip


ODD_TIMES = (
    "20240101", "2024-W01-1", "2024-001", "2024-01-01T10", "2024-01-01T1000", "2024-1-1",
    "2024-01-01 10:00:00+05:00", "2024-01-01T10:00:00Z", "2024-01-01 24:00:00", "2024-02-30",
    "2024-01-01 10:00:00.1234567", "+2024-01-01", "２０２４-01-01", "2024-01-01 10:00:00,5",
)  # fmt: skip
_TIMESPECS = ("auto", "hours", "minutes", "seconds", "milliseconds", "microseconds")


def literal(ftype: str) -> st.SearchStrategy[str]:
    days = st.dates().map(lambda d: d.isoformat()) | st.sampled_from(ODD_TIMES)
    times = st.builds(
        lambda d, sep, spec: d.isoformat(sep=sep, timespec=spec),
        st.datetimes(timezones=st.none() | st.timezones()),
        st.sampled_from(" T"),
        st.sampled_from(_TIMESPECS),
    )
    kinds = st.sampled_from(("DATE", "TIMESTAMP"))
    dates = st.builds(lambda k, t: f"{k} '{t}'", kinds, days)
    stamps = st.builds(lambda k, t: f"{k} '{t}'", kinds, times | days)
    numbers = st.floats(allow_nan=False, allow_infinity=False).map(repr) | st.integers().map(str)
    strings = st.text(max_size=10).map(lambda s: "'" + s.replace("'", "''") + "'")
    by_type = {"string": strings, "float": numbers, "date": dates, "timestamp": stamps}
    # Mostly the right type, sometimes any: the wrong ones must be refused, not crash.
    return by_type[ftype] | st.sampled_from(list(by_type.values())).flatmap(lambda s: s)


@st.composite
def condition(draw: st.DrawFn, entity: str) -> str:
    field = draw(st.sampled_from(ENTITIES[entity].fields))
    col, lit = field.name, literal(field.type_name)
    form = draw(st.integers(0, 5))
    if form == 0:
        op = draw(st.sampled_from(("=", "<>", "!=", "<", "<=", ">", ">=")))
        return f"{col} {op} {draw(lit)}"
    if form == 1:
        values = ", ".join(draw(st.lists(lit, min_size=1, max_size=3)))
        return f"{col} {draw(st.sampled_from(('IN', 'NOT IN')))} ({values})"
    if form == 2:
        return f"{col} BETWEEN {draw(lit)} AND {draw(lit)}"
    if form == 3:
        return f"{col} IS {draw(st.sampled_from(('NULL', 'NOT NULL')))}"
    if form == 4:
        return f"{col} {draw(st.sampled_from(('LIKE', 'ILIKE')))} {draw(lit)}"
    return f"{col} {draw(st.sampled_from(('=', '<')))} {draw(st.sampled_from(ENTITIES[entity].field_names))}"  # noqa: E501


@st.composite
def filter_text(draw: st.DrawFn, entity: str) -> str:
    parts = [draw(condition(entity))]
    for _ in range(draw(st.integers(0, 3))):
        joiner = draw(st.sampled_from((" AND ", " OR ", " AND NOT ")))
        parts.append(joiner + draw(condition(entity)))
    text = "".join(parts)
    if draw(st.booleans()):
        depth = draw(st.integers(1, 3))
        text = "(" * depth + text + ")" * depth
    if draw(st.integers(0, 4)) == 0:  # a stray token anywhere
        words = text.split(" ")
        at = draw(st.integers(0, len(words)))
        words.insert(at, draw(st.sampled_from(SQL_EXTRA)))
        text = " ".join(words)
    return text


LIMIT_S = 10  # per example: a hang fails the test instead of stalling CI


def fast(max_examples: int) -> settings:
    """The settings of the fuzz tests: no deadline (LIMIT_S bounds each example instead)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
