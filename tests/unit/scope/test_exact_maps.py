"""Which mapping tables may stand in for the scope in a membership test (`exact_maps`).

A map may, only when every value it holds comes from one column of the in-scope requests: then
a match in the map is membership of that column. A domain also fed from an entity's own rows
(the validators of results, say) holds other values, and must not.
"""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from ariane.crypto.seal import new_identity
from ariane.demo.run import PROFILE, demo_manifest_text
from ariane.manifest.load import parse_manifest
from ariane.scope.plan import SCOPE_REQUEST, build_plan
from ariane.transform.pseudonymise import exact_maps


def _plan(pseudonymise: list[str], drop: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    _, recipient = new_identity()
    doc = yaml.safe_load(demo_manifest_text(PROFILE, "M-EXACT", recipient, dt.date(2026, 11, 29)))
    doc["transforms"]["pseudonymise"] = pseudonymise
    for name in drop:
        del doc["entities"][name]
    return build_plan(parse_manifest(yaml.safe_dump(doc, sort_keys=False)), {})


def test_domains_bound_to_one_scope_column_are_exact():
    plan = _plan(["patient", "request"])
    assert exact_maps(plan) == {"_pmap_patient": "patient_id", "_pmap_request": "request_id"}


def test_a_domain_fed_from_an_entitys_own_rows_is_not_exact():
    # Practitioners: prescribers come from the scope, validators from the results themselves.
    plan = _plan(["patient", "request", "practitioner"])
    assert "_pmap_practitioner" not in exact_maps(plan)


def test_no_pseudonymised_domain_no_exact_map():
    assert exact_maps(_plan([])) == {}


@pytest.mark.parametrize("entity", ["patient", "request", "result"])
def test_the_stream_reads_membership_off_the_map_only_when_exact(entity):
    plan = _plan(["patient", "request"])
    field = "patient_id" if entity == "patient" else "request_id"
    table = "_pmap_patient" if entity == "patient" else "_pmap_request"
    with_map = plan.stream_sql(entity, {field: table}, {table: field})
    assert f"{table} m0 ON m0.src" in with_map and "m0.src IS NOT NULL" in with_map
    assert SCOPE_REQUEST not in with_map  # no second hash of the scope
    # Not exact (or not given): the scope's own IN stays.
    assert "IN (SELECT" in plan.stream_sql(entity, {field: table}, {})
    assert "IN (SELECT" in plan.stream_sql(entity, {field: table})
