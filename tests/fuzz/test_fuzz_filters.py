"""The filter compiler under random input: a checked filter that DuckDB binds, or a ScopeError.

The properties live in fuzz/ariane_fuzz.py (shared with the atheris harnesses); see fuzz/README.md.
"""

from __future__ import annotations

import ariane_fuzz as af
import ariane_strategies as strat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ariane.errors import ScopeError
from ariane.model.entities import ENTITIES
from ariane.scope.filters import parse_filter

LIMIT_S = strat.LIMIT_S
FAST = strat.fast(200)

# Each once escaped parse_filter (sqlglot's recursive parser: RecursionError) or passed it and
# then failed or misread in DuckDB: a NUL cuts the query short (DuckDB reads SQL as a C string),
# ISO forms Python reads and DuckDB refuses, an offset DuckDB silently drops.
REGRESSIONS = {
    "parens": ("patient", "(" * 1990 + "sex = 'F'" + ")" * 1990),
    "nots": ("patient", "NOT " * 900 + "sex = 'F'"),
    "nul": ("request", "collected_at >= DATE '2023-01-01' AND site IN ('\x00?O1', 'LYO2')"),
    "week-date": ("patient", "birth_date = DATE '2024-W01-1'"),
    "basic-format": ("patient", "birth_date < TIMESTAMP '20240101'"),
    "offset": ("request", "collected_at >= TIMESTAMP '2024-01-01 00:00:00+05:00'"),
    "date-with-time": ("request", "collected_at >= DATE '2024-01-01 10:00:00'"),
}


@pytest.mark.parametrize(("entity", "text"), REGRESSIONS.values(), ids=REGRESSIONS.keys())
def test_regression_filters_refused_as_scope_errors(entity: str, text: str) -> None:
    with pytest.raises(ScopeError):
        parse_filter(ENTITIES[entity], text)


@pytest.mark.parametrize(
    "text",
    ["collected_at >= TIMESTAMP '2024-01-01T10:00'", "received_at < TIMESTAMP '2024-01-01'",
     "collected_at BETWEEN DATE '2020-01-01' AND TIMESTAMP '2021-01-01 10:00:00.123456'"],
)  # fmt: skip
def test_documented_temporal_forms_still_accepted(text: str) -> None:
    af.check_filter_text("request", text)
    assert parse_filter(ENTITIES["request"], text).columns


@FAST
@given(
    st.sampled_from(af.ENTITY_NAMES).flatmap(lambda e: st.tuples(st.just(e), strat.filter_text(e)))
)
def test_filter_grammar(case: tuple[str, str]) -> None:
    entity, text = case
    with af.time_limit(LIMIT_S):
        af.check_filter_text(entity, text)


@FAST
@given(strat.mutated("filter"))
def test_filter_bytes(data: bytes) -> None:
    with af.time_limit(LIMIT_S):
        af.check_filter(data)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(af.ENTITY_NAMES), st.text(max_size=200))
def test_filter_any_text(entity: str, text: str) -> None:
    with af.time_limit(LIMIT_S):
        af.check_filter_text(entity, text)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(af.ENTITY_NAMES), st.integers(10, 600), st.sampled_from(["(", "NOT ", "-"]))
def test_filter_nesting(entity: str, depth: int, opener: str) -> None:
    field = ENTITIES[entity].fields[0].name
    closer = ")" if opener == "(" else ""
    with af.time_limit(LIMIT_S):
        af.check_filter_text(entity, opener * depth + f"{field} = 'x'" + closer * depth)
