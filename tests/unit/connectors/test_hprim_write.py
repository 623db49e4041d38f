"""HPRIM writer: canonical -> HPRIM -> canonical keeps every carried field; refusals write
nothing."""

from __future__ import annotations

import datetime as dt
import math
import stat
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ariane.connectors import hprim_codec as hc
from ariane.connectors.hprim import CARRIED, NOT_CARRIED, HprimWriter, read_hprim
from ariane.connectors.hprim_write import UNREFERENCED
from ariane.connectors.messages import to_canonical
from ariane.errors import TargetError
from ariane.model.entities import ORDER, STRING, entity

NOW = dt.datetime(2024, 1, 2, 3, 4, 5)
TS = dt.datetime(2021, 3, 4, 5, 6, 7, 123456)
Rows = dict[str, list[dict[str, Any]]]

ROWS: Rows = {
    "patient": [
        {"patient_id": "p|1~^\\&", "family_name": "Lefèvre-D'Arc", "given_name": "Jean ^ Marie",
         "birth_name": "Müller & Ø", "nir": "1850578006084", "birth_date": dt.date(1, 1, 1),
         "sex": "F", "address": "12 rue de l'Église\r\nBât. B", "postal_code": "75015",
         "city": "Saint-Étienne", "phone": "+33 1 23", "email": "x@y.fr"},
        {"patient_id": " ", "sex": "X", "given_name": "  spaced  "},
        {"patient_id": "lonely", "family_name": "Sans Dossier"},
    ],
    "practitioner": [
        {"practitioner_id": "d&1", "family_name": "Ngô", "given_name": "Lan",
         "rpps": "10003456789", "specialty": "Biologie"},
        {"practitioner_id": "d2", "given_name": "Seul"},
        {"practitioner_id": "unused", "family_name": "Personne"},
    ],
    "request": [
        {"request_id": "R~1", "patient_id": "p|1~^\\&", "prescriber_id": "d&1",
         "collected_at": TS, "received_at": dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
         "site": "Labo « Centre »"},
        {"request_id": "R2", "patient_id": None, "prescriber_id": "ghost",
         "collected_at": dt.datetime(1969, 12, 31, 23, 59), "site": "\\X0D\\"},
        {"request_id": "R3", "patient_id": " ", "prescriber_id": "d2"},
    ],
    "result": [
        {"result_id": "x1", "request_id": "R~1", "loinc_code": "2345-7", "local_code": "GLY",
         "label": "Glucose " + "é" * 300, "value_num": 1e-7, "value_text": "a^b|c",
         "unit": "mmol/L", "ref_low": -1.5, "ref_high": 6.1, "flag": "H", "status": "F",
         "validated_at": TS, "validator_id": "d&1", "sensitivity": "health.result"},
        {"result_id": "x2", "request_id": "R~1", "loinc_code": "94500-6", "value_text": "<0.5",
         "ref_high": 0.5, "validator_id": "d2"},
        {"result_id": "x3", "request_id": "R~1", "label": "Commentaire", "value_text": "l1\nl2",
         "ref_low": 0.0, "status": "C"},
        {"result_id": "x4", "request_id": "R2", "local_code": "K", "value_num": -0.0},
    ],
    "comment": [
        {"comment_id": "c1", "request_id": "R~1", "result_id": "x1", "written_at": TS,
         "text": "Anémie \\ macrocytaire\rà contrôler"},
        {"comment_id": "c2", "request_id": "R~1", "text": " " * 250},
        {"comment_id": "c3", "request_id": "R2", "result_id": "x4", "text": None},
    ],
}  # fmt: skip


def tables(rows: Rows) -> dict[str, pa.Table]:
    return {name: to_canonical(name, rows.get(name, [])) for name in ORDER}


def expected(rows: Rows) -> dict[str, list[dict[str, Any]]]:
    """What HPRIM gives back: "" is null, no email/specialty/sensitivity, used practitioners."""
    used = {r.get("prescriber_id") for r in rows["request"]}
    used |= {r.get("validator_id") for r in rows["result"]}
    out = {}
    for name in ORDER:
        ent = entity(name)
        got = []
        for row in rows.get(name, []):
            if name == "practitioner" and row["practitioner_id"] not in used:
                continue
            full = {f: row.get(f) for f in ent.field_names}
            for f in (*NOT_CARRIED.get(name, ()), "portal_password"):
                if f in full:
                    full[f] = None
            for f in ent.field_names:
                if ent.field(f).type == STRING and full[f] == "":
                    full[f] = None
            got.append(full)
        out[name] = got
    # References to practitioners missing from the table come back as id-only rows.
    known = {r["practitioner_id"] for r in out["practitioner"]}
    for ref in sorted(x for x in used if x and x not in known):
        out["practitioner"].append({f: None for f in entity("practitioner").field_names}
                                   | {"practitioner_id": ref})  # fmt: skip
    return out


