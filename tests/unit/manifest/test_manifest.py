"""Manifests: errors that name the problem, a digest that moves with any change, the draft."""

from __future__ import annotations

import datetime as dt

import pytest

from ariane import yamlio
from ariane.errors import InputError
from ariane.manifest.draft import draft_manifest
from ariane.manifest.load import manifest_digest, manifest_yaml, parse_manifest
from ariane.manifest.validate import verify_manifest
from ariane.model import categories
from ariane.model.entities import ENTITIES
from ariane.profiles.load import load_profile

KEY = "age1" + "q" * 58


@pytest.fixture(scope="module")
def draft():
    return draft_manifest(
        load_profile("labosoft-sil4"),
        manifest_id="M-1",
        author="alice.martin",
        controller="Lab",
        processor="Vendor",
        processor_key="vendor-key",
        recipient="New",
        recipient_key=KEY,
        agreement_reference="DPA-1",
        agreement_date=dt.date(2026, 1, 1),
        delete_by=dt.date(2027, 1, 1),
        collected_since=dt.date(2024, 1, 1),
    )


def test_draft_selects_nothing_sensitive(draft):
    verify_manifest(draft, load_profile("labosoft-sil4"))
    for name, scope in draft.entities.items():
        for f in scope.fields:
            assert ENTITIES[name].field(f).category not in categories.SENSITIVE_BY_DEFAULT
    assert "comment" not in draft.entities
    assert set(draft.exclude_categories) == categories.SENSITIVE_CATEGORIES
    assert draft.free_text == "drop"


def test_yaml_round_trip_keeps_the_digest(draft):
    again = parse_manifest(manifest_yaml(draft))
    assert manifest_digest(again) == manifest_digest(draft)


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["entities"]["request"].update(filter="collected_at >= DATE '2010-01-01'"),
        lambda d: d["entities"]["patient"]["fields"].append("nir"),
        lambda d: d.update(delete_by="2030-01-01"),
        lambda d: d["exclude_categories"].remove("health.sensitive.genetic"),
        lambda d: d["recipient"].update(key="age1" + "p" * 58),
    ],
)
def test_any_change_changes_the_digest(draft, edit):
    data = yamlio.parse_yaml(manifest_yaml(draft), "m")
    edit(data)
    assert manifest_digest(parse_manifest(yamlio.dump_yaml(data))) != manifest_digest(draft)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("id: [unclosed", "not valid YAML at line 1"),
        ("- just\n- a list\n", "invalid"),
        ("format: ariane.manifest/2\n", "format"),
    ],
)
def test_malformed_documents(text, needle):
    with pytest.raises(InputError, match=needle):
        parse_manifest(text)


def test_unknown_fields_and_bad_values_are_named(draft):
    data = yamlio.parse_yaml(manifest_yaml(draft), "m")
    data["colour"] = "blue"
    data["recipient"]["key"] = "ssh-rsa AAAA"
    data["free_text"] = "maybe"
    with pytest.raises(InputError) as info:
        parse_manifest(yamlio.dump_yaml(data))
    msg = info.value.message
    assert "colour" in msg and "recipient.key" in msg and "free_text" in msg
    assert "ssh-rsa" not in msg, "values are not echoed"
