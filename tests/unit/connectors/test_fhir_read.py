"""FHIR R4 input: official examples, links without Ariane identifiers, exact round trips
through NDJSON and Bundle, rejections that name a place and never a value."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ariane.connectors.fhir_bundle import NO_RESOURCE, FhirBundleWriter
from ariane.connectors.fhir_ndjson import FhirNdjsonWriter, validate_resource
from ariane.connectors.fhir_read import NO_REQUEST, read_fhir
from ariane.connectors.messages import CanonicalBatch, to_canonical
from ariane.errors import SourceError, TargetError
from ariane.model.entities import ORDER, entity

FIXTURES = Path(
    os.environ.get(
        "ARIANE_FIXTURES", Path(__file__).resolve().parents[3].parent / "shared" / "fixtures"
    )
)
R4 = FIXTURES / "fhir-r4"
EXAMPLES = sorted(R4.glob("*.json"))
SECRET = "ZORGLUB"
Rows = dict[str, list[dict[str, Any]]]


def rows(batch: CanonicalBatch, name: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = batch.tables[name].to_pylist()
    return out


def by_key(batch: CanonicalBatch, name: str) -> dict[str, dict[str, Any]]:
    key = entity(name).key
    return {r[key]: r for r in rows(batch, name)}


def dump(path: Path, *docs: Any) -> Path:
    path.write_text("\n".join(json.dumps(d) for d in docs), encoding="utf-8")
    return path


# --- official examples ---------------------------------------------------------------------


def test_examples_are_there() -> None:
    assert len(EXAMPLES) >= 20, f"FHIR R4 fixtures missing under {R4}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_reads_without_rejection(path: Path) -> None:
    batch = read_fhir([path], validate=True)
    assert batch.rejections == []
    mapped = sum(t.num_rows for t in batch.tables.values())
    assert mapped + sum(batch.unknown_segments.values()) > 0  # read, or counted: never silent


def test_examples_together_resolve_references() -> None:
    batch = read_fhir([R4])
    assert batch.rejections == []
    assert batch.unknown_segments == {
        "Organization": 1,
        "DiagnosticReport.presentedForm": 1,
        "contained Observation": 1,  # ServiceRequest-lipid's fasting status
        "contained Substance": 1,  # Specimen-101's additive
    }
    patients = by_key(batch, "patient")
    assert patients["example"] | {"portal_password": None} == {
        "patient_id": "example", "family_name": "Chalmers", "given_name": "Peter James",
        "birth_name": "Windsor", "nir": None, "birth_date": dt.date(1974, 12, 25), "sex": "M",
        "address": "534 Erewhon St", "postal_code": "3999", "city": "PleasantVille",
        "phone": "(03) 5555 6473", "email": None, "portal_password": None,
    }  # fmt: skip
    requests = by_key(batch, "request")
    # Specimen-101 points to ServiceRequest/example, read from another file.
    assert requests["example"]["collected_at"] == dt.datetime(2011, 5, 30, 6, 15)
    assert requests["example"]["received_at"] == dt.datetime(2011, 3, 4, 7, 3)
    # A contained Specimen gives the collection time; offsets become UTC.
    assert requests["lipid"] == {
        "request_id": "lipid", "patient_id": "example", "prescriber_id": "example",
        "collected_at": dt.datetime(2015, 8, 16, 6, 40, 17), "received_at": None, "site": None,
    }  # fmt: skip
    results = by_key(batch, "result")
    f001 = results["f001"]
    # Observation-f001 is listed in Bundle-f001's DiagnosticReport, based on ServiceRequest req.
    assert f001 == {
        "result_id": "f001", "request_id": "req", "loinc_code": "15074-8", "local_code": None,
        "label": "Glucose [Moles/volume] in Blood", "value_num": 6.3, "value_text": None,
        "unit": "mmol/l", "ref_low": 3.1, "ref_high": 6.2, "flag": "H", "status": "F",
        "validated_at": dt.datetime(2013, 4, 3, 14, 30, 10), "validator_id": "f005",
        "sensitivity": None,
    }  # fmt: skip
    # The lipid Bundle has no ServiceRequest: its DiagnosticReport is the request.
    lipids = [r for r in results.values() if r["request_id"] == "lipids"]
    assert {r["result_id"] for r in lipids} == {
        "cholesterol", "triglyceride", "hdlcholesterol", "ldlcholesterol",
    }  # fmt: skip
    assert requests["lipids"]["patient_id"] == "pat2"
    assert requests["lipids"]["collected_at"] == dt.datetime(2011, 3, 3, 21, 30)
    comments = by_key(batch, "comment")
    assert comments["lipid/note/1"]["request_id"] == "lipid"
    assert comments["Specimen/101/note/1"]["request_id"] == "example"
    assert batch.tables["patient"].schema == entity("patient").schema()


def test_coded_and_text_values() -> None:
    blood = read_fhir([R4 / "Observation-bloodgroup.json"])
    (row,) = rows(blood, "result")
    assert row["value_text"] and row["value_num"] is None and row["loinc_code"] == "883-9"


# --- round trips ---------------------------------------------------------------------------

TS = dt.datetime(2021, 3, 4, 5, 6, 7, 123456)
ROWS: Rows = {
    "patient": [
        {"patient_id": "a/b c", "family_name": "Lefèvre", "birth_name": "Ø", "given_name": "Jean "
         "Marie", "nir": "1850578006084", "birth_date": dt.date(1, 1, 1), "sex": "X",
         "address": "1 rue\nBât", "postal_code": "75015", "city": "Paris", "phone": "01",
         "email": "a@b.fr"},
        {"patient_id": "", "family_name": "", "given_name": " ", "sex": "U", "city": "\u2028"},
    ],
    "practitioner": [
        {"practitioner_id": "d1", "family_name": "Ngô", "given_name": "Thị Lan",
         "rpps": "10003456789", "specialty": "Biologie médicale"},
        {"practitioner_id": "d2", "rpps": ""},
    ],
    "request": [
        {"request_id": "R1", "patient_id": "a/b c", "prescriber_id": "d1", "collected_at": TS,
         "received_at": dt.datetime(1969, 12, 31, 23, 59, 59, 999999), "site": "Labo « C »"},
        {"request_id": "R2", "patient_id": None, "prescriber_id": "", "site": ""},
        {"request_id": "R3", "patient_id": "", "collected_at": dt.datetime(9999, 12, 31)},
    ],
    "result": [
        {"result_id": "x1", "request_id": "R1", "loinc_code": "2345-7", "local_code": "GLY",
         "label": "Glucose", "value_num": 5.5, "value_text": "5,5", "unit": "mmol/L",
         "ref_low": 3.9, "ref_high": 6.1, "flag": "H", "status": "F", "validated_at": TS,
         "validator_id": "d1", "sensitivity": "health.sensitive.hiv"},
        {"result_id": "x2", "request_id": "R1", "loinc_code": " bad code ", "value_text": "pos",
         "flag": "POS", "status": "X", "validator_id": "ghost"},
        {"result_id": "x3", "request_id": None, "status": "C"},
    ],
    "comment": [
        {"comment_id": "c1", "request_id": "R1", "result_id": "x1", "written_at": TS,
         "text": "Anémie"},
        {"comment_id": "c2", "request_id": None, "result_id": "x2", "text": ""},
        {"comment_id": "c3", "request_id": "R2"},
    ],
}  # fmt: skip


def tables(rows: Rows) -> dict[str, pa.Table]:
    return {name: to_canonical(name, rows.get(name, [])) for name in ORDER}


def write_ndjson(out: Path, rows: Rows) -> Path:
    with FhirNdjsonWriter(out) as writer:
        for name, table in tables(rows).items():
            if name == "patient":
                table = table.drop_columns(["portal_password"])
            writer.write(name, table.to_batches())
    return out


def assert_same(batch: CanonicalBatch, rows: Rows) -> None:
    assert batch.rejections == [] and batch.unknown_segments == {}
    for name, table in tables(rows).items():
        key = entity(name).key
        want = sorted(table.to_pylist(), key=lambda r: r[key])
        got = sorted(rows_of(batch, name), key=lambda r: r[key])
        assert got == want, name


def rows_of(batch: CanonicalBatch, name: str) -> list[dict[str, Any]]:
    return rows(batch, name)


def test_ndjson_round_trip(tmp_path: Path) -> None:
    assert_same(read_fhir([write_ndjson(tmp_path, ROWS)]), ROWS)


def test_bundle_round_trip_and_r4_validity(tmp_path: Path) -> None:
    path = FhirBundleWriter(tmp_path).write(tables(ROWS))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    bundle = json.loads(path.read_text(encoding="utf-8"))
    validate_resource(bundle, where=path.name)  # the R4B Bundle model, entries included
    assert bundle["type"] == "collection"
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(urls)) == len(urls) and all(u.startswith("urn:uuid:") for u in urls)
    assert_same(read_fhir([path], validate=True), ROWS)


def test_bundle_writer_refusals(tmp_path: Path) -> None:
    rows = {k: [dict(r) for r in v] for k, v in ROWS.items()}
    rows["patient"][0]["portal_password"] = SECRET
    with pytest.raises(TargetError, match="credential field portal_password") as info:
        FhirBundleWriter(tmp_path).write(tables(rows))
    assert SECRET not in str(info.value)
    with pytest.raises(TargetError, match="not in the canonical model"):
        FhirBundleWriter(tmp_path).write({"visit": pa.table({"x": [1]})})
    assert list(tmp_path.iterdir()) == []
    FhirBundleWriter(tmp_path).write({})
    with pytest.raises(TargetError, match="already exists"):
        FhirBundleWriter(tmp_path).write({})


KEY = st.text(min_size=0, max_size=12)
MAYBE = st.none() | st.text(max_size=12) | st.sampled_from(["", " ", "\t", "a b", "é|~^\\&"])
FLOAT = st.none() | st.floats(allow_nan=False, allow_infinity=False)
TIME = st.none() | st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31))


@st.composite
def laboratories(draw: st.DrawFn) -> Rows:
    pats = draw(st.lists(KEY, max_size=3, unique=True))
    docs = draw(st.lists(KEY, max_size=3, unique=True))
    reqs = draw(st.lists(KEY, max_size=3, unique=True))
    ress = draw(st.lists(KEY, max_size=4, unique=True))
    ref = st.none() | KEY
    return {
        "patient": [
            {"patient_id": p, "family_name": draw(MAYBE), "given_name": draw(MAYBE),
             "birth_name": draw(MAYBE), "nir": draw(MAYBE),
             "birth_date": draw(st.none() | st.dates(min_value=dt.date(1, 1, 1))),
             "sex": draw(st.none() | st.sampled_from(["F", "M", "U", "X", ""])),
             "address": draw(MAYBE), "postal_code": draw(MAYBE), "city": draw(MAYBE),
             "phone": draw(MAYBE), "email": draw(MAYBE)}
            for p in pats
        ],
        "practitioner": [
            {"practitioner_id": d, "family_name": draw(MAYBE), "given_name": draw(MAYBE),
             "rpps": draw(MAYBE), "specialty": draw(MAYBE)}
            for d in docs
        ],
        "request": [
            {"request_id": r, "patient_id": draw(ref), "prescriber_id": draw(ref),
             "collected_at": draw(TIME), "received_at": draw(TIME), "site": draw(MAYBE)}
            for r in reqs
        ],
        "result": [
            {"result_id": x, "request_id": draw(ref), "loinc_code": draw(MAYBE),
             "local_code": draw(MAYBE), "label": draw(MAYBE), "value_num": draw(FLOAT),
             "value_text": draw(MAYBE), "unit": draw(MAYBE), "ref_low": draw(FLOAT),
             "ref_high": draw(FLOAT), "flag": draw(MAYBE), "status": draw(MAYBE),
             "validated_at": draw(TIME), "validator_id": draw(ref), "sensitivity": draw(MAYBE)}
            for x in ress
        ],
        "comment": [
            {"comment_id": c, "request_id": draw(ref), "result_id": draw(ref),
             "written_at": draw(TIME), "text": draw(MAYBE)}
            for c in draw(st.lists(KEY, max_size=3, unique=True))
        ],
    }  # fmt: skip


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=laboratories())
def test_round_trip_property(rows: Rows) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        assert_same(read_fhir([write_ndjson(out / "nd", rows)]), rows)
        assert_same(read_fhir([FhirBundleWriter(out / "b").write(tables(rows))]), rows)


# --- other shapes, refusals ----------------------------------------------------------------


def test_transaction_bundle_with_urn_references_and_deletes(tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle", "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:p", "resource": {"resourceType": "Patient", "gender": "other"},
             "request": {"method": "POST", "url": "Patient"}},
            {"fullUrl": "urn:uuid:o", "resource": {
                "resourceType": "Observation", "status": "amended", "subject": {
                    "reference": "urn:uuid:p"},
                "code": {"coding": [{"system": "http://acme/tests", "code": "K"}]},
                "valueQuantity": {"value": 0.5, "comparator": "<", "unit": "g/L"},
                "basedOn": [{"reference": "ServiceRequest/sr9"}],
                "note": [{"text": "hémolysé", "time": "2020-01-02"}]},
             "request": {"method": "POST", "url": "Observation"}},
            {"request": {"method": "DELETE", "url": "Patient/old"}},
            {"resource": {"resourceType": "Bundle", "type": "collection", "entry": [
                {"resource": {"resourceType": "Encounter", "id": "e"}}]}},
        ],
    }  # fmt: skip
    batch = read_fhir([dump(tmp_path / "t.json", bundle)])
    assert batch.rejections == []
    assert batch.unknown_segments == {NO_RESOURCE: 1, "Encounter": 1}
    (patient,) = rows(batch, "patient")
    assert (patient["patient_id"], patient["sex"]) == ("urn:uuid:p", "O")
    (result,) = rows(batch, "result")
    assert result["result_id"] == "urn:uuid:o" and result["request_id"] == "sr9"
    assert (result["value_num"], result["value_text"], result["unit"]) == (None, "<0.5", "g/L")
    assert (result["local_code"], result["status"]) == ("K", "C")
    (comment,) = rows(batch, "comment")
    assert comment == {"comment_id": "urn:uuid:o/note/1", "request_id": "sr9",
                       "result_id": "urn:uuid:o", "written_at": dt.datetime(2020, 1, 2),
                       "text": "hémolysé"}  # fmt: skip


def test_links_through_specimen_and_report(tmp_path: Path) -> None:
    docs = [
        {"resourceType": "Specimen", "id": "s", "request": [{"reference": "ServiceRequest/q"}],
         "collection": {"collectedPeriod": {"start": "2020-05-06T07:08:09+02:00"}},
         "subject": {"reference": "Patient/p"}},
        {"resourceType": "Observation", "id": "o", "status": "final", "code": {"text": "K"},
         "specimen": {"reference": "Specimen/s"}},
        {"resourceType": "DiagnosticReport", "id": "d", "status": "final", "code": {"text": "r"},
         "effectiveDateTime": "2019", "result": [{"reference": "Observation/o2"}]},
        {"resourceType": "Observation", "id": "o2", "status": "final", "code": {"text": "K"}},
        {"resourceType": "Specimen", "id": "lost"},
        {"resourceType": "Communication", "id": "m", "status": "completed",
         "about": [{"reference": "DiagnosticReport/d"}],
         "payload": [{"contentString": "a"}, {"contentAttachment": {"url": "x"}}]},
    ]  # fmt: skip
    batch = read_fhir([dump(tmp_path / "x.ndjson", *docs)])
    assert batch.rejections == []
    assert batch.unknown_segments == {
        NO_REQUEST: 1, "DiagnosticReport.effectiveDateTime (partial date)": 1,
        "Communication.payload (attachment or reference)": 1,
    }  # fmt: skip
    requests = by_key(batch, "request")
    assert requests["q"] == {"request_id": "q", "patient_id": "p", "prescriber_id": None,
                             "collected_at": dt.datetime(2020, 5, 6, 5, 8, 9),
                             "received_at": None, "site": None}  # fmt: skip
    results = by_key(batch, "result")
    assert results["o"]["request_id"] == "q" and results["o2"]["request_id"] == "d"
    assert by_key(batch, "comment")["m"]["request_id"] == "d"


def test_malformed_documents_and_resources_name_a_place_never_a_value(tmp_path: Path) -> None:
    nd = tmp_path / "a.ndjson"
    nd.write_text(
        "\n".join([
            json.dumps({"resourceType": "Patient", "id": "ok"}),
            f'{{"resourceType": "Patient", "id": "{SECRET}"',  # truncated JSON
            json.dumps({"resourceType": "Patient", "id": "p2", "birthDate": 19800101}),
            json.dumps({"id": SECRET}),
            json.dumps({"resourceType": "Observation", "id": "o", "status": "final",
                        "code": {"text": SECRET}, "valueQuantity": {"value": SECRET}}),
            json.dumps({"resourceType": "Patient", "id": "p3", "birthDate": "1980-02-30"}),
            json.dumps({"resourceType": "Patient", "id": "p4", "birthDate": "1980"}),
            json.dumps({"resourceType": "Bundle", "entry": [{"resource": [SECRET]}]}),
        ]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    (tmp_path / "b.json").write_bytes(b"\xff\xfe" + SECRET.encode())
    batch = read_fhir([nd, tmp_path / "b.json"])
    got = [(r.file, r.message_index, r.segment, r.field) for r in batch.rejections]
    assert got == [
        ("a.ndjson", 2, None, None),
        ("a.ndjson", 4, None, None),
        ("a.ndjson", 8, None, None),
        ("b.json", 1, None, None),
        ("a.ndjson", 3, "Patient", "birthDate"),
        ("a.ndjson", 6, "Patient", "birthDate"),
        ("a.ndjson", 5, "Observation", "valueQuantity.value"),
    ]
    assert all(SECRET not in repr(r) for r in batch.rejections)
    assert "entry 1" in batch.rejections[2].reason
    assert sorted(by_key(batch, "patient")) == ["ok", "p4"]
    assert batch.unknown_segments == {"Patient.birthDate (partial date)": 1}
    with pytest.raises(SourceError, match="not found"):
        read_fhir([tmp_path / "missing.json"])


def test_validation_option_rejects_what_the_r4_model_refuses(tmp_path: Path) -> None:
    example = json.loads((R4 / "Observation-f001.json").read_text(encoding="utf-8"))
    example["bodyWeight"] = SECRET  # no such element
    path = dump(tmp_path / "o.json", example)
    assert read_fhir([path]).rejections == []  # tolerant by default: unread elements ignored
    (rejection,) = read_fhir([path], validate=True).rejections
    assert rejection.segment == "Observation" and "at bodyWeight" in rejection.reason
    assert SECRET not in repr(rejection)


def test_duplicates(tmp_path: Path) -> None:
    pat = {"resourceType": "Patient", "id": "p", "gender": "female"}
    obs = {"resourceType": "Observation", "id": "o", "status": "final", "code": {"text": "a"}}
    docs = [pat, pat | {"birthDate": "2000-01-01"}, pat | {"gender": "male"},
            obs, obs, obs | {"status": "preliminary"}]  # fmt: skip
    batch = read_fhir([dump(tmp_path / "d.ndjson", *docs)])
    (patient,) = rows(batch, "patient")
    assert (patient["sex"], patient["birth_date"]) == ("F", dt.date(2000, 1, 1))
    assert batch.unknown_segments == {"Patient (differing duplicate, first kept)": 1}
    assert [(r.message_index, r.segment) for r in batch.rejections] == [(6, "Observation")]
    assert rows(batch, "result")[0]["status"] == "F"