def sort(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: r[key])


def round_trip(rows: Rows, out: Path, **options: Any) -> tuple[dict[str, Any], HprimWriter]:
    writer = HprimWriter(out, "LAB", "DEST", NOW, **options)
    writer.write(tables(rows))
    batch = read_hprim([out])
    assert batch.rejections == [] and batch.unknown_segments == {}
    return {n: batch.tables[n].to_pylist() for n in ORDER}, writer


def assert_same(got: dict[str, Any], rows: Rows) -> None:
    want = expected(rows)
    for name in ORDER:
        key = entity(name).key
        assert sort(got[name], key) == sort(want[name], key), name


def test_round_trip_every_carried_field(tmp_path: Path) -> None:
    got, writer = round_trip(ROWS, tmp_path)
    assert_same(got, ROWS)
    assert writer.left_out == {
        UNREFERENCED: 1,
        "patient.email: no HPRIM field": 1,
        "practitioner.specialty: no HPRIM field": 1,
        "result.sensitivity: no HPRIM field": 1,
    }
    assert math.copysign(1, sort(got["result"], "result_id")[3]["value_num"]) == -1  # -0.0


def test_carried_fields_are_the_model_minus_documented_losses() -> None:
    for name in ORDER:
        lost = set(entity(name).field_names) - set(CARRIED[name])
        assert lost == {*NOT_CARRIED.get(name, ()), *(("portal_password",) * (name == "patient"))}


def test_file_shape(tmp_path: Path) -> None:
    assert HprimWriter(tmp_path, "LAB~1", "DEST", NOW).write(tables(ROWS)) == 1
    (path,) = tmp_path.iterdir()
    assert path.name == "20240102030405-00001.hpr"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = path.read_bytes()
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    lines = data.decode("latin-1").split("\r\n")[:-1]
    assert lines[0] == (
        "H|~^\\&|20240102030405-00001.hpr||LAB\\S\\1||ORU|||DEST||P|H2.2~C|20240102030405"
    )
    assert all(len(line) <= hc.LINE_LIMIT for line in lines)
    assert any(line.startswith("A|") for line in lines)
    p_records = sum(line.startswith("P|") for line in lines)
    assert lines[-1] == f"L|1||{p_records}|{len(lines)}"
    assert "é".encode("latin-1") in data  # ISO-8859-1, not UTF-8


def test_requests_are_batched_into_files(tmp_path: Path) -> None:
    rows: Rows = {
        "patient": [{"patient_id": f"p{i}"} for i in range(4)],
        "request": [{"request_id": f"r{i}", "patient_id": f"p{i % 3}"} for i in range(7)],
    }
    writer = HprimWriter(tmp_path, "LAB", "DEST", NOW, requests_per_file=3)
    assert writer.write(tables(rows)) == 3
    assert writer.write(tables({"patient": [{"patient_id": "again"}]})) == 1  # numbering goes on
    assert sorted(p.name for p in tmp_path.iterdir())[-1].endswith("-00004.hpr")
    batch = read_hprim([tmp_path])
    assert batch.rejections == [] and batch.tables["request"].num_rows == 7
    assert batch.tables["patient"].num_rows == 5  # p0 spans two files: read once


def test_cr_record_ends(tmp_path: Path) -> None:
    got, _ = round_trip(ROWS, tmp_path, newline="\r")
    assert_same(got, ROWS)
    assert b"\n" not in next(tmp_path.iterdir()).read_bytes()


def test_nothing_to_write_writes_no_file(tmp_path: Path) -> None:
    assert HprimWriter(tmp_path, "LAB", "DEST", NOW).write({}) == 0
    assert list(tmp_path.iterdir()) == []


def test_never_overwrites(tmp_path: Path) -> None:
    HprimWriter(tmp_path, "LAB", "DEST", NOW).write(tables(ROWS))
    with pytest.raises(TargetError, match="already exists"):
        HprimWriter(tmp_path, "LAB", "DEST", NOW).write(tables(ROWS))


