"""FHIR R4 NDJSON target: lossless round trip, R4 model validation, refusals without values."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import struct
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ariane.connectors import fhir_ndjson
from ariane.connectors.fhir_ndjson import (
    FILES,
    FhirNdjsonWriter,
    read_back,
    resource_id,
    validate_file,
    validate_resource,
)
from ariane.errors import TargetError
from ariane.model.entities import DATE, FLOAT, ORDER, STRING, TIMESTAMP, entity

FIXTURES = Path(
    os.environ.get(
        "ARIANE_FIXTURES", Path(__file__).resolve().parents[3].parent / "shared" / "fixtures"
    )
)
WRITABLE = {
    name: tuple(f for f in entity(name).field_names if f != "portal_password") for name in ORDER
}

ODD_KEY = "a/b c"
LONG_KEY = "clé-" + "x" * 70 + "/é?#"  # 64+ characters, not a valid FHIR id
TS = dt.datetime(2021, 3, 4, 5, 6, 7, 123456)

# Hand-made rows: accents, quotes, newlines, U+2028, blanks, odd keys, nulls.
ROWS: dict[str, list[dict[str, Any]]] = {
    "patient": [
        {
            "patient_id": ODD_KEY, "family_name": "Lefèvre-D'Arc",
            "birth_name": 'Müller "dite" Ø', "given_name": "Jean, Marie Émile",
            "nir": "1850578006084 91", "birth_date": dt.date(1985, 5, 1), "sex": "F",
            "address": "12 rue de l'Église\nBât. B", "postal_code": "75015",
            "city": "Paris", "phone": "+33 1 23 45 67 89", "email": "j.m@exemple.fr",
        },
        {
            "patient_id": LONG_KEY, "family_name": "", "birth_name": None, "given_name": " ",
            "nir": None, "birth_date": dt.date(1, 1, 1), "sex": "X", "address": "\xa0",
            "postal_code": None, "city": "Saint-Étienne\u2028", "phone": None, "email": None,
        },
        {f: None for f in WRITABLE["patient"]} | {"patient_id": "p3", "sex": "U"},
    ],
    "practitioner": [
        {
            "practitioner_id": ODD_KEY, "family_name": "Ngô", "given_name": "Thị Lan",
            "rpps": "10003456789", "specialty": "Biologie médicale",
        },
        {
            "practitioner_id": LONG_KEY, "family_name": None, "given_name": None, "rpps": "",
            "specialty": None,
        },
    ],
    "request": [
        {
            "request_id": ODD_KEY, "patient_id": LONG_KEY, "prescriber_id": ODD_KEY,
            "collected_at": TS, "received_at": dt.datetime(2021, 3, 4, 9, 0),
            "site": "Labo « Centre »",
        },
        {
            "request_id": LONG_KEY, "patient_id": None, "prescriber_id": "",
            "collected_at": None, "received_at": dt.datetime(1969, 12, 31, 23, 59, 59, 999999),
            "site": "",
        },
    ],
    "result": [
        {
            "result_id": ODD_KEY, "request_id": LONG_KEY, "loinc_code": "2345-7",
            "local_code": "GLY", "label": 'Glucose "à jeun"', "value_num": 0.1 + 0.2,
            "value_text": None, "unit": "mmol/L", "ref_low": 3.9, "ref_high": 5.8, "flag": "H",
            "status": "F", "validated_at": TS, "validator_id": ODD_KEY,
            "sensitivity": "health.result",
        },
        {
            "result_id": LONG_KEY, "request_id": ODD_KEY, "loinc_code": " 2345-7",
            "local_code": "GLY  A", "label": None, "value_num": None, "value_text": "négatif",
            "unit": None, "ref_low": None, "ref_high": -0.0, "flag": "LL", "status": "X",
            "validated_at": None, "validator_id": None, "sensitivity": "health.sensitive.hiv",
        },
        {
            "result_id": "r3", "request_id": None, "loinc_code": None, "local_code": None,
            "label": None, "value_num": 5e-324, "value_text": "voir commentaire", "unit": None,
            "ref_low": 1.7976931348623157e308, "ref_high": None, "flag": None, "status": None,
            "validated_at": dt.datetime(9999, 12, 31, 23, 59, 59, 999999), "validator_id": None,
            "sensitivity": None,
        },
        {f: None for f in WRITABLE["result"]} | {"result_id": "r4", "status": "C", "unit": "g/L"},
    ],
    "comment": [
        {
            "comment_id": ODD_KEY, "request_id": ODD_KEY, "result_id": LONG_KEY,
            "written_at": TS,
            "text": 'Patient à jeun ? "non"\nRecontrôler\r\n\tdans 3 mois\u2028fin\x00',
        },
        {
            "comment_id": LONG_KEY, "request_id": None, "result_id": None, "written_at": None,
            "text": "",
        },
    ],
}  # fmt: skip


def batch(
    name: str, rows: list[dict[str, Any]], columns: tuple[str, ...] | None = None
) -> pa.RecordBatch:
    schema = entity(name).schema(columns or WRITABLE[name])
    return pa.RecordBatch.from_pylist(
        [{c: r[c] for c in schema.names} for r in rows], schema=schema
    )


def write(out: Path, name: str, batches: list[pa.RecordBatch]) -> int:
    with FhirNdjsonWriter(out) as writer:
        return writer.write(name, batches)


def validate_all(out: Path) -> dict[str, int]:
    return {p.name: validate_file(p) for p in sorted(out.glob("*.ndjson"))}


def assert_same(got: pa.Table, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    assert got.schema.names == list(columns)
    back = got.to_pylist()
    assert back == [{c: r[c] for c in columns} for r in rows]
    for b, r in zip(back, rows, strict=True):  # floats bit for bit, -0.0 included
        for c in columns:
            if isinstance(r[c], float):
                assert struct.pack("<d", b[c]) == struct.pack("<d", r[c])


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().split(b"\n") if line]


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ORDER)
def test_round_trip_every_field(tmp_path: Path, name: str) -> None:
    rows = ROWS[name]
    per_row = len(FILES[name])
    assert write(tmp_path, name, [batch(name, rows)]) == len(rows) * per_row
    assert validate_all(tmp_path) == {f: len(rows) for f in sorted(FILES[name])}
    got = read_back(tmp_path, name, WRITABLE[name])
    assert got.schema == entity(name).schema(WRITABLE[name])
    assert_same(got, rows, WRITABLE[name])


def test_canonical_types_and_column_order(tmp_path: Path) -> None:
    write(tmp_path, "result", [batch("result", ROWS["result"])])
    cols = ("validated_at", "value_num", "result_id")
    got = read_back(tmp_path, "result", cols)
    assert [f.type for f in got.schema] == [TIMESTAMP, FLOAT, STRING]
    write(tmp_path, "patient", [batch("patient", ROWS["patient"])])
    assert read_back(tmp_path, "patient", ("birth_date",)).schema.field(0).type == DATE


def test_ids_are_valid_fhir_ids_and_keys_stay_in_identifiers(tmp_path: Path) -> None:
    write(tmp_path, "request", [batch("request", ROWS["request"])])
    sr, spec, report = (lines(tmp_path / f) for f in FILES["request"])
    for resources in (sr, spec, report):
        assert [r["id"] for r in resources] == [resource_id(ODD_KEY), resource_id(LONG_KEY)]
        assert resources[0]["identifier"][0] == {
            "system": "urn:ariane:id:request",
            "value": ODD_KEY,
        }
    assert sr[0]["subject"] == {
        "reference": f"Patient/{resource_id(LONG_KEY)}",
        "identifier": {"system": "urn:ariane:id:patient", "value": LONG_KEY},
    }
    assert spec[0]["request"][0]["reference"] == f"ServiceRequest/{resource_id(ODD_KEY)}"
    assert report[0]["basedOn"][0]["reference"] == f"ServiceRequest/{resource_id(ODD_KEY)}"
    assert report[0]["effectiveDateTime"] == spec[0]["collection"]["collectedDateTime"]


def test_mapping_shapes(tmp_path: Path) -> None:
    write(tmp_path, "result", [batch("result", ROWS["result"])])
    first, second, third, _ = lines(tmp_path / "Observation.ndjson")
    assert first["status"] == "final"
    assert first["issued"] == "2021-03-04T05:06:07.123456Z"
    assert first["valueQuantity"] == {"value": 0.30000000000000004, "unit": "mmol/L"}
    assert first["meta"]["security"] == [
        {"system": "urn:ariane:sensitivity", "code": "health.result"}
    ]
    assert first["interpretation"][0]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
        "code": "H",
    }
    assert {"system": "http://loinc.org", "code": "2345-7"} in first["code"]["coding"]
    assert first["performer"][0]["reference"].startswith("Practitioner/")
    assert second["status"] == "unknown"  # "X" kept in an extension
    assert second["valueString"] == "négatif"
    assert third["valueQuantity"] == {"value": 5e-324}
    assert third["extension"] == [
        {"url": "urn:ariane:fhir:value-text", "valueString": "voir commentaire"}
    ]
    write(tmp_path, "patient", [batch("patient", ROWS["patient"])])
    patient = lines(tmp_path / "Patient.ndjson")[0]
    assert patient["gender"] == "female"
    assert patient["name"][0] == {
        "use": "usual", "family": "Lefèvre-D'Arc", "given": ["Jean, Marie Émile"]
    }  # fmt: skip
    assert patient["name"][1]["use"] == "maiden"
    assert {"use": "official", "system": "urn:oid:1.2.250.1.213.1.4.8",
            "value": "1850578006084 91"} in patient["identifier"]  # fmt: skip
    write(tmp_path, "comment", [batch("comment", ROWS["comment"])])
    comment = lines(tmp_path / "Communication.ndjson")[0]
    assert comment["payload"] == [{"contentString": ROWS["comment"][0]["text"]}]
    assert [a["reference"].split("/")[0] for a in comment["about"]] == [
        "ServiceRequest", "Observation"
    ]  # fmt: skip


def test_one_resource_per_line_even_with_line_separators_in_text(tmp_path: Path) -> None:
    write(tmp_path, "comment", [batch("comment", ROWS["comment"])])
    raw = (tmp_path / "Communication.ndjson").read_bytes()
    assert raw.count(b"\n") == 2 and raw.endswith(b"\n")
    assert "\u2028".encode() in raw  # ensure_ascii=False: UTF-8, not \u escapes
    assert read_back(tmp_path, "comment", ("text",)).column(0).to_pylist() == [
        r["text"] for r in ROWS["comment"]
    ]


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        ("patient", ("patient_id",)),
        ("patient", ("patient_id", "birth_date", "postal_code")),
        ("practitioner", ("specialty", "practitioner_id")),
        ("request", ("request_id", "collected_at")),
        ("request", ("request_id", "site", "prescriber_id")),
        ("result", ("result_id", "loinc_code", "value_num", "sensitivity")),
        ("result", ("result_id", "value_text")),
        ("comment", ("comment_id", "text")),
    ],
)
def test_subsets_write_only_what_was_given(
    tmp_path: Path, name: str, columns: tuple[str, ...]
) -> None:
    rows = ROWS[name]
    write(tmp_path, name, [batch(name, rows, columns)])
    validate_all(tmp_path)
    assert_same(read_back(tmp_path, name, columns), rows, columns)
    # Fields not transferred are nowhere in the files: they come back null.
    others = tuple(c for c in WRITABLE[name] if c not in columns)
    if others:
        got = read_back(tmp_path, name, others)
        assert all(v is None for col in got.columns for v in col.to_pylist())


def test_required_elements_say_why_they_are_absent(tmp_path: Path) -> None:
    write(tmp_path / "a", "request", [batch("request", ROWS["request"], ("request_id",))])
    write(tmp_path / "b", "request", [batch("request", ROWS["request"])])
    dar = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
    masked = lines(tmp_path / "a" / "ServiceRequest.ndjson")[0]["subject"]
    unknown = lines(tmp_path / "b" / "ServiceRequest.ndjson")[1]["subject"]
    assert masked == {"extension": [{"url": dar, "valueCode": "masked"}]}
    assert unknown == {"extension": [{"url": dar, "valueCode": "unknown"}]}


def test_appends_across_writes_and_writers(tmp_path: Path) -> None:
    rows = ROWS["patient"]
    with FhirNdjsonWriter(tmp_path) as writer:
        assert (
            writer.write("patient", [batch("patient", rows[:1]), batch("patient", rows[1:2])]) == 2
        )
        assert writer.write("patient", []) == 0
    write(tmp_path, "patient", [batch("patient", rows[2:])])
    assert_same(read_back(tmp_path, "patient", WRITABLE["patient"]), rows, WRITABLE["patient"])


def test_read_back_in_chunks_keeps_line_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fhir_ndjson, "_CHUNK", 2)
    rows = [{"patient_id": f"p{i}", "birth_date": dt.date(2000, 1, 1 + i)} for i in range(7)]
    write(tmp_path, "patient", [batch("patient", rows, ("patient_id", "birth_date"))])
    got = read_back(tmp_path, "patient", ("patient_id", "birth_date"))
    assert got.num_rows == 7 and got.to_pylist() == rows
    path = tmp_path / "Patient.ndjson"
    text = path.read_text(encoding="utf-8").splitlines()
    text[5] = text[5].replace("2000-01-06", "2000-02-30")
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(TargetError, match=r"Patient\.ndjson line 6: ") as err:
        read_back(tmp_path, "patient", ("patient_id", "birth_date"))
    assert "2000-02-30" not in err.value.message


def test_empty_entity_reads_back_empty(tmp_path: Path) -> None:
    assert write(tmp_path, "comment", []) == 0
    got = read_back(tmp_path, "comment", ("comment_id", "written_at"))
    assert got.num_rows == 0 and got.schema == entity("comment").schema(
        ("comment_id", "written_at")
    )


def test_other_offsets_are_read_as_utc(tmp_path: Path) -> None:
    write(tmp_path, "comment", [batch("comment", ROWS["comment"][:1])])
    path = tmp_path / "Communication.ndjson"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "2021-03-04T05:06:07.123456Z", "2021-03-04T07:06:07.123456+02:00"
        ),
        encoding="utf-8",
    )
    assert read_back(tmp_path, "comment", ("written_at",)).column(0).to_pylist() == [TS]


# --- property: any canonical values survive, every line validates ---------------------------

_BLANKISH = st.sampled_from(["", " ", "\xa0", "\u3000", "\t", "\x1c", " a", "a  b", "é\u2028"])
_TEXT = st.one_of(st.none(), _BLANKISH, st.text(max_size=12))
_KEY = st.one_of(_BLANKISH, st.text(min_size=1, max_size=80))
_CODE = st.one_of(_TEXT, st.sampled_from(["F", "P", "C", "M", "U", "L", "H", "N", "A"]))
_STRATEGIES = {
    STRING: _TEXT,
    FLOAT: st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
    DATE: st.one_of(st.none(), st.dates()),
    TIMESTAMP: st.one_of(st.none(), st.datetimes()),
}


@st.composite
def entity_rows(draw: st.DrawFn, name: str) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    ent = entity(name)
    optional = [f for f in WRITABLE[name] if f != ent.key]
    chosen = set(draw(st.lists(st.sampled_from(optional), unique=True)))
    columns = tuple(f for f in WRITABLE[name] if f == ent.key or f in chosen)
    rows = []
    for _ in range(draw(st.integers(0, 4))):
        row: dict[str, Any] = {}
        for c in columns:
            field = ent.field(c)
            if c == ent.key:
                row[c] = draw(_KEY)
            elif c in ("sex", "status", "flag"):
                row[c] = draw(_CODE)
            else:
                row[c] = draw(_STRATEGIES[field.type])
        rows.append(row)
    return columns, rows


@pytest.mark.parametrize("name", ORDER)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip_property(name: str, data: st.DataObject) -> None:
    columns, rows = data.draw(entity_rows(name))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        write(out, name, [batch(name, rows, columns)])
        assert validate_all(out) == {f: len(rows) for f in sorted(FILES[name])}
        assert_same(read_back(out, name, columns), rows, columns)


# --- refusals -------------------------------------------------------------------------------


def test_portal_password_is_refused_and_never_written(tmp_path: Path) -> None:
    schema = entity("patient").schema(("patient_id", "portal_password"))
    secret = pa.RecordBatch.from_pylist(
        [{"patient_id": "p1", "portal_password": "hunter2"}], schema=schema
    )
    with FhirNdjsonWriter(tmp_path) as writer, pytest.raises(TargetError) as err:
        writer.write("patient", [secret])
    assert err.value.message == "credential field portal_password is never written"
    assert all(b"hunter2" not in p.read_bytes() for p in tmp_path.iterdir())
    with pytest.raises(TargetError, match="portal_password"):
        read_back(tmp_path, "patient", ("patient_id", "portal_password"))


def test_a_refused_batch_writes_nothing(tmp_path: Path) -> None:
    good = batch("result", ROWS["result"][:1], ("result_id", "value_num"))
    bad = pa.RecordBatch.from_pylist(
        [{"result_id": "ok", "value_num": 1.0}, {"result_id": "r-nan", "value_num": math.nan}],
        schema=good.schema,
    )
    with (
        FhirNdjsonWriter(tmp_path) as writer,
        pytest.raises(TargetError, match=r"1 values are NaN"),
    ):
        writer.write("result", [good, bad])
    assert validate_file(tmp_path / "Observation.ndjson") == 1


def _batch(columns: dict[str, pa.Array | list[Any]]) -> pa.RecordBatch:
    arrays = [c if isinstance(c, pa.Array) else pa.array(c) for c in columns.values()]
    return pa.RecordBatch.from_arrays(arrays, names=list(columns))


_FAR_PAST = pa.array([-800_000], pa.int32()).cast(pa.date32())


@pytest.mark.parametrize(
    ("name", "columns", "message"),
    [
        ("patient", {"family_name": ["Durand"]}, "key column"),
        ("patient", {"patient_id": ["p"], "ssn": ["Durand"]}, "not in the canonical"),
        ("patient", {"patient_id": pa.array([None, "p"], pa.string())}, "1 rows without"),
        ("patient", {"patient_id": ["p"], "birth_date": _FAR_PAST}, "outside years"),
        ("result", {"result_id": ["r"], "value_num": [math.inf]}, "NaN or infinite"),
        ("result", {"result_id": ["r"], "value_num": ["Durand 12"]}, "string is not double"),
        ("specimen", {"x": ["Durand"]}, "unknown entity"),
    ],
)
def test_bad_batches_are_refused_without_values(
    tmp_path: Path, name: str, columns: dict[str, Any], message: str
) -> None:
    with FhirNdjsonWriter(tmp_path) as writer, pytest.raises(TargetError, match=message) as err:
        writer.write(name, [_batch(columns)])
    assert "Durand" not in err.value.message


def test_closed_writer_refuses(tmp_path: Path) -> None:
    writer = FhirNdjsonWriter(tmp_path / "new" / "dir")
    writer.close()
    writer.close()
    with pytest.raises(TargetError, match="closed"):
        writer.write("patient", [])


def test_output_files_are_private(tmp_path: Path) -> None:
    write(tmp_path, "patient", [batch("patient", ROWS["patient"])])
    assert (tmp_path / "Patient.ndjson").stat().st_mode & 0o077 == 0


# --- corrupted files ------------------------------------------------------------------------

SECRET = "Durand-Secret"


def assert_unchained(error: BaseException) -> None:
    # A chained pydantic or Arrow exception would carry the value into any traceback.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def corrupt(path: Path, line: int, edit: Any) -> None:
    text = path.read_bytes().split(b"\n")
    text[line - 1] = edit(text[line - 1].decode("utf-8")).encode("utf-8")
    path.write_bytes(b"\n".join(text))


def patients_with_secret(out: Path) -> Path:
    rows = [{"patient_id": f"p{i}", "family_name": SECRET} for i in range(3)]
    write(out, "patient", [batch("patient", rows, ("patient_id", "family_name"))])
    return out / "Patient.ndjson"


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s[: len(s) // 2],  # truncated JSON
        lambda s: s.replace('"family"', '"family":NaN,"x"'),  # not JSON
        lambda s: s.replace(f'"{SECRET}"', f'["{SECRET}"]'),  # a list where a string belongs
        lambda s: s.replace('"urn:ariane:id:patient"', '"urn:other"'),  # no key identifier
        lambda s: s.replace('"value":"p1"', '"x":"p1"'),  # a key identifier without value
        lambda s: s.replace('"resourceType":"Patient"', '"resourceType":"Observation"'),
        lambda s: "\ufeff" + s,  # a byte-order mark
        lambda s: "[" + s + "]",
        lambda s: "",
    ],
)
def test_corrupted_line_names_file_and_line_never_the_value(tmp_path: Path, edit: Any) -> None:
    path = patients_with_secret(tmp_path)
    corrupt(path, 2, edit)
    with pytest.raises(TargetError, match=r"^Patient\.ndjson line 2: ") as err:
        read_back(tmp_path, "patient", ("patient_id", "family_name"))
    assert SECRET not in err.value.message and SECRET not in str(err.value)
    assert_unchained(err.value)


def test_invalid_utf8_line(tmp_path: Path) -> None:
    path = patients_with_secret(tmp_path)
    lines_ = path.read_bytes().split(b"\n")
    lines_[2] = lines_[2].replace(SECRET.encode(), SECRET.encode() + b"\xff")
    path.write_bytes(b"\n".join(lines_))
    with pytest.raises(TargetError, match=r"^Patient\.ndjson line 3: "):
        read_back(tmp_path, "patient", ("family_name",))
    with pytest.raises(TargetError, match=r"^Patient\.ndjson line 3: "):
        validate_file(path)


def test_validate_file_names_the_line_and_the_element_not_the_value(tmp_path: Path) -> None:
    path = patients_with_secret(tmp_path)
    corrupt(
        path,
        3,
        lambda s: s.replace(
            '"resourceType":"Patient",', f'"resourceType":"Patient","birthDate":"{SECRET}",'
        ),
    )
    with pytest.raises(
        TargetError, match=r"^Patient\.ndjson line 3: not a valid FHIR R4 Patient at birthDate"
    ) as err:
        validate_file(path)
    assert SECRET not in err.value.message
    assert_unchained(err.value)


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        ({"resourceType": "Observation", "code": {"text": "x"}}, "at status"),
        ({"resourceType": "Patient", "id": "a" * 65}, "not a valid FHIR R4 id"),
        ({"resourceType": "Patient", "id": ODD_KEY}, "not a valid FHIR R4 id"),
        ({"resourceType": "Patient", "name": [{"family": ""}]}, "at name.0.family"),
        ({"resourceType": SECRET}, "no known FHIR R4 resourceType"),
        ({"resourceType": "Extension"}, "no known FHIR R4 resourceType"),
        ({"resourceType": "Patient", SECRET: 1}, "at ?"),
    ],
)
def test_validate_resource_refusals(resource: dict[str, Any], message: str) -> None:
    with pytest.raises(TargetError, match=message.replace("?", r"\?").replace(".", r"\.")) as err:
        validate_resource(resource)
    assert SECRET not in err.value.message


def test_specimen_out_of_step_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "request", [batch("request", ROWS["request"])])
    spec = tmp_path / "Specimen.ndjson"
    spec.write_bytes(spec.read_bytes().split(b"\n")[0] + b"\n")  # drop the last line
    assert read_back(tmp_path, "request", ("request_id", "patient_id")).num_rows == 2
    with pytest.raises(TargetError, match="differ in line count"):
        read_back(tmp_path, "request", ("request_id", "site"))
    write(tmp_path, "request", [batch("request", ROWS["request"])])  # now misaligned ids
    with pytest.raises(TargetError, match=r"line 2: "):
        read_back(tmp_path, "request", ("collected_at",))


def test_read_back_refuses_bad_requests(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match=r"cannot open Observation\.ndjson"):
        read_back(tmp_path, "result", ("result_id",))
    with pytest.raises(TargetError, match="distinct canonical fields"):
        read_back(tmp_path, "result", ("result_id", "result_id"))
    with pytest.raises(TargetError, match="distinct canonical fields"):
        read_back(tmp_path, "result", ())
    with pytest.raises(TargetError, match="unknown entity"):
        read_back(tmp_path, "specimen", ("x",))


# --- official FHIR R4 examples through the same validation path ------------------------------

R4_EXAMPLES = sorted((FIXTURES / "fhir-r4").glob("*.json"))


@pytest.mark.skipif(not R4_EXAMPLES, reason="FHIR R4 example fixtures not available")
def test_official_r4_examples_validate(tmp_path: Path) -> None:
    names = {p.name for p in R4_EXAMPLES}
    assert {"Patient-example.json", "Observation-f001.json", "ServiceRequest-example.json"} <= names
    ndjson = tmp_path / "examples.ndjson"
    with ndjson.open("w", encoding="utf-8") as out:
        for path in R4_EXAMPLES:
            resource = json.loads(path.read_text(encoding="utf-8"))
            validate_resource(resource, where=path.name)
            out.write(json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n")
    assert validate_file(ndjson) == len(R4_EXAMPLES)


@pytest.mark.skipif(not R4_EXAMPLES, reason="FHIR R4 example fixtures not available")
def test_r5_default_models_would_reject_r4_examples() -> None:
    # Why fhir.resources.R4B and not the package default: the R5 models refuse R4 content.
    from fhir.resources import get_fhir_model_class as r5_model
    from pydantic import ValidationError

    example = json.loads(
        (FIXTURES / "fhir-r4" / "ServiceRequest-example.json").read_text(encoding="utf-8")
    )
    validate_resource(example)
    with pytest.raises(ValidationError):
        r5_model("ServiceRequest").model_validate(example)


@pytest.mark.skipif(not R4_EXAMPLES, reason="FHIR R4 example fixtures not available")
def test_r4_example_with_an_error_is_refused() -> None:
    example = json.loads(
        (FIXTURES / "fhir-r4" / "Observation-f001.json").read_text(encoding="utf-8")
    )
    example["valueQuantity"]["value"] = "six point three"
    with pytest.raises(TargetError, match=r"at valueQuantity\.value"):
        validate_resource(example, where="Observation-f001.json")
