"""HL7 v2 escaping: every delimiter, control character and "" survives; bad escapes are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ariane.connectors import hl7v2_time
from ariane.connectors.hl7v2_escape import DEFAULT, Delimiters, EscapeError, escaper, unescape

E = escaper(DEFAULT)
FT = escaper(DEFAULT, formatted=True)


def b(text: str) -> str:
    """Test strings write the escape character as "/" (a raw string cannot end with "\\")."""
    return text.replace("/", "\\")


def _read(raw: str, d: Delimiters = DEFAULT, charset: str = "utf-8") -> str | None:
    """What the reader does with one component: "" -> empty string, nothing -> null."""
    if raw == "":
        return None
    if raw == '""':
        return ""
    return unescape(raw, d, charset)


def test_delimiters_and_controls_are_escaped() -> None:
    assert E("a|b^c&d~e\\f") == b("a/F/b/S/c/T/d/R/e/E/f")
    assert E("l1\nl2\r\x00\x7f") == b("l1/X0A/l2/X0D//X00//X7F/")
    assert FT("l1\nl2\r\n") == b("l1/.br/l2/X0D//.br/")
    assert E("Lefèvre Ø 漢字") == "Lefèvre Ø 漢字"


def test_null_empty_and_literal_quotes_stay_distinct() -> None:
    assert E(None) == ""
    assert E("") == '""'
    assert E('""') == b("/X2222/")
    for value in (None, "", '""', '"', '"""'):
        assert _read(E(value)) == value


def test_unescape_reads_the_standard_sequences() -> None:
    assert unescape(b("a/F/b/S/c/T/d/R/e/E/f"), DEFAULT, "utf-8") == "a|b^c&d~e\\f"
    assert unescape(b("x/.br/y/.sp2/z/.ce/w/.sk3/v"), DEFAULT, "utf-8") == "x\ny\n\nz\nw   v"
    assert unescape(b("/H/bold/N/ /.in+4//.ti-2//.fi//.nf/t"), DEFAULT, "utf-8") == "bold t"
    assert unescape(b("caf/XC3A9/"), DEFAULT, "utf-8") == "café"
    assert unescape(b("caf/XE9/"), DEFAULT, "latin-1") == "café"


@pytest.mark.parametrize(
    "raw",
    [
        b(r)
        for r in (
            "open/F",
            "/Zlocal/",
            "/C2842/",
            "/M2442/",
            "a//b",
            "/X1/",
            "/XZZ/",
            "/.sp x/",
            "/XE9/",
            "/.xx/",
        )
    ],
)
def test_bad_or_uninterpretable_escapes_are_refused(raw: str) -> None:
    with pytest.raises(EscapeError) as err:
        unescape(raw, DEFAULT, "utf-8")
    assert "local" not in str(err.value)


def test_other_encoding_characters() -> None:
    d = Delimiters.parse("#", "$%/*")
    esc = escaper(d)
    value = "a#b$c%d/e*f|g^h"
    assert esc(value) == "a/F/b/S/c/R/d/E/e/T/f|g^h"
    assert unescape(esc(value), d, "utf-8") == value
    truncating = Delimiters.parse("|", "^~\\&#")
    assert escaper(truncating)("a#b") == b("a/P/b")
    assert unescape(b("a/P/b"), truncating, "utf-8") == "a#b"


@pytest.mark.parametrize("enc", ["^~\\", "^~\\&#!", "^^\\&", "^~a&", "^~ &", "^~|&"])
def test_malformed_encoding_characters(enc: str) -> None:
    with pytest.raises(ValueError):
        Delimiters.parse("|", enc)


@given(st.text(), st.booleans())
def test_escape_then_unescape_is_identity(value: str, formatted: bool) -> None:
    esc = escaper(DEFAULT, formatted=formatted)
    raw = esc(value)
    for delimiter in "|^&~\r\n":
        assert delimiter not in raw
    assert _read(raw) == value


def test_dtm_reading_and_writing() -> None:
    plus2 = dt.timedelta(hours=2)
    parse = hl7v2_time.parse_dtm
    assert parse("20240102030405+0200", None) == dt.datetime(2024, 1, 2, 1, 4, 5)
    assert parse("20240102030405", plus2) == dt.datetime(2024, 1, 2, 1, 4, 5)
    assert parse("20240102030405", None) == dt.datetime(2024, 1, 2, 3, 4, 5)
    assert parse("20240102030405.1-0130", None) == dt.datetime(2024, 1, 2, 4, 34, 5, 100000)
    assert parse("1962", None) == dt.datetime(1962, 1, 1)
    assert parse("196203", None) == dt.datetime(1962, 3, 1)
    assert parse("2024010203", None) == dt.datetime(2024, 1, 2, 3)
    assert hl7v2_time.parse_date("20190411101633+0215") == dt.date(2019, 4, 11)
    for bad in (
        "2024013",
        "20241301",
        "20240230",
        "2024010225",
        "20240102+2500",
        "",
        "x",
        "00000101",
    ):
        with pytest.raises(ValueError):
            parse(bad, None)
    value = dt.datetime(1, 1, 1, 0, 0, 0, 1200)
    assert hl7v2_time.format_dtm(value) == "00010101000000.0012+0000"
    assert parse(hl7v2_time.format_dtm(value), None) == value
    with pytest.raises(ValueError):
        hl7v2_time.format_dtm(dt.datetime(2024, 1, 1, 0, 0, 0, 1))
    assert hl7v2_time.offset("202401010000-0500") == -dt.timedelta(hours=5)
    assert hl7v2_time.offset("202401010000") is None