def _with(entity_name: str, **changes: Any) -> Rows:
    rows = {k: [dict(r) for r in v] for k, v in ROWS.items()}
    rows[entity_name][0].update(changes)
    return rows


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (_with("patient", family_name="Łukasz ZORGLUB", city="東京"),
         r"patient\.family_name: 1 values have characters outside ISO-8859-1"),
        (_with("comment", text="\u2028"), "comment.text: 1 values .* outside ISO-8859-1"),
        (_with("request", request_id=""), r"request\.request_id: 1 rows with a null or empty key"),
        (_with("result", request_id="nowhere"), "result: 1 rows whose request is not written"),
        (_with("result", request_id=None), "result: 1 rows whose request is not written"),
        (_with("comment", result_id="x4"), "comment: 1 rows cannot be placed"),
        (_with("comment", request_id=None), "comment: 1 rows cannot be placed"),
        (_with("comment", request_id=None, result_id=None), "comment: 1 rows cannot be placed"),
        (_with("result", result_id="x2"), "result: duplicate keys"),
        (_with("patient", portal_password="ZORGLUB"), "credential field portal_password"),
        (_with("result", value_num=math.inf), r"result\.value_num: 1 values are NaN"),
    ],
)  # fmt: skip
def test_refusals_name_field_and_count_and_write_nothing(
    tmp_path: Path, rows: Rows, message: str
) -> None:
    with pytest.raises(TargetError, match=message) as info:
        HprimWriter(tmp_path, "LAB", "DEST", NOW).write(tables(rows))
    assert "ZORGLUB" not in str(info.value) and "東京" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_bad_tables_are_refused(tmp_path: Path) -> None:
    writer = HprimWriter(tmp_path, "LAB", "DEST", NOW)
    with pytest.raises(TargetError, match="not in the canonical model"):
        writer.write({"visit": pa.table({"x": [1]})})
    with pytest.raises(TargetError, match="columns must be distinct canonical fields"):
        writer.write({"patient": pa.table({"patient_id": ["a"], "shoe_size": [42]})})
    with pytest.raises(TargetError, match="key column patient_id is missing"):
        writer.write({"patient": pa.table({"family_name": ["a"]})})
    with pytest.raises(TargetError, match="type string is not timestamp"):
        writer.write({"request": pa.table({"request_id": ["a"], "collected_at": ["ZORGLUB"]})})
    with pytest.raises(TargetError, match="outside ISO-8859-1"):
        HprimWriter(tmp_path, "LAB€", "DEST", NOW)
    with pytest.raises(TargetError, match="CR or CRLF"):
        HprimWriter(tmp_path, "LAB", "DEST", NOW, newline="\n")
    assert list(tmp_path.iterdir()) == []


def test_subsets_of_columns(tmp_path: Path) -> None:
    rows = {
        "patient": pa.table({"patient_id": ["p"], "birth_date": [dt.date(2000, 2, 29)]}),
        "request": pa.table({"request_id": ["r"], "patient_id": ["p"]}),
    }
    HprimWriter(tmp_path, "LAB", "DEST", NOW).write(rows)
    batch = read_hprim([tmp_path])
    assert batch.tables["patient"].to_pylist()[0]["birth_date"] == dt.date(2000, 2, 29)
    assert batch.tables["request"].to_pylist()[0]["patient_id"] == "p"


# --- properties --------------------------------------------------------------------------------

DELIMS = "|~^\\&"
LATIN1 = st.characters(max_codepoint=0xFF)
TEXT = st.one_of(
    st.text(alphabet=st.sampled_from(DELIMS + "\r\n \tAé"), max_size=12),
    st.text(alphabet=LATIN1, max_size=30),
    st.just(""),
)
KEY = TEXT.filter(lambda s: s != "")
MAYBE = st.none() | TEXT
FLOAT = st.none() | st.floats(allow_nan=False, allow_infinity=False)
TIME = st.none() | st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31))
DAY = st.none() | st.dates(min_value=dt.date(1, 1, 1))


