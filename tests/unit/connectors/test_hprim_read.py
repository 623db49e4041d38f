"""HPRIM Santé 2.x reader: the fixtures, whole-message rejection, L counts, syntax, no values."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from ariane.connectors import hprim_codec as hc
from ariane.connectors.hprim import read_hprim
from ariane.connectors.hprim_read import PATIENT_COMMENT, UNPARSED_RANGE
from ariane.connectors.messages import CanonicalBatch
from ariane.errors import SourceError

FIXTURES = Path(
    os.environ.get(
        "ARIANE_FIXTURES", Path(__file__).resolve().parents[3].parent / "shared" / "fixtures"
    )
)
HPRIM = FIXTURES / "hprim"
H21 = HPRIM / "libhprim_test_H2.1_oru.hpr"
H22 = HPRIM / "libhprim_example_H2.2_no_L_record.hpr"

SECRET = "ZORGLUB"  # a "patient value" that must never appear in a rejection


def rows(batch: CanonicalBatch, entity: str) -> list[dict[str, object]]:
    out: list[dict[str, object]] = batch.tables[entity].to_pylist()
    return out


def write(tmp_path: Path, text: str, name: str = "m.hpr", charset: str = "latin-1") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(charset))
    return path


def total_rows(batch: CanonicalBatch) -> int:
    return sum(t.num_rows for t in batch.tables.values())


def test_fixtures_exist() -> None:
    assert H21.is_file() and H22.is_file(), f"HPRIM fixtures missing under {HPRIM}"


def test_h21_fixture_reads_whole(tmp_path: Path) -> None:
    batch = read_hprim([H21])
    assert batch.rejections == [] and batch.unknown_segments == {}
    (patient,) = rows(batch, "patient")
    assert patient | {"portal_password": None} == {
        "patient_id": "398", "family_name": "GAULLE", "given_name": "MARECHAL",
        "birth_name": "PIT", "nir": None, "birth_date": dt.date(1937, 3, 25), "sex": "F",
        "address": "28 RUE DE LA PAIX", "city": "PARIS", "postal_code": "75000", "phone": None,
        "email": None, "portal_password": None,
    }  # fmt: skip
    (request,) = rows(batch, "request")
    assert request == {
        "request_id": "20428E9575", "patient_id": "398", "prescriber_id": "PILO",
        "collected_at": dt.datetime(2012, 4, 28, 14, 12),
        "received_at": dt.datetime(2012, 4, 28, 14, 13), "site": None,
    }  # fmt: skip
    # The prescriber field is split by an A line inside "Clinique": joined before splitting.
    assert rows(batch, "practitioner") == [
        {"practitioner_id": "PILO", "family_name": "DR PITO OLIV", "given_name": None,
         "rpps": None, "specialty": None}
    ]  # fmt: skip
    results = rows(batch, "result")
    assert [r["local_code"] for r in results] == ["OT1", "HT", "TEXTE"]
    assert results[1]["label"] == "  Hematocrite"  # leading spaces are data
    assert (results[0]["value_num"], results[0]["unit"]) == (16.0, "UI/l")
    assert (results[1]["ref_low"], results[1]["ref_high"], results[1]["flag"]) == (35, 48, "N")
    assert results[0]["validated_at"] == dt.datetime(2012, 4, 28, 14, 38)
    assert results[2]["value_text"] == "GALAXIE~AL213202.j1~TXT"  # FIC: the field as text
    assert {r["result_id"] for r in results} == {"20428E9575/1", "20428E9575/2", "20428E9575/3"}
    (comment,) = rows(batch, "comment")
    assert comment["text"] == "Anemie macrocytaire"
    assert (comment["request_id"], comment["result_id"]) == ("20428E9575", "20428E9575/1")


def test_continuation_is_raw_text() -> None:
    text = H21.read_bytes().decode("latin-1")
    records = list(hc.records(text, "|"))
    obr = next(r for r in records if r.kind == "OBR")
    assert "TESTHP~Clinique HP~L|0468638395" in obr.text
    assert obr.physical == 2 and [r.kind for r in records].count("A") == 0


def test_h22_without_l_is_reported_and_not_half_loaded() -> None:
    batch = read_hprim([H22])
    assert total_rows(batch) == 0
    (rejection,) = batch.rejections
    assert rejection.file == H22.name and rejection.message_index == 1
    assert rejection.segment == "L" and "missing L record" in rejection.reason


def test_h22_reads_once_its_l_record_is_restored(tmp_path: Path) -> None:
    text = H22.read_bytes().decode("latin-1") + "\rL|1||2|8\r"
    batch = read_hprim([write(tmp_path, text)])
    assert batch.rejections == []
    (patient,) = rows(batch, "patient")  # the same patient twice: merged
    assert (patient["patient_id"], patient["given_name"], patient["nir"]) == (
        "01234", "PRENOM AUTRE", "01234",
    )  # fmt: skip
    (request,) = rows(batch, "request")
    assert request["request_id"] == "70528100180" and request["prescriber_id"] == "MAB"
    (result,) = rows(batch, "result")
    assert (result["value_num"], result["flag"], result["ref_low"]) == (3.98, "L", 7.0)
    assert batch.unknown_segments == {PATIENT_COMMENT: 1}  # the C right after P


def test_all_fixtures_from_the_folder() -> None:
    batch = read_hprim([HPRIM])  # SOURCE.src is not an HPRIM file name: not read
    assert [r.file for r in batch.rejections] == [H22.name]
    assert batch.tables["request"].num_rows == 1


@pytest.mark.parametrize(
    ("l_record", "field"),
    [("L|1||2|9", "L.3"), ("L|1||1|7", "L.4"), ("L|1||x", "L.3"), ("L|1||1|nine", "L.4")],
)
def test_l_count_mismatch_rejects_the_message(tmp_path: Path, l_record: str, field: str) -> None:
    text = H21.read_bytes().decode("latin-1").replace("L|1\r\n", l_record + "\r\n")
    batch = read_hprim([write(tmp_path, text)])
    assert total_rows(batch) == 0
    (rejection,) = batch.rejections
    assert (rejection.segment, rejection.field) == ("L", field)
    assert "line 9" in rejection.reason


@pytest.mark.parametrize("lines", [8, 9])  # A lines counted or not: the spec does not say
def test_l_counts_that_match(tmp_path: Path, lines: int) -> None:
    text = H21.read_bytes().decode("latin-1").replace("L|1\r\n", f"L|1||1|{lines}\r\n")
    assert read_hprim([write(tmp_path, text)]).rejections == []


HEAD = "H|~^\\&|F.HPR||LAB||ORU|||DEST||P|H2.2~C|202401020304\r"


@pytest.mark.parametrize(
    ("body", "segment", "field"),
    [
        (f"P|1|X\rOBR|1||~R1\rOBX|1|NM|GLU||1|||||||||{SECRET}\r", "OBX", "OBX.14"),
        (f"P|1|X|||||{SECRET}\r", "P", "P.7"),
        (f"P|1|X\rOBR|1||~R1||||{SECRET}99\r", "OBR", "OBR.7"),
        ("OBR|1||~R1\r", "OBR", "OBR"),
        ("P|1|X\rOBX|1|NM|GLU||1\r", "OBX", "OBX"),
        ("P|1|X\rOBR|1||\r", "OBR", "OBR.3"),
    ],
)
def test_malformed_record_rejects_message_with_position_and_no_value(
    tmp_path: Path, body: str, segment: str, field: str
) -> None:
    good = "P|1|OK\rOBR|1||~R0\rL|1\r"
    text = HEAD + good + HEAD + body + "L|1\r"
    batch = read_hprim([write(tmp_path, text)])
    (rejection,) = batch.rejections
    assert (rejection.message_index, rejection.segment, rejection.field) == (2, segment, field)
    assert rejection.reason.startswith("line ") and SECRET not in repr(rejection)
    # The first message is sound and loaded; nothing of the second one is.
    assert [r["request_id"] for r in rows(batch, "request")] == ["R0"]


def test_message_level_problems(tmp_path: Path) -> None:
    text = (
        f"P|1|{SECRET}\r"  # before any H
        + HEAD.replace("H2.2", "H3.0") + "P|1|A\rL|1\r"
        + HEAD + "P|1|B\r"  # no L before the next H
        + HEAD + "P|1|C\rL|1\r"
    )  # fmt: skip
    batch = read_hprim([write(tmp_path, text)])
    reasons = [(r.message_index, r.segment, r.field) for r in batch.rejections]
    assert reasons == [(0, "P", None), (1, "H", "H.12"), (2, "L", None)]
    assert [r["patient_id"] for r in rows(batch, "patient")] == ["C"]
    assert all(SECRET not in repr(r) for r in batch.rejections)


def test_not_hprim_and_bad_delimiters(tmp_path: Path) -> None:
    batch = read_hprim([write(tmp_path, f"{SECRET}\rnothing here\r", "a.hpr"),
                        write(tmp_path, "H|~~\\&|x\rL|1\r", "b.hpr")])  # fmt: skip
    assert [(r.file, r.message_index, r.field) for r in batch.rejections] == [
        ("a.hpr", 0, None), ("b.hpr", 1, "H.1"),
    ]  # fmt: skip
    with pytest.raises(SourceError, match="not found"):
        read_hprim([tmp_path / "missing.hpr"])


def test_duplicate_request_in_a_later_message_rejects_it(tmp_path: Path) -> None:
    msg = "P|1|X\rOBR|1||~R1\rOBX|1|NM|GLU||{v}\rL|1\r"
    batch = read_hprim([write(tmp_path, HEAD + msg.format(v=1) + HEAD + msg.format(v=2))])
    (rejection,) = batch.rejections
    assert (rejection.message_index, rejection.segment) == (2, "OBR")
    assert [r["value_num"] for r in rows(batch, "result")] == [1.0]


def test_unknown_records_and_unmapped_values_are_counted(tmp_path: Path) -> None:
    body = "C|1|L|msg\rP|1|X\rAP|1|Z\rOBR|1||~R1\rOBX|1|ST|T||v|||négatif\rZZZ|1\rREG|1\r"
    body = body.replace("|||négatif", "||négatif")  # OBX.7
    batch = read_hprim([write(tmp_path, HEAD + body + "L|1\r")])
    assert batch.rejections == []
    assert batch.unknown_segments == {PATIENT_COMMENT: 1, "AP": 1, "ZZZ": 1, "REG": 1,
                                      UNPARSED_RANGE: 1}  # fmt: skip


@pytest.mark.parametrize("end", ["\r", "\n", "\r\n"])
def test_record_ends(tmp_path: Path, end: str) -> None:
    text = H21.read_bytes().decode("latin-1").replace("\r\n", end)
    batch = read_hprim([write(tmp_path, text)])
    assert batch.rejections == [] and batch.tables["result"].num_rows == 3


def test_character_sets(tmp_path: Path) -> None:
    body = "P|1|X||N|Lefèvre~Zoë\rL|1\r"
    latin = read_hprim([write(tmp_path, HEAD + body, "l.hpr")])
    utf8_head = HEAD.replace("ORU|||", "ORU||UTF-8|")
    utf8 = read_hprim([write(tmp_path, utf8_head + body, "u.hpr", "utf-8")])
    bom = read_hprim([write(tmp_path, "\ufeff" + HEAD + body, "b.hpr", "utf-8")])
    for batch in (latin, utf8, bom):
        assert batch.rejections == []
        assert rows(batch, "patient")[0]["family_name"] == "Lefèvre"
    bad = read_hprim([write(tmp_path, utf8_head + body, "x.hpr")])  # latin-1 bytes, says UTF-8
    assert [r.reason for r in bad.rejections] == ["not valid utf-8 text: file not read"]


def test_escapes_and_custom_delimiters(tmp_path: Path) -> None:
    text = (
        "H#!*@$#F.HPR##LAB##ORU###DEST##P#H2.2!C#202401020304\n"
        "P#1#A@F@B@S@C@R@D@E@E@T@F##N#x!y\n"
        "OBR#1##!R1\n"
        "OBX#1#TX#T##l1@X0D0A@l2@.br@l3@Q@\n"
        "L#1##1#5\n"
    )
    batch = read_hprim([write(tmp_path, text)])
    assert batch.rejections == []
    (patient,) = rows(batch, "patient")
    assert patient["patient_id"] == "A#B!C*D@E$F"
    assert (patient["family_name"], patient["given_name"]) == ("x", "y")
    assert rows(batch, "result")[0]["value_text"] == "l1\r\nl2\nl3@Q@"  # unknown kept as written


def test_times_and_numbers() -> None:
    assert hc.parse_timestamp("20240102", "x") == dt.datetime(2024, 1, 2)
    assert hc.parse_timestamp("202401020304", "x") == dt.datetime(2024, 1, 2, 3, 4)
    assert hc.parse_timestamp("20240102030405.12", "x") == dt.datetime(2024, 1, 2, 3, 4, 5, 120000)
    for bad in ("2024010", "20241302", "20240102+0100", "2024-01-02"):
        with pytest.raises(hc.Malformed):
            hc.parse_timestamp(bad, "x")
    assert hc.parse_range("10 - 40") == (10, 40)
    assert hc.parse_range("3,5-4,5") == (3.5, 4.5)
    assert hc.parse_range("-5 - -1e-3") == (-5, -0.001)
    assert hc.parse_range("<5") == (None, 5) and hc.parse_range(">= 2") == (2, None)
    assert hc.parse_range("1.5 -") == (1.5, None) and hc.parse_range("- 2") == (None, 2)
    assert hc.parse_range("négatif") is None and hc.parse_range("-") is None
    assert hc.parse_number(" 3,98 ") == 3.98 and hc.parse_number("<0.5") is None


def test_charset_declared_on_a_continuation_of_h(tmp_path: Path) -> None:
    head = "H|~^\\&|F.HPR||LAB||ORU|\rA||UTF-8|DEST||P|H2.2~C|202401020304\r"
    batch = read_hprim([write(tmp_path, head + "P|1|X||N|Zoë\rL|1||1|4\r", charset="utf-8")])
    assert batch.rejections == [] and rows(batch, "patient")[0]["family_name"] == "Zoë"
