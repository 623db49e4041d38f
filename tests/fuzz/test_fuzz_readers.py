"""HL7 v2, HPRIM and FHIR readers under random input: a whole CanonicalBatch or an ArianeError,
and a rejected message (or resource) leaves no row behind.

The properties live in fuzz/ariane_fuzz.py (shared with the atheris harnesses); see fuzz/README.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import ariane_fuzz as af
import ariane_strategies as strat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ariane.connectors import hprim_codec
from ariane.connectors.fhir_bundle import load
from ariane.connectors.fhir_read import read_fhir
from ariane.connectors.hl7v2_parse import Framer
from ariane.connectors.hl7v2_read import read_hl7v2
from ariane.connectors.hprim_read import read_hprim
from ariane.connectors.messages import CanonicalBatch
from ariane.model.entities import ORDER

LIMIT_S = strat.LIMIT_S
FAST = strat.fast(120)
Reader = Callable[[list[Path]], CanonicalBatch]

# --- regressions: each once escaped its reader as a foreign exception or blew up memory --------

MSH = b"MSH|^~\\&|A|B|||20240101||ORU^R01|M1|P|2.3\r"
HPRIM_HEAD = b"H|~^\\&|||||||||H2.1\rP|1|A1\r"
OBSERVATION = b'{"resourceType":"Observation","id":"o","status":"final",'
REGRESSIONS: dict[str, tuple[str, bytes]] = {
    # int() refuses "²" although str.isdigit() accepts it, and refuses > 4300 digits.
    "hprim-count-superscript": ("hprim", HPRIM_HEAD + "L|1||²\r".encode("latin-1")),
    "hprim-count-digits": ("hprim", HPRIM_HEAD + b"L|1||" + b"1" * 5000 + b"\r"),
    "hl7-bts-digits": ("hl7v2", b"BHS|^~\\&\r" + MSH + b"BTS|" + b"1" * 5000 + b"\r"),
    # \.sp<n>\ expanded to n line feeds: 60 bytes made 100 MB (and 10 GB one digit later).
    "hl7-formatting-count": ("hl7v2", MSH + b"PID|||P1||N\\.sp99999999\\^G\r"),
    # json's decoder raises RecursionError, not ValueError, past Python's recursion limit.
    "fhir-deep-json": (
        "fhir",
        b'{"resourceType":"Patient","x":' + b"[" * 5000 + b"]" * 5000 + b"}",
    ),
    # A lone \ud800 escape: a str no UTF-8 column can hold (UnicodeEncodeError in pyarrow).
    "fhir-lone-surrogate": (
        "fhir",
        b'{"resourceType":"Patient","id":"p","name":[{"family":"\\ud800"}]}',
    ),
    # OverflowError: a 400-digit integer as a float; a year-1 time with +14:00 to UTC.
    "fhir-huge-integer": ("fhir", OBSERVATION + b'"valueQuantity":{"value":1' + b"0" * 400 + b"}}"),
    "fhir-time-overflow": ("fhir", OBSERVATION + b'"issued":"0001-01-01T00:00:00+14:00"}'),
}


@pytest.mark.parametrize(("target", "data"), REGRESSIONS.values(), ids=REGRESSIONS.keys())
def test_regression_inputs(target: str, data: bytes) -> None:
    with af.time_limit(LIMIT_S):
        af.TARGETS[target](data)


def test_regression_rejections_say_why(tmp_path: Path) -> None:
    path = tmp_path / "x.hpr"
    path.write_bytes(REGRESSIONS["hprim-count-superscript"][1])
    assert [r.field for r in read_hprim([path]).rejections] == ["L.3"]
    path = tmp_path / "x.hl7"
    path.write_bytes(REGRESSIONS["hl7-formatting-count"][1])
    assert "out of range" in read_hl7v2([path]).rejections[0].reason
    path = tmp_path / "x.json"
    path.write_bytes(REGRESSIONS["fhir-lone-surrogate"][1])
    assert read_fhir([path]).rejections[0].reason == "not a UTF-8 JSON document"


# --- no crash, no malformed batch -------------------------------------------------------------


@FAST
@given(strat.hl7_file())
def test_hl7v2_grammar(data: bytes) -> None:
    with af.time_limit(LIMIT_S):
        af.check_hl7v2(data)


@FAST
@given(strat.mutated("hl7v2"))
def test_hl7v2_bytes(data: bytes) -> None:
    with af.time_limit(LIMIT_S):
        af.check_hl7v2(data)


@FAST
@given(strat.hprim_file())
def test_hprim_grammar(data: bytes) -> None:
    with af.time_limit(LIMIT_S):
        af.check_hprim(data)


@FAST
@given(strat.mutated("hprim"))
def test_hprim_bytes(data: bytes) -> None:
    with af.time_limit(LIMIT_S):
        af.check_hprim(data)


@FAST
@given(strat.fhir_file())
def test_fhir_grammar(data: bytes) -> None:
    with af.time_limit(LIMIT_S):
        af.check_fhir(data)


@FAST
@given(strat.mutated("fhir"))
def test_fhir_bytes(data: bytes) -> None:
    with af.time_limit(LIMIT_S):
        af.check_fhir(data)


# --- no partial output: a rejected message adds nothing ----------------------------------------
# A valid message V, then another message C (generated, or a valid one mutated). When the
# reader rejects C, the result must be exactly what V alone gives: no row of C, no change
# merged into V's rows.

HL7_V = (
    "MSH|^~\\&|LIS|LAB|||20240102030405+0100||ORU^R01^ORU_R01|V1|P|2.5.1\r"
    "PID|1||PV^^^^PI||EXEMPLE^Alix^^^^^L||19800101|F\r"
    "ORC|RE|RV||||||||||DR1^DOCTEUR^Test\r"
    "OBR|1|RV||REQ|||20240101120000\r"
    "OBX|1|NM|2345-7^Glucose^LN||5.5|mmol/L|3.9-6.1|N|||F\r"
    "NTE|1||controle\r"
)
HL7_C = HL7_V.replace("|V1|", "|V2|").replace("PV^", "PC^").replace("RV", "RC")
HPRIM_V = (
    "H|~^\\&|F.HPR||EMET||ORU|||||H2.2|20240101\r\n"
    "P|1|PV||||EXEMPLE^Alix||19800101|F\r\n"
    "OBR|1||RV|GLU^Glucose^L||20240101|202401010830||||||||||DR1^DOC^^RPPS\r\n"
    "OBX|1|NM|GLU^Glucose^L|RV-1|5.5|mmol/l|3.9 - 6.1|N|||F\r\n"
    "C|1||controle\r\n"
    "L|1||1|6\r\n"
)
HPRIM_C = HPRIM_V.replace("PV", "PC").replace("RV", "RC")
FHIR_V = (
    '{"resourceType":"Patient","id":"pv","name":[{"family":"EXEMPLE"}],"gender":"female"}\n'
    '{"resourceType":"Practitioner","id":"dr","name":[{"family":"DOCTEUR"}]}\n'
)


def _read_bytes(reader: Reader, name: str, data: bytes) -> CanonicalBatch:
    path = af.workdir() / name
    path.write_bytes(data)
    return reader([path])


def _same_tables(a: CanonicalBatch, b: CanonicalBatch) -> bool:
    return all(a.tables[n].equals(b.tables[n]) for n in ORDER)


def _second(template: str) -> st.SearchStrategy[bytes]:
    return st.builds(
        strat.mutate, st.just(template.encode()), st.lists(strat.byte_edit, max_size=3)
    )


@FAST
@given(_second(HL7_C) | strat.hl7_message(n=2).map(str.encode))
def test_hl7v2_rejected_message_adds_nothing(other: bytes) -> None:
    data = HL7_V.encode() + other
    framer = Framer(data)
    if len(framer.messages) != 2 or framer.problems:
        return  # C was not framed as exactly one message after V
    with af.time_limit(LIMIT_S):
        both = _read_bytes(read_hl7v2, "both.hl7", data)
        if any(r.message_index == 2 for r in both.rejections):
            alone = _read_bytes(read_hl7v2, "alone.hl7", HL7_V.encode())
            assert _same_tables(both, alone), "a rejected HL7 v2 message left rows"


@FAST
@given(_second(HPRIM_C) | strat.hprim_message().map(lambda t: t.encode("latin-1", "replace")))
def test_hprim_rejected_message_adds_nothing(other: bytes) -> None:
    data = HPRIM_V.encode("latin-1") + other
    kinds = [r.kind for r in hprim_codec.records(data.decode("latin-1"), "|")]
    if kinds.count("H") != 2:
        return  # C was not exactly one more message
    with af.time_limit(LIMIT_S):
        both = _read_bytes(read_hprim, "both.hpr", data)
        indexes = {r.message_index for r in both.rejections}
        if 2 in indexes and 0 not in indexes:
            alone = _read_bytes(read_hprim, "alone.hpr", HPRIM_V.encode("latin-1"))
            assert _same_tables(both, alone), "a rejected HPRIM message left rows"


@FAST
@given(strat.fhir_resource().map(lambda r: json.dumps(r).encode()) | strat.mutated("fhir"))
def test_fhir_rejected_resource_adds_nothing(other: bytes) -> None:
    line = other.replace(b"\n", b" ").replace(b"\r", b" ")
    single = af.workdir() / "single.ndjson"
    single.write_bytes(line)
    loaded = load([single])
    if len(loaded.items) != 1 or loaded.rejections:
        return  # not exactly one resource: a Bundle's entries are judged one by one
    with af.time_limit(LIMIT_S):
        both = _read_bytes(read_fhir, "both.ndjson", FHIR_V.encode() + line + b"\n")
        if any(r.message_index == 3 for r in both.rejections):
            alone = _read_bytes(read_fhir, "alone.ndjson", FHIR_V.encode())
            assert _same_tables(both, alone), "a rejected FHIR resource left rows"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strat.fhir_file() | strat.mutated("fhir"))
def test_fhir_validated(data: bytes) -> None:
    # validate=True adds the fhir.resources R4B models: their errors must be translated too.
    with af.time_limit(LIMIT_S):
        batch = af.refused(
            lambda: _read_bytes(lambda p: read_fhir(p, validate=True), "v.ndjson", data)
        )
        if batch is not None:
            af.check_batch(batch)