@st.composite
def laboratories(draw: st.DrawFn) -> Rows:
    pats = draw(st.lists(KEY, min_size=1, max_size=3, unique=True))
    docs = draw(st.lists(KEY, max_size=3, unique=True))
    reqs = draw(st.lists(KEY, min_size=1, max_size=4, unique=True))
    ress = draw(st.lists(KEY, max_size=6, unique=True))
    coms = draw(st.lists(KEY, max_size=4, unique=True))
    doc = st.none() | st.sampled_from(docs) if docs else st.none()
    rows: Rows = {
        "patient": [
            {"patient_id": p, "family_name": draw(MAYBE), "given_name": draw(MAYBE),
             "birth_name": draw(MAYBE), "nir": draw(MAYBE), "birth_date": draw(DAY),
             "sex": draw(MAYBE), "address": draw(MAYBE), "postal_code": draw(MAYBE),
             "city": draw(MAYBE), "phone": draw(MAYBE)}
            for p in pats
        ],
        "practitioner": [
            {"practitioner_id": d, "family_name": draw(MAYBE), "given_name": draw(MAYBE),
             "rpps": draw(MAYBE)}
            for d in docs
        ],
        "request": [
            {"request_id": r, "patient_id": draw(st.none() | st.sampled_from(pats)),
             "prescriber_id": draw(doc), "collected_at": draw(TIME), "received_at": draw(TIME),
             "site": draw(MAYBE)}
            for r in reqs
        ],
        "result": [
            {"result_id": x, "request_id": draw(st.sampled_from(reqs)),
             "loinc_code": draw(MAYBE), "local_code": draw(MAYBE), "label": draw(MAYBE),
             "value_num": draw(FLOAT), "value_text": draw(MAYBE), "unit": draw(MAYBE),
             "ref_low": draw(FLOAT), "ref_high": draw(FLOAT), "flag": draw(MAYBE),
             "status": draw(MAYBE), "validated_at": draw(TIME), "validator_id": draw(doc)}
            for x in ress
        ],
    }  # fmt: skip
    comments = []
    for c in coms:
        result = draw(st.none() | st.sampled_from(rows["result"])) if ress else None
        request = result["request_id"] if result else draw(st.sampled_from(reqs))
        comments.append({"comment_id": c, "request_id": request,
                         "result_id": result["result_id"] if result else None,
                         "written_at": draw(TIME), "text": draw(MAYBE)})  # fmt: skip
    rows["comment"] = comments
    return rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=laboratories())
def test_round_trip_property(rows: Rows) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        got, _ = round_trip(rows, Path(tmp), requests_per_file=2)
    assert_same(got, rows)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(DELIMS + " aé\r\n\x85"), max_size=900), st.integers(12, 60))
def test_fold_then_join_is_identity(value: str, limit: int) -> None:
    codec = hc.Codec(hc.DEFAULT)
    record = "OBX|1|ST|C||" + codec.escape(value)
    lines = hc.fold(record, hc.DEFAULT, limit=limit)
    assert all(len(line) <= limit for line in lines)
    for line in lines:  # no cut inside an escape sequence
        body = line[2:] if line.startswith("A|") and line is not lines[0] else line
        assert body.count("\\") % 2 == 0
    (joined,) = hc.records("\r".join(lines), "|")
    assert joined.text == record and joined.physical == len(lines)
    assert codec.unescape(codec.fields(joined.text)[5]) == value


def test_line_limit_option(tmp_path: Path) -> None:
    got, _ = round_trip(ROWS, tmp_path, line_limit=40)
    assert_same(got, ROWS)
    lines = next(tmp_path.iterdir()).read_bytes().decode("latin-1").split("\r\n")[:-1]
    assert max(len(line) for line in lines) <= 40 and len(lines) > 40
    with pytest.raises(TargetError, match="line_limit"):
        HprimWriter(tmp_path, "LAB", "DEST", NOW, line_limit=10)


def test_names_needing_iso_8859_15_are_carried_and_declared(tmp_path: Path) -> None:
    rows = {
        **ROWS,
        "patient": [{**ROWS["patient"][0], "family_name": "ŒILLET"}, *ROWS["patient"][1:]],
    }
    got, _ = round_trip(rows, tmp_path)
    assert_same(got, rows)
    header = next(tmp_path.glob("*.hpr")).read_bytes().split(b"\r\n")[0]
    assert header.split(b"|")[8] == b"8859/15"


def test_values_fitting_no_single_charset_are_refused(tmp_path: Path) -> None:
    from ariane.errors import TargetError

    both = {**ROWS, "patient": [{**ROWS["patient"][0], "family_name": "ŒILLET ½"}]}
    with pytest.raises(TargetError, match="ISO-8859"):
        HprimWriter(tmp_path, "LAB", "DEST", NOW).write(tables(both))
    cyrillic = {**ROWS, "patient": [{**ROWS["patient"][0], "family_name": "Иванов"}]}
    with pytest.raises(TargetError, match="outside ISO-8859-1 and ISO-8859-15"):
        HprimWriter(tmp_path, "LAB", "DEST", NOW).write(tables(cyrillic))
    assert not list(tmp_path.glob("*.hpr"))
