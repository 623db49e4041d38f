"""HL7 v2 ORU^R01 writer: exact round trips (hand rows, property test, the synthetic laboratory),
message and file layout, and refusals that name no value."""

from __future__ import annotations

import datetime as dt
import math
import stat
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ariane.connectors import duck
from ariane.connectors.hl7v2_read import read_hl7v2
from ariane.connectors.hl7v2_write import Hl7v2Writer
from ariane.connectors.source import SourceRef, attach, catalog
from ariane.demo.generator import generate
from ariane.errors import TargetError
from ariane.model.entities import ENTITIES, ORDER
from ariane.profiles.compile import LOCAL_TABLE, LOINC_TABLE, compile_view
from ariane.profiles.load import load_profile

T0 = dt.datetime(2025, 3, 1, 8, 30)
NOT_CARRIED = {"patient": ("portal_password",), "result": ("sensitivity",)}
WRITTEN = {
    n: tuple(f for f in ENTITIES[n].field_names if f not in NOT_CARRIED.get(n, ())) for n in ORDER
}
NASTY = "|^~\\&\\F\\ \\X0D\\\r\n\t\x00\x1c\x0b é 漢 \u2028"


def table(entity: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = ENTITIES[entity].schema(WRITTEN[entity])
    return pa.Table.from_pylist([{f: r.get(f) for f in WRITTEN[entity]} for r in rows], schema)


def tables(rows: dict[str, list[dict[str, Any]]]) -> dict[str, pa.Table]:
    return {name: table(name, rows.get(name, [])) for name in ORDER}


def write(out: Path, data: dict[str, pa.Table], **options: Any) -> int:
    return Hl7v2Writer(out, message_time=T0, **options).write(data)


def assert_round_trip(out: Path, data: dict[str, pa.Table], **options: Any) -> None:
    """What was written reads back field for field (rows in any order)."""
    write(out, data, **options)
    batch = read_hl7v2(sorted(out.glob("*.hl7")))
    assert batch.rejections == []
    assert batch.unknown_segments == {}
    for name in ORDER:
        key = ENTITIES[name].key
        sent = {r[key]: r for r in data[name].to_pylist()}
        back = {r[key]: r for r in batch.tables[name].select(data[name].column_names).to_pylist()}
        assert back == sent, name
        for row_key, row in sent.items():  # -0.0 == 0.0: compare signs too
            for f, v in row.items():
                if isinstance(v, float):
                    assert math.copysign(1, v) == math.copysign(1, back[row_key][f])


ROWS: dict[str, list[dict[str, Any]]] = {
    "patient": [
        {
            "patient_id": "P|1^&~\\",
            "family_name": "Lefèvre-D'Arc",
            "birth_name": 'Müller "dite"',
            "given_name": "Jean, Marie",
            "nir": "1850578006084",
            "birth_date": dt.date(1985, 5, 1),
            "sex": "F",
            "address": "12 rue de l'Église\nBât. B",
            "postal_code": "75015",
            "city": "Paris",
            "phone": "+33 1 23 45 67 89",
            "email": "j.m@exemple.fr",
        },
        {
            "patient_id": "",
            "family_name": "",
            "birth_name": None,
            "given_name": " ",
            "nir": '""',
            "birth_date": dt.date(1, 1, 1),
            "sex": "X",
            "address": "\xa0",
            "postal_code": None,
            "city": NASTY,
            "phone": "",
            "email": None,
        },
        {"patient_id": "p3", "sex": "U", "birth_name": "Only^Birth"},
    ],
    "practitioner": [
        {
            "practitioner_id": "M1",
            "family_name": "Dr^Who",
            "given_name": "~",
            "rpps": "10001",
            "specialty": "Biologie médicale",
        },
        {
            "practitioner_id": "M2",
            "family_name": None,
            "given_name": None,
            "rpps": None,
            "specialty": "",
        },
        {"practitioner_id": "10003", "family_name": "Same", "rpps": "10003"},
    ],
    "request": [
        {
            "request_id": "R1",
            "patient_id": "P|1^&~\\",
            "prescriber_id": "M1",
            "collected_at": dt.datetime(2021, 3, 4, 5, 6, 7, 123400),
            "received_at": dt.datetime(1, 1, 1),
            "site": "LYO1",
        },
        {
            "request_id": "R 2/é",
            "patient_id": "",
            "prescriber_id": "10003",
            "collected_at": dt.datetime(9999, 12, 31, 23, 59, 59, 999900),
            "site": "",
        },
        {"request_id": "R3", "patient_id": "p3"},
        {"request_id": "R4", "patient_id": None, "prescriber_id": None, "site": NASTY},
    ],
    "result": [
        {
            "result_id": "X1",
            "request_id": "R1",
            "loinc_code": "2345-7",
            "local_code": "GLY",
            "label": "Glucose à jeun",
            "value_num": 5.5,
            "unit": "mmol/L",
            "ref_low": 3.9,
            "ref_high": 6.1,
            "flag": "N",
            "status": "F",
            "validated_at": T0,
            "validator_id": "M2",
        },
        {
            "result_id": "X2",
            "request_id": "R1",
            "local_code": "CARYO",
            "label": None,
            "value_text": "46,XX",
            "flag": "A",
            "status": "P",
            "validator_id": "M1",
        },
        {
            "result_id": "X3",
            "request_id": "R1",
            "value_num": -0.0,
            "value_text": "<0,1",
            "ref_low": -1e-300,
            "ref_high": None,
        },
        {
            "result_id": "X4",
            "request_id": "R 2/é",
            "loinc_code": "",
            "local_code": "",
            "label": "",
            "value_num": 1.7976931348623157e308,
            "unit": "",
            "ref_low": None,
            "ref_high": 2.5e-7,
            "flag": "",
            "status": "",
        },
        {"result_id": "X5", "request_id": "R 2/é", "value_text": NASTY, "label": NASTY},
        {"result_id": "X6", "request_id": "R3", "value_text": ""},
        {"result_id": "X7", "request_id": "R3", "loinc_code": "718-7", "value_num": 12.0},
    ],
    "comment": [
        {
            "comment_id": "C1",
            "request_id": "R1",
            "result_id": None,
            "written_at": T0,
            "text": "ligne 1\nligne 2\r\nligne 3 | ^ ~ & \\ \\.br\\",
        },
        {"comment_id": "C2", "request_id": "R1", "result_id": "X1", "text": ""},
        {"comment_id": "C3", "request_id": "R1", "result_id": "X1", "text": None},
        {"comment_id": "", "request_id": "R4", "text": NASTY, "written_at": dt.datetime(1, 1, 1)},
        {"comment_id": "C5", "request_id": "R3", "result_id": "X7", "text": '""'},
    ],
}


def test_round_trip_of_hand_made_rows(tmp_path: Path) -> None:
    assert_round_trip(tmp_path, tables(ROWS))


def test_message_layout(tmp_path: Path) -> None:
    data = tables(
        {
            "patient": [ROWS["patient"][0]],
            "practitioner": [ROWS["practitioner"][0]],
            "request": [ROWS["request"][0]],
            "result": [ROWS["result"][0], ROWS["result"][2]],
            "comment": ROWS["comment"][:2],
        }
    )
    data["practitioner"] = table("practitioner", [ROWS["practitioner"][0], ROWS["practitioner"][1]])
    assert write(tmp_path, data, sending_facility="LAB^1", receiving_application="NEW") == 1
    [path] = tmp_path.iterdir()
    assert path.name == "oru-000001.hl7"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_bytes()
    assert b"\n" not in raw and raw.endswith(b"\r")
    lines = raw.decode("utf-8").split("\r")[:-1]
    ids = [line[:3] for line in lines]
    assert ids == [
        "FHS",
        "BHS",
        "MSH",
        "PID",
        "ORC",
        "OBR",
        "NTE",
        "ZNT",
        "OBX",
        "NTE",
        "ZNT",
        "OBX",
        "ZOB",
        "ZPR",
        "ZPR",
        "BTS",
        "FTS",
    ]
    msh = lines[2].split("|")
    assert msh[:9] == [
        "MSH",
        "^~\\&",
        "ARIANE",
        "LAB\\S\\1",
        "NEW",
        "",
        "20250301083000+0000",
        "",
        "ORU^R01^ORU_R01",
    ]
    assert len(msh[9]) == 20 and msh[10:12] == ["P", "2.5.1"] and msh[17] == "UNICODE UTF-8"
    assert lines[3] == (
        "PID|1||P\\F\\1\\S\\\\T\\\\R\\\\E\\^^^^PI~1850578006084^^^ASIP-SANTE-INS-NIR&"
        '1.2.250.1.213.1.4.8&ISO^NH||Lefèvre-D\'Arc^Jean, Marie^^^^^L~Müller "dite"^^^^^^M||'
        "19850501|F|||12 rue de l'Église\\X0A\\Bât. B^^Paris^^75015||+33 1 23 45 67 89^PRN^PH"
        "^^^^^^^^^+33 1 23 45 67 89~^NET^Internet^j.m@exemple.fr"
    )
    xcn = (
        "M1^Dr\\S\\Who^\\R\\~10001^Dr\\S\\Who^\\R\\^^^^^^ASIP-SANTE-PS&1.2.250.1.71.4.2.1&ISO"
        "^L^^^RPPS"
    )
    assert lines[4] == "ORC|RE|R1||||||||||" + xcn + "|||||||||LYO1"
    assert lines[5] == (
        "OBR|1|R1||REQ^Laboratory request^L|||20210304050607.1234+0000|||||||"
        "00010101000000+0000||" + xcn
    )
    assert lines[6] == (
        "NTE|1|L|ligne 1\\.br\\ligne 2\\X0D\\\\.br\\ligne 3 "
        "\\F\\ \\S\\ \\R\\ \\T\\ \\E\\ \\E\\.br\\E\\"
    )
    assert lines[8] == (
        "OBX|1|NM|2345-7^Glucose à jeun^LN^GLY^^L||5.5|mmol/L|3.9-6.1|N|||F|||||M2"
        "|||20250301083000+0000||X1"
    )
    assert lines[11].startswith("OBX|2|NM|||-0.0||>-0.000") and lines[12] == "ZOB|<0,1"
    assert lines[13:15] == ["ZPR|M1|Biologie médicale", 'ZPR|M2|""']
    assert lines[15:] == ["BTS|1", "FTS|1"]
    assert lines[0] == lines[1].replace("BHS", "FHS")


def test_files_batches_determinism_and_no_overwrite(tmp_path: Path) -> None:
    data = tables(ROWS)
    assert write(tmp_path / "a", data, messages_per_file=3) == 4
    assert write(tmp_path / "b", data, messages_per_file=3) == 4
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["oru-000001.hl7", "oru-000002.hl7"]
    for name in names:  # no hidden clock, no randomness: the same input gives the same bytes
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    texts = [(tmp_path / "a" / n).read_bytes().decode() for n in names]
    assert "BTS|3\r" in texts[0] and "BTS|1\r" in texts[1]
    controls = [line.split("|")[9] for t in texts for line in t.split("\r") if line[:3] == "MSH"]
    assert len(set(controls)) == 4
    with pytest.raises(TargetError, match="already exists"):
        write(tmp_path / "a", data)
    assert not list((tmp_path / "a").glob(".*"))
    writer = Hl7v2Writer(tmp_path / "c", message_time=T0, file_prefix="lab-")
    assert writer.write(data) + writer.write(tables({})) == 4
    assert [p.name for p in (tmp_path / "c").iterdir()] == ["lab-000001.hl7"]
    writer.close()
    with pytest.raises(TargetError):
        writer.write(data)


def test_without_z_segments(tmp_path: Path) -> None:
    write(tmp_path, tables(ROWS), z_segments=False)
    text = "".join(p.read_bytes().decode() for p in tmp_path.iterdir())
    assert "\rZ" not in text
    batch = read_hl7v2(sorted(tmp_path.iterdir()))
    comments = {c["comment_id"] for c in batch.tables["comment"].to_pylist()}
    assert comments == {"R1-nte1", "X1-nte1", "X1-nte2", "R4-nte1", "X7-nte1"}  # derived
    assert batch.tables["practitioner"].column("specialty").null_count == 3


def _with(entity: str, **changes: Any) -> dict[str, pa.Table]:
    rows = {k: [dict(r) for r in v] for k, v in ROWS.items()}
    rows[entity][0].update(changes)
    return tables(rows)


REFUSED = {
    "credential": lambda: (
        tables(ROWS) | {"patient": pa.table({"patient_id": ["p"], "portal_password": ["pw"]})}
    ),
    "unknown entity": lambda: tables(ROWS) | {"specimen": pa.table({"x": [1]})},
    "unknown column": lambda: (
        tables(ROWS) | {"request": pa.table({"request_id": ["R"], "secret": ["s"]})}
    ),
    "missing key": lambda: tables(ROWS) | {"request": pa.table({"site": ["s"]})},
    "null key": lambda: _with("result", result_id=None),
    "duplicate key": lambda: _with("result", result_id="X2"),
    "wrong type": lambda: (
        tables(ROWS) | {"result": pa.table({"result_id": ["X"], "value_num": ["SECRET"]})}
    ),
    "result without request": lambda: _with("result", request_id="SECRET"),
    "comment of a missing result": lambda: _with("comment", result_id="SECRET"),
    "comment of another request": lambda: _with("comment", result_id="X4"),
    "comment without request": lambda: _with("comment", request_id="SECRET"),
    "patient of no request": lambda: _with("patient", patient_id="SECRET"),
    "practitioner of no one": lambda: _with("practitioner", practitioner_id="SECRET"),
    "sub-100us time": lambda: _with("request", collected_at=dt.datetime(2020, 1, 1, 0, 0, 0, 5)),
    "NaN": lambda: _with("result", value_num=float("nan")),
    "infinite bound": lambda: _with("result", ref_low=float("-inf")),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refusals_name_no_value_and_write_nothing(tmp_path: Path, case: str) -> None:
    with pytest.raises(TargetError) as err:
        write(tmp_path, REFUSED[case]())
    for value in ("SECRET", "Lefèvre", "pw", "1850578006084"):
        assert value not in err.value.message
    assert list(tmp_path.iterdir()) == []


def test_bad_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TargetError):
        Hl7v2Writer(tmp_path, message_time=T0, messages_per_file=0)
    with pytest.raises(TargetError):
        Hl7v2Writer(tmp_path, message_time=T0, file_prefix="../x")
    with pytest.raises(TargetError):
        Hl7v2Writer(tmp_path, message_time=dt.datetime(2020, 1, 1, 0, 0, 0, 1))
    aware = dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    Hl7v2Writer(tmp_path, message_time=aware).write(tables(ROWS))
    assert "|20250301083000+0000|" in next(tmp_path.iterdir()).read_bytes().decode()


# --- property test ----------------------------------------------------------------------------

PIECES = st.sampled_from(
    [
        "|",
        "^",
        "~",
        "\\",
        "&",
        "\\F\\",
        "\\X0D\\",
        "\\.br\\",
        '""',
        "\r",
        "\n",
        "\r\n",
        " ",
        "é",
        "Ø",
        "漢",
        "\x00",
        "\x1c",
        "MSH|",
        "\u2028",
    ]
)
TEXT = st.lists(st.one_of(st.text(max_size=4), PIECES), max_size=5).map("".join)
OPT = st.none() | TEXT
NUM = st.none() | st.floats(allow_nan=False, allow_infinity=False)
TIME = st.none() | st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59)).map(
    lambda t: t.replace(microsecond=t.microsecond // 100 * 100)
)
DAY = st.none() | st.dates()


@st.composite
def laboratory(draw: st.DrawFn) -> dict[str, list[dict[str, Any]]]:
    keys = draw(st.lists(TEXT, min_size=8, max_size=8, unique=True))
    patient = {
        "patient_id": keys[0],
        **{
            f: draw(OPT)
            for f in (
                "family_name",
                "birth_name",
                "given_name",
                "nir",
                "sex",
                "address",
                "postal_code",
                "city",
                "phone",
                "email",
            )
        },
        "birth_date": draw(DAY),
    }
    doctor = {
        "practitioner_id": keys[1],
        **{f: draw(OPT) for f in ("family_name", "given_name", "rpps", "specialty")},
    }
    requests, results, comments = [], [], []
    for r in range(draw(st.integers(1, 2))):
        request_id = keys[2 + r]
        requests.append(
            {
                "request_id": request_id,
                "patient_id": keys[0] if r == 0 else draw(st.none()),
                "prescriber_id": keys[1] if r == 0 else draw(st.sampled_from([None, keys[1]])),
                "collected_at": draw(TIME),
                "received_at": draw(TIME),
                "site": draw(OPT),
            }
        )
        for k in range(draw(st.integers(0, 2))):
            result_id = f"{keys[4 + r]}#{k}"
            results.append(
                {
                    "result_id": result_id,
                    "request_id": request_id,
                    "value_num": draw(NUM),
                    **{
                        f: draw(OPT)
                        for f in (
                            "loinc_code",
                            "local_code",
                            "label",
                            "value_text",
                            "unit",
                            "flag",
                            "status",
                        )
                    },
                    "ref_low": draw(NUM),
                    "ref_high": draw(NUM),
                    "validated_at": draw(TIME),
                    "validator_id": draw(st.sampled_from([None, keys[1]])),
                }
            )
            if draw(st.booleans()):
                comments.append(
                    {
                        "comment_id": f"{keys[6]}#{result_id}",
                        "request_id": request_id,
                        "result_id": result_id,
                        "written_at": draw(TIME),
                        "text": draw(OPT),
                    }
                )
        for k in range(draw(st.integers(0, 2))):
            comments.append(
                {
                    "comment_id": f"{keys[7]}#{r}#{k}",
                    "request_id": request_id,
                    "result_id": None,
                    "written_at": draw(TIME),
                    "text": draw(OPT),
                }
            )
    return {
        "patient": [patient],
        "practitioner": [doctor],
        "request": requests,
        "result": results,
        "comment": comments,
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(laboratory())
def test_round_trip_property(lab: dict[str, list[dict[str, Any]]]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as out:
        assert_round_trip(Path(out), tables(lab))


# --- the synthetic laboratory ------------------------------------------------------------------


def synthetic_lab(tmp_path: Path, patients: int) -> dict[str, pa.Table]:
    """The demo LIS through its built-in profile: the canonical tables a migration carries."""
    generate(tmp_path / "lis.db", patients, 11, dt.date(2025, 3, 1))
    con = duck.connect()
    attach(con, SourceRef("sqlite", str(tmp_path / "lis.db")))
    for name in (LOINC_TABLE, LOCAL_TABLE):  # sensitivity is not written: empty tables suffice
        con.execute(f"CREATE TEMP TABLE {name} (code VARCHAR, category VARCHAR)")
    profile, cat = load_profile("labosoft-sil4"), catalog(con)
    out = {}
    for name in ORDER:
        data = con.execute(compile_view(profile, ENTITIES[name], cat)).to_arrow_table()
        out[name] = data.select(list(WRITTEN[name]))
    return out


def test_synthetic_laboratory_round_trip(tmp_path: Path) -> None:
    data = synthetic_lab(tmp_path, 120)
    assert all(data[name].num_rows for name in ORDER)
    assert_round_trip(tmp_path / "hl7", data, messages_per_file=100)


@pytest.mark.slow
def test_throughput_of_10k_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = synthetic_lab(tmp_path, 2600)
    started = time.perf_counter()
    written = write(tmp_path / "hl7", data)
    wrote = time.perf_counter() - started
    started = time.perf_counter()
    batch = read_hl7v2(sorted((tmp_path / "hl7").glob("*.hl7")))
    read = time.perf_counter() - started
    assert written >= 10_000 and batch.tables["request"].num_rows == written
    with capsys.disabled():
        print(
            f"\nHL7 v2: {written} ORU^R01 ({batch.tables['result'].num_rows} OBX), "
            f"write {written / wrote:,.0f} msg/s, read {written / read:,.0f} msg/s"
        )
    assert written / wrote > 200 and written / read > 200
