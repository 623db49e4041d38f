"""HL7 v2 reader: the real sample messages, framing, batches, character sets, mapping rules, and
malformed input rejected with its position and without any value."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ariane.connectors.hl7v2_read import read_hl7v2
from ariane.connectors.messages import CanonicalBatch, Rejection
from ariane.errors import InputError
from ariane.model.entities import ENTITIES, ORDER

REPO = Path(__file__).resolve().parents[3]
FIXTURES = Path(os.environ.get("ARIANE_FIXTURES", REPO.parent / "shared" / "fixtures"))
SAMPLES = FIXTURES / "hl7v2" / "microsoft-fhir-converter"

# Rows per entity (patient, practitioner, request, result, comment) read from each sample alone.
EXPECTED = {
    "ADT-A01-01.hl7": (1, 0, 0, 0, 0),
    "ADT-A04-01.hl7": (1, 0, 0, 0, 0),
    "ADT-A08-01.hl7": (1, 0, 0, 0, 0),
    "LAB-ORM-1.hl7": (1, 0, 1, 0, 0),
    "LAB-ORU-1.hl7": (1, 0, 2, 10, 0),
    "LAB-ORU-2.hl7": (1, 0, 2, 10, 0),
    "LRI_2.0-NG_CBC_Typ_Message.hl7": (1, 1, 1, 28, 0),
    "MDHHS-OML-O21-1.hl7": (1, 1, 1, 1, 1),
    "OML-O21-01.hl7": (1, 3, 1, 4, 2),
    "OML-O21-02.hl7": (1, 3, 2, 3, 2),
    "ORM-O01-01.hl7": (1, 3, 1, 1, 0),
    "ORM-O01-02.hl7": (1, 3, 1, 2, 2),
    "ORU-R01-01.hl7": (1, 1, 1, 4, 4),
    "ORU-R01-RMGEAD.hl7": (1, 1, 1, 1, 0),
    "OUL-R22-01.hl7": (1, 0, 1, 5, 1),
    "OUL-R24-01.hl7": (1, 1, 1, 6, 1),
}

MSH = "MSH|^~\\&|LIS|LAB|||20240102030405+0100||ORU^R01^ORU_R01|C{n}|P|2.5.1"
SECRET = "SECRETVALUE"  # planted in malformed input: must never appear in a rejection


def counts(batch: CanonicalBatch) -> tuple[int, ...]:
    return tuple(batch.tables[name].num_rows for name in ORDER)


def rows(batch: CanonicalBatch, entity: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = batch.tables[entity].to_pylist()
    return found


def by_key(batch: CanonicalBatch, entity: str) -> dict[object, dict[str, Any]]:
    key = ENTITIES[entity].key
    return {row[key]: row for row in rows(batch, entity)}


def message(n: int, *segments: str, msh: str = MSH) -> str:
    return "\r".join([msh.format(n=n), *segments]) + "\r"


def seg(sid: str, fields: dict[int, str]) -> str:
    """A segment from {field number: raw text}."""
    values = [fields.get(n, "") for n in range(1, max(fields) + 1)]
    return "|".join([sid, *values])


def oru(n: int = 1, request: str = "R1", patient: str = "P1", obr7: str = "20240101120000") -> str:
    return message(
        n,
        f"PID|1||{patient}^^^^PI||Doe^Jane^^^^^L||19800101|F",
        f"ORC|RE|{request}",
        f"OBR|1|{request}||REQ|||{obr7}",
        "OBX|1|NM|2345-7^Glucose^LN||5.5|mmol/L|3.9-6.1|N|||F",
    )


def read_text(tmp_path: Path, text: str | bytes, name: str = "m.hl7") -> CanonicalBatch:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return read_hl7v2([path])


def no_values(rejections: list[Rejection], *values: str) -> None:
    for rejection in rejections:
        text = repr(dataclasses.astuple(rejection))
        for value in (SECRET, *values):
            assert value not in text


# --- the real sample messages -----------------------------------------------------------------


def test_every_sample_message_reads_without_rejection() -> None:
    files = sorted(SAMPLES.glob("*.hl7"))
    assert {f.name for f in files} == set(EXPECTED)
    for path in files:
        batch = read_hl7v2([path])
        assert batch.rejections == [], path.name
        assert counts(batch) == EXPECTED[path.name], path.name
        for name in ORDER:
            assert batch.tables[name].schema == ENTITIES[name].schema()
            assert batch.tables[name].column(ENTITIES[name].key).null_count == 0
        results = batch.tables["result"]
        assert results.column("sensitivity").null_count == results.num_rows  # engine derives it
        assert batch.tables["patient"].column("portal_password").null_count == counts(batch)[0]


def test_adt_messages_yield_patients_only() -> None:
    batch = read_hl7v2(sorted(SAMPLES.glob("ADT-*.hl7")))
    assert counts(batch) == (1, 0, 0, 0, 0)
    patient = rows(batch, "patient")[0]
    assert patient["patient_id"] == "PATID1234"  # PID-3 typed MR, not the SS number
    assert patient["family_name"] == "Josh"  # the name typed L
    assert patient["birth_date"] == dt.date(1988, 8, 18)
    assert batch.unknown_segments["OBX: outside an order"] == 3
    assert batch.unknown_segments["PV1"] == 3


def test_lri_cbc_message_mapping() -> None:
    batch = read_hl7v2([SAMPLES / "LRI_2.0-NG_CBC_Typ_Message.hl7"])
    request = rows(batch, "request")[0]
    assert request == {
        "request_id": "ORD666555",
        "patient_id": "PATID1234",
        "prescriber_id": "57422",
        "collected_at": dt.datetime(2011, 1, 3, 22, 34, 28),  # 14:34:28-0800 in UTC
        "received_at": None,
        "site": None,
    }
    results = by_key(batch, "result")
    hb = results["ORD666555-718-7"]
    assert (hb["loinc_code"], hb["value_num"], hb["unit"], hb["ref_low"], hb["ref_high"]) == (
        "718-7",
        12.5,
        "g/mL",
        13.0,
        18.0,
    )
    assert (hb["flag"], hb["status"], hb["validated_at"]) == (
        "L",
        "F",
        dt.datetime(2011, 1, 4, 0, 34, 28),
    )  # OBX-19, not OBX-14
    assert results["ORD666555-38892-6"]["value_text"] == "Present ++ out of ++++"  # CWE text
    assert results["ORD666555-6742-1"]["value_text"] == "Many spherocytes present."  # TX
    assert all(r["sensitivity"] is None for r in results.values())
    assert rows(batch, "practitioner") == [
        {
            "practitioner_id": "57422",
            "family_name": "Radon",
            "given_name": "Nicholas",
            "rpps": None,
            "specialty": None,
        }
    ]


def test_updates_merge_later_values_over_earlier_ones() -> None:
    # LAB-ORU-1 (preliminary, some values missing) then LAB-ORU-2 (final) for the same orders.
    first = read_hl7v2([SAMPLES / "LAB-ORU-1.hl7"])
    assert by_key(first, "result")["88502218-11156-7"]["value_num"] is None
    both = read_hl7v2([SAMPLES / "LAB-ORU-1.hl7", SAMPLES / "LAB-ORU-2.hl7"])
    assert counts(both) == (1, 0, 2, 10, 0)
    leuko = by_key(both, "result")["88502218-11156-7"]
    assert (leuko["value_num"], leuko["status"]) == (8.2, "F")
    # The set ids differ between the two messages: identity follows OBX-3, not OBX-1.
    assert by_key(both, "result")["88502218-20509-6"]["label"] == "HEMOGLOBIN"
    request = by_key(both, "request")["88502218"]
    assert request["received_at"] == dt.datetime(2014, 10, 5, 23, 21)  # SPM-18, +0700


def test_other_samples_mapping_details() -> None:
    gh = read_hl7v2([SAMPLES / "ORU-R01-RMGEAD.hl7"])
    result = rows(gh, "result")[0]
    assert (result["value_num"], result["ref_low"]) == (182.0, None)  # SN ^182; range 70_105
    assert gh.unknown_segments == {"OBX-7: reference range not parsed": 1}
    assert rows(gh, "request")[0]["prescriber_id"] == "555-55-5555"
    mdhhs = read_hl7v2([SAMPLES / "MDHHS-OML-O21-1.hl7"])
    patient = rows(mdhhs, "patient")[0]
    assert patient["phone"] == "5863365555"
    assert patient["address"] == "123 Main Street\nApartment 3-C"
    assert rows(mdhhs, "comment") == [
        {
            "comment_id": "ORD723222-nte1",
            "request_id": "ORD723222",
            "result_id": None,
            "written_at": None,
            "text": "the sky is blue",
        }
    ]
    oul = read_hl7v2([SAMPLES / "OUL-R22-01.hl7"])
    assert rows(oul, "request")[0]["site"] == "Pathology Dep."  # ORC after OBR in OUL^R22
    assert oul.unknown_segments["OBX-5: ED value not mapped"] == 4
    oru = read_hl7v2([SAMPLES / "ORU-R01-01.hl7"])
    texts = {c["text"] for c in rows(oru, "comment")}
    assert any("O157:H7 & other STECs" in t for t in texts if t)  # \T\ unescaped


def test_all_samples_together() -> None:
    batch = read_hl7v2(sorted(SAMPLES.glob("*.hl7")))
    assert batch.rejections == []
    assert sum(counts(batch)) > 0
    assert batch.unknown_segments["PRT"] > 0


# --- framing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["\r", "\n", "\r\n"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_segment_endings_and_byte_order_mark(tmp_path: Path, ending: str, bom: bytes) -> None:
    text = (oru(1) + oru(2, "R2", "P2")).replace("\r", ending)
    batch = read_text(tmp_path, bom + text.encode())
    assert batch.rejections == []
    assert counts(batch) == (2, 0, 2, 2, 0)


def test_mllp_frames(tmp_path: Path) -> None:
    framed = b"".join(b"\x0b" + oru(i, f"R{i}").encode() + b"\x1c\r" for i in (1, 2, 3))
    batch = read_text(tmp_path, framed)
    assert batch.rejections == [] and counts(batch)[2] == 3
    cut = framed + b"\x0b" + oru(4, "R4").encode()[:40]  # truncated: no FS
    batch = read_text(tmp_path, cut)
    assert counts(batch)[2] == 3
    [rejection] = batch.rejections
    assert rejection.message_index == 4 and "MLLP frame not terminated" in rejection.reason
    junk = framed + b"garbage" + b"\x0b" + oru(5, "R5").encode() + b"\x1c\r"
    batch = read_text(tmp_path, junk)
    assert counts(batch)[2] == 4
    assert ["bytes outside MLLP frames" in r.reason for r in batch.rejections] == [True]


def test_batches_with_counts(tmp_path: Path) -> None:
    head = "FHS|^~\\&|LIS\rBHS|^~\\&|LIS\r"
    good = head + oru(1) + oru(2, "R2") + "BTS|2\rFTS|1\r"
    batch = read_text(tmp_path, good)
    assert batch.rejections == [] and counts(batch)[2] == 2
    wrong = head + oru(1) + oru(2, "R2") + "BTS|3\rFTS|1\r"
    batch = read_text(tmp_path, wrong)
    assert counts(batch)[2] == 2
    assert [(r.message_index, r.segment, r.field) for r in batch.rejections] == [
        (0, "BTS", "BTS-1")
    ]
    assert "declares 3 messages, 2 found" in batch.rejections[0].reason
    truncated = head + oru(1) + oru(2, "R2")
    batch = read_text(tmp_path, truncated)
    assert counts(batch)[2] == 1  # the last message may be cut: rejected, not half-loaded
    assert {(r.message_index, r.segment) for r in batch.rejections} == {
        (0, "BTS"),
        (0, "FTS"),
        (2, None),
    }
    two = "FHS|^~\\&\rBHS|^~\\&\r" + oru(1) + "BTS|1\rBHS|^~\\&\r" + oru(2, "R2") + "BTS|1\rFTS|2\r"
    assert read_text(tmp_path, two).rejections == []


# --- character sets -------------------------------------------------------------------------


def _latin(msh18: str) -> bytes:
    msh = MSH + "||||||" + msh18
    text = message(
        1,
        "PID|1||P1^^^^PI||Lefèvre^Zoé^^^^^L",
        "ORC|RE|R1",
        "OBR|1|R1",
        "NTE|1||caf\\XE9\\",
        msh=msh,
    )
    return text.encode("latin-1")


def test_declared_and_guessed_character_sets(tmp_path: Path) -> None:
    for msh18 in ("8859/1", ""):
        batch = read_text(tmp_path, _latin(msh18))
        assert batch.rejections == []
        assert rows(batch, "patient")[0]["family_name"] == "Lefèvre"
        assert rows(batch, "comment")[0]["text"] == "café"
    utf8 = message(1, "PID|1||P1^^^^PI||Lefèvre^Zoé^^^^^L", msh=MSH + "||||||UNICODE UTF-8")
    assert rows(read_text(tmp_path, utf8), "patient")[0]["given_name"] == "Zoé"


def test_wrong_or_unsupported_character_set_is_rejected(tmp_path: Path) -> None:
    batch = read_text(tmp_path, _latin("UNICODE UTF-8"))
    assert counts(batch) == (0, 0, 0, 0, 0)
    assert "character set declared in MSH-18" in batch.rejections[0].reason
    batch = read_text(tmp_path, _latin("UNICODE UTF-16"))
    assert [(r.segment, r.field) for r in batch.rejections] == [("MSH", "MSH-18")]


# --- malformed input ------------------------------------------------------------------------


BAD = {
    "no MSH": (f"PID|1||{SECRET}^^^^PI\r", 1, "PID", None, "before any MSH"),
    "truncated MSH": ("MSH|^~\\&|LIS\r", 1, "MSH", "MSH-9", "message type missing"),
    "short MSH": ("MSH|^~\r", 1, "MSH", "MSH-2", "MSH segment truncated"),
    "bad encoding characters": ("MSH|^~^&|LIS\r", 1, "MSH", "MSH-2", "encoding characters"),
    "truncated segment": (
        message(1, "PID|1||P1", f"OB{SECRET}"),
        1,
        None,
        None,
        "line 3: not a segment",
    ),
    "bad date": (
        message(1, "ORC|RE|R1", f"OBR|1|R1||REQ|||2024{SECRET}"),
        1,
        "OBR",
        "OBR-7",
        "line 3: not a valid HL7 date/time",
    ),
    "impossible date": (message(1, "PID|1||P1||||20230229"), 1, "PID", "PID-7", "not a valid"),
    "bad escape": (
        message(1, f"PID|1||P1||{SECRET}\\Zx\\"),
        1,
        "PID",
        "PID-5",
        "unsupported escape sequence",
    ),
    "unterminated escape": (
        message(1, f"ORC|RE|R1\rOBR|1|R1\rNTE|1||{SECRET}\\F"),
        1,
        "NTE",
        "NTE-3",
        "unterminated escape",
    ),
    "no order number": (
        message(1, "ORC|RE", "OBR|1|||REQ"),
        1,
        "OBR",
        "OBR-2",
        "no placer or filler order number",
    ),
    "duplicate OBX-21": (
        message(
            1,
            "ORC|RE|R1",
            "OBR|1|R1",
            f"OBX|1|ST|||{SECRET}" + "|" * 16 + "X1",
            "OBX|2|ST|||b" + "|" * 16 + "X1",
        ),
        1,
        "OBX",
        "OBX-21",
        "same observation instance identifier",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_message_is_rejected_with_position_and_no_value(
    tmp_path: Path, case: str
) -> None:
    text, index, segment, field, reason = BAD[case]
    # A good message after the bad one still loads, and keeps its own position.
    batch = read_text(tmp_path, text + oru(9, "OK1", "PGOOD"))
    [rejection] = batch.rejections
    assert rejection.file == str(tmp_path / "m.hl7")
    assert (rejection.message_index, rejection.segment, rejection.field) == (index, segment, field)
    assert reason in rejection.reason
    no_values(batch.rejections, "P1", "2024")
    assert by_key(batch, "request").keys() == {"OK1"}
    assert by_key(batch, "patient").keys() == {"PGOOD"}  # nothing of the bad message is kept


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_hl7v2([tmp_path / "missing.hl7"])
    assert "missing.hl7" in err.value.message
    with pytest.raises(InputError):
        read_hl7v2([tmp_path])


def test_empty_file_reads_nothing(tmp_path: Path) -> None:
    batch = read_text(tmp_path, b"\r\n\n")
    assert (counts(batch), batch.rejections, batch.unknown_segments) == ((0,) * 5, [], {})


# --- mapping rules --------------------------------------------------------------------------


def test_patient_identifiers_names_and_contacts(tmp_path: Path) -> None:
    nir = "1850578006084^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.8&ISO^NH"
    text = message(
        1,
        f"PID|1||SS1^^^US^SS~P9^^^^MR~{nir}||Dupont^Marie^Anne^^^^L~Martin^^^^^^M||19850501"
        "|F|||1 rue A&rue^Bât B^Lyon^^69001||^NET^Internet^m@x.fr~^WPN^PH^^^4^78~^PRN^PH^^33^1^23",
    )
    patient = rows(read_text(tmp_path, text), "patient")[0]
    assert patient | {"portal_password": None} == {
        "patient_id": "P9",
        "family_name": "Dupont",
        "given_name": "Marie",
        "birth_name": "Martin",
        "nir": "1850578006084",
        "birth_date": dt.date(1985, 5, 1),
        "sex": "F",
        "address": "1 rue A\nBât B",
        "city": "Lyon",
        "postal_code": "69001",
        "phone": "33123",
        "email": "m@x.fr",
        "portal_password": None,
    }
    pam_fr = message(1, "PID|1||2850578006084^^^^INS~55^^^^PI||Durand^Luc^^^^^D")
    patient = rows(read_text(tmp_path, pam_fr), "patient")[0]
    assert (patient["patient_id"], patient["nir"], patient["family_name"]) == (
        "55",
        "2850578006084",
        "Durand",
    )
    no_id = read_text(tmp_path, message(1, "PID|1||||Doe^J"))
    assert counts(no_id)[0] == 0
    assert no_id.unknown_segments == {"PID-3: patient without identifier": 1}


def test_practitioners_rpps_and_specialty(tmp_path: Path) -> None:
    rpps = "10101^Martin^Paul^^^^^^ASIP-SANTE-PS&1.2.250.1.71.4.2.1&ISO^L^^^RPPS"
    text = message(
        1,
        "PID|1||P1^^^^PI",
        seg("ORC", {1: "RE", 2: "R1", 12: f"M7^^~{rpps}"}),
        seg("OBR", {1: "1", 2: "R1", 16: "^X"}),
        seg("OBX", {1: "1", 2: "ST", 3: "L1^Test^L", 5: "pos", 16: "9^Valide^Vic"}),
        "ZPR|M7|Biologie",
    )
    batch = read_text(tmp_path, text)
    assert by_key(batch, "practitioner") == {
        "M7": {
            "practitioner_id": "M7",
            "family_name": "Martin",
            "given_name": "Paul",
            "rpps": "10101",
            "specialty": "Biologie",
        },
        "9": {
            "practitioner_id": "9",
            "family_name": "Valide",
            "given_name": "Vic",
            "rpps": None,
            "specialty": None,
        },
    }
    assert rows(batch, "request")[0]["prescriber_id"] == "M7"
    assert rows(batch, "result")[0]["validator_id"] == "9"
    assert batch.unknown_segments == {"OBR-16: practitioner without identifier": 1}


def test_times_use_the_offset_of_msh7_and_partial_precision(tmp_path: Path) -> None:
    text = message(1, "ORC|RE|R1", seg("OBR", {2: "R1", 7: "20240101120000", 14: "201906"}))
    request = rows(read_text(tmp_path, text), "request")[0]
    assert request["collected_at"] == dt.datetime(2024, 1, 1, 11, 0)  # MSH-7 is +0100
    assert request["received_at"] == dt.datetime(2019, 5, 31, 23, 0)  # 2019-06 in +0100
    utc = MSH.replace("+0100", "")
    text = message(1, seg("OBR", {2: "R1", 7: "2019"}), msh=utc)
    request = rows(read_text(tmp_path, text), "request")[0]
    assert request["collected_at"] == dt.datetime(2019, 1, 1)


def test_result_values_and_identifiers(tmp_path: Path) -> None:
    text = message(
        1,
        "ORC|RE|R1",
        "OBR|1|R1",
        "NTE|1||on the request",
        "OBX|1|SN|A^a^LN||<^5|||",
        "OBX|1|SN|B^b^99LAB||^1^:^128",
        "OBX|2|NM|C^c^L||4,5",
        "OBX|3|NM|C^c^L||60~120",
        "OBX|4|CWE|D||pos^Positive^L",
        "OBX|5|NM|||1.5|||",
        "NTE|1||first\\.br\\line~second",
        "NTE|2||x",
        "OBX|6|ED|E||^AP^^Base64",
        "OBX|7|NM|F^f^L|2|7|u|>-2",
        "OBX|8|NM|F^f^L|2|8||<10",
        "NTE|1||",
        "PV1|1",
    )
    batch = read_text(tmp_path, text)
    values = {
        r["result_id"]: (r["value_num"], r["value_text"], r["ref_low"], r["ref_high"])
        for r in rows(batch, "result")
    }
    assert values == {
        "R1-A": (None, "<5", None, None),
        "R1-B": (None, "1:128", None, None),
        "R1-C": (None, "4,5", None, None),
        "R1-C-2": (None, "60~120", None, None),
        "R1-D": (None, "Positive", None, None),
        "R1-obx5": (1.5, None, None, None),
        "R1-E": (None, None, None, None),
        "R1-F-2": (7.0, None, -2.0, None),
        "R1-F-2-2": (8.0, None, None, 10.0),
    }
    codes = {r["result_id"]: (r["loinc_code"], r["local_code"]) for r in rows(batch, "result")}
    assert codes["R1-A"] == ("A", None) and codes["R1-B"] == (None, "B")
    comments = {c["comment_id"]: (c["result_id"], c["text"]) for c in rows(batch, "comment")}
    assert comments == {
        "R1-nte1": (None, "on the request"),
        "R1-obx5-nte1": ("R1-obx5", "first\nline\nsecond"),
        "R1-obx5-nte2": ("R1-obx5", "x"),
        "R1-F-2-2-nte1": ("R1-F-2-2", None),
    }
    assert batch.unknown_segments == {
        "OBX-5: ED value not mapped": 1,
        "OBX-5: NM value not a number, kept as text": 1,
        "OBX-5: repeated value kept as text joined by ~": 1,
        "PV1": 1,
    }


def test_notes_and_segments_that_map_to_nothing_are_counted(tmp_path: Path) -> None:
    siu = MSH.replace("ORU^R01^ORU_R01", "SIU^S12")
    text = message(
        2,
        "NTE|1||before",
        "PID|1||P1^^^^PI",
        "NTE|1||about the patient",
        "ZNT|lost",
        "OBX|1|ST|||x",
        "ZXY|1",
        msh=siu,
    )
    batch = read_text(tmp_path, text)
    assert batch.unknown_segments == {
        "MSH-9: SIU read with the generic mapping": 1,
        "NTE: outside an order": 1,
        "NTE: patient note": 1,
        "ZNT": 1,
        "OBX: outside an order": 1,
        "ZXY": 1,
    }


# --- robustness -----------------------------------------------------------------------------

_VALID = (
    "FHS|^~\\&\rBHS|^~\\&\r"
    + message(
        1,
        "PID|1||P1^^^^PI~N^^^^INS||Doe^J^^^^^L~B^^^^^^M||19800101|F|||a^^b^^c||1^PRN^PH",
        seg("ORC", {1: "RE", 2: "R1", 12: "M1^X^Y~9^X^Y^^^^^^&1.2.250.1.71.4.2.1", 21: "S"}),
        seg("OBR", {2: "R1", 7: "20240101", 14: "202401011200-0500", 16: "M1"}),
        "NTE|1||n\\.br\\",
        "ZNT|C1|2024",
        seg(
            "OBX",
            {
                1: "1",
                2: "SN",
                3: "A^a^LN^B^b^L",
                5: "<^5",
                7: "1-2",
                16: "M1",
                19: "2024",
                21: "X1",
            },
        ),
        "ZOB|t",
        "NTE|1||m",
        "SPM|1|||||||||||||||||2024|2024",
        "ZPR|M1|s",
    )
    + "BTS|1\rFTS|1\r"
).encode()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(_VALID)), st.integers(0, 3), st.binary(max_size=3)), max_size=4
    )
)
def test_mutated_input_never_crashes_the_reader(edits: list[tuple[int, int, bytes]]) -> None:
    import tempfile

    data = _VALID
    for at, cut, insert in edits:
        data = data[:at] + insert + data[at + cut :]
    with tempfile.TemporaryDirectory() as tmp:
        batch = read_text(Path(tmp), data)
    for rejection in batch.rejections:
        assert rejection.message_index >= 0 and rejection.reason


def test_the_unmutated_input_reads_whole(tmp_path: Path) -> None:
    batch = read_text(tmp_path, _VALID)
    assert batch.rejections == [] and batch.unknown_segments == {}
    assert counts(batch) == (1, 1, 1, 1, 2)
    assert rows(batch, "practitioner")[0]["rpps"] == "9"
    assert rows(batch, "result")[0]["value_text"] == "t"  # ZOB
