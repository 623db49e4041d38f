"""`dpa draft`: an annex with the migration's facts that passes `dpa check`, in both languages."""

from __future__ import annotations

import datetime as dt

import pytest

from ariane.compliance.check import check_text
from ariane.compliance.draft import draft_annex
from ariane.compliance.elements import ELEMENTS
from ariane.errors import PolicyError, ScopeError, UsageError
from ariane.manifest.draft import draft_manifest
from ariane.manifest.schema import EntityScope
from ariane.profiles.load import load_profile

KEY = "age1" + "q" * 58


@pytest.fixture(scope="module")
def manifest():
    return draft_manifest(
        load_profile("labosoft-sil4"),
        manifest_id="MIG-2026-001",
        author="alice.martin",
        controller="Laboratoire Biomed Sud",
        processor="Infolab Services",
        processor_key="infolab",
        recipient="NovaSIL",
        recipient_key=KEY,
        agreement_reference="DPA-2026-07",
        agreement_date=dt.date(2026, 3, 1),
        delete_by=dt.date(2026, 12, 31),
        collected_since=dt.date(2023, 1, 1),
    )


def widen(manifest, **changes):
    return manifest.model_copy(update=changes)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_drafted_annex_passes_the_check(manifest, lang):
    text = draft_annex(manifest, lang)
    report = check_text(text, f"annex_{lang}.md", "md")
    assert report.language == lang
    assert {e.id: e.status for e in report.elements} == {e.id: "present" for e in ELEMENTS}
    assert report.placeholders == ()
    assert report.findings == ()  # no dangling reference, outdated text or contradiction


@pytest.mark.parametrize(
    ("lang", "facts"),
    [
        (
            "en",
            [
                "Laboratoire Biomed Sud",
                "Infolab Services",
                "NovaSIL",
                "DPA-2026-07",
                "from 1 March 2026 until 31 December 2026",
                "none. The processor engages no",
                "patient.birth_date (generalised to the year)",
                "results of genetic analyses",
                "health.sensitive.genetic",
                "direct identity of patients",
                "validating biologists",
                "age (X25519)",
                "Ed25519",
                "second factor",
                "hash-chained",
                "purge certificate",
                "never lies in clear on a disk",
            ],
        ),
        (
            "fr",
            [
                "du 1er mars 2026 au 31 décembre 2026",
                "aucun. Le sous-traitant ne recrute",
                "patient.birth_date (réduite à l'année)",
                "résultats d'analyses génétiques",
                "identité directe des patients",
                "second facteur",
                "chaîné par empreintes",
                "certificat de purge",
                "jamais en clair sur un disque",
            ],
        ),
    ],
)
def test_annex_states_the_migration_facts(manifest, lang, facts):
    text = draft_annex(manifest, lang)
    for fact in facts:
        assert fact in text, fact


def test_categories_follow_the_manifest(manifest):
    # Keep HIV results and free text, drop practitioners: the annex says so.
    excluded = [c for c in manifest.exclude_categories if c != "health.sensitive.hiv"]
    entities = {k: v for k, v in manifest.entities.items() if k != "practitioner"}
    entities["comment"] = EntityScope(fields=["comment_id", "request_id", "text"])
    wider = widen(manifest, exclude_categories=excluded, entities=entities, free_text="keep")
    text = draft_annex(wider, "en")
    in_scope, excluded_part = text.split("- Categories excluded from the processing:")
    assert "special categories within the results: results revealing HIV status" in in_scope
    assert "free-text comments: comment.text" in in_scope
    assert "HIV" not in excluded_part.split("\n")[0]
    assert "by their practitioner number only" in text  # prescriber_id without the entity
    assert "professional identity" in excluded_part.split("\n")[0]
    report = check_text(text, "annex.md", "md")
    assert all(e.status == "present" for e in report.elements)


def test_subprocessors_and_processor_measures_are_listed(manifest):
    text = draft_annex(
        manifest,
        "fr",
        subprocessors=["HébergeSanté SAS, hébergement HDS, France"],
        processor_measures=["Postes de migration chiffrés (LUKS) et dédiés"],
    )
    assert "- HébergeSanté SAS, hébergement HDS, France" in text
    assert "aucun." not in text
    assert "1. Postes de migration chiffrés (LUKS) et dédiés" in text
    assert all(e.status == "present" for e in check_text(text, kind="md").elements)


def test_a_manifest_left_open_gives_no_annex(manifest):
    with pytest.raises(PolicyError, match="purpose"):
        draft_annex(widen(manifest, purpose="to be defined by the controller"), "en")


def test_markup_in_manifest_values_is_escaped(manifest):
    odd = widen(manifest, title="Lab *A* <b>", purpose="Migration\n\n## of # history to `B`")
    text = draft_annex(odd, "en")
    assert "\n## of" not in text and "<b>" not in text
    assert "Lab \\*A\\* \\<b\\>" in text


def test_unknown_language_or_field(manifest):
    with pytest.raises(UsageError):
        draft_annex(manifest, "de")
    bad = dict(manifest.entities)
    bad["patient"] = EntityScope(fields=["patient_id", "shoe_size"])
    with pytest.raises(ScopeError, match=r"patient\.shoe_size"):
        draft_annex(widen(manifest, entities=bad), "en")
