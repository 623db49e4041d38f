"""Filters are parsed and whitelisted; a literal can never become SQL."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ariane.errors import ScopeError
from ariane.model.entities import PATIENT, REQUEST, RESULT
from ariane.scope.filters import parse_filter

ACCEPTED = [
    (REQUEST, "collected_at >= DATE '2023-01-01'"),
    (REQUEST, "collected_at BETWEEN DATE '2020-01-01' AND TIMESTAMP '2021-01-01 10:00:00'"),
    (REQUEST, "site IN ('LYO1', 'LYO2') AND NOT site IS NULL"),
    (PATIENT, "sex = 'F' OR (birth_date < DATE '1950-01-01' AND postal_code LIKE '69%')"),
    (RESULT, "value_num > -3.5 AND status <> 'P'"),
    (RESULT, "ref_low < ref_high"),
]

REFUSED = [
    (REQUEST, "1 = 1", "expected a field"),
    (REQUEST, "site = 'x' OR 1 = 1", "expected a field"),
    (REQUEST, "site = 'x'; DROP TABLE DOS_DOSSIER", "single expression"),
    (REQUEST, "site IN (SELECT DOS_SITE FROM DOS_DOSSIER)", "not a query"),
    (REQUEST, "lower(site) = 'x'", "function"),
    (REQUEST, "DOS_SITE = 'x'", "unknown field"),
    (REQUEST, "patient.sex = 'F'", "another entity"),
    (REQUEST, "collected_at > '2020-01-01'", "timestamp"),
    (REQUEST, "collected_at > DATE 'yesterday'", "ISO date"),
    (REQUEST, "site = 3", "quoted string"),
    (REQUEST, "site = NULL", "IS NULL"),
    (RESULT, "value_num = 'high'", "number"),
    (RESULT, "value_num LIKE '1%'", "text fields only"),
    (REQUEST, "site", "not allowed"),
    (REQUEST, "", "empty"),
    (REQUEST, "site = 'a' AND", "not a valid expression"),
    (REQUEST, "site = 'x' " + "OR site = 'y' " * 150, "more than"),
]


@pytest.mark.parametrize(("entity", "text"), ACCEPTED)
def test_accepted(entity, text):
    f = parse_filter(entity, text)
    assert f.columns <= set(entity.field_names)


@pytest.mark.parametrize(("entity", "text", "needle"), REFUSED)
def test_refused(entity, text, needle):
    with pytest.raises(ScopeError, match=needle):
        parse_filter(entity, text)


def test_messages_never_echo_literals():
    with pytest.raises(ScopeError) as info:
        parse_filter(PATIENT, "family_name = 'DUPONT' OR 1 = 1")
    assert "DUPONT" not in info.value.message


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=30,
    )
)
def test_any_string_literal_stays_a_literal(value):
    """Whatever the literal holds (quotes, semicolons, comments), it compares as a value."""
    quoted = "'" + value.replace("'", "''") + "'"
    f = parse_filter(REQUEST, f"site = {quoted}")
    con = duckdb.connect()
    rows = [value, value + "x", "other", "'; DROP TABLE t; --"]
    con.register("t", pa.table({"site": rows}))
    n = con.execute(f"SELECT count(*) FROM t x WHERE {f.sql('x')}").fetchone()[0]
    assert n == sum(1 for r in rows if r == value)
