"""`ariane dpa check|draft` as a person or a tool calls them: output, files and exit codes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ariane.cli.dpa import app
from ariane.manifest.draft import draft_manifest
from ariane.manifest.load import manifest_yaml
from ariane.profiles.load import load_profile

DATA = Path(__file__).resolve().parents[2] / "data" / "dpa"
runner = CliRunner()


@pytest.fixture(scope="module")
def manifest_file(tmp_path_factory):
    m = draft_manifest(
        load_profile("labosoft-sil4"),
        manifest_id="MIG-2026-002",
        author="alice.martin",
        controller="Laboratoire Biomed Sud",
        processor="Infolab Services",
        processor_key="infolab",
        recipient="NovaSIL",
        recipient_key="age1" + "q" * 58,
        agreement_reference="DPA-2026-08",
        agreement_date=dt.date(2026, 3, 1),
        delete_by=dt.date(2026, 12, 31),
    )
    path = tmp_path_factory.mktemp("m") / "manifest.yaml"
    path.write_text(manifest_yaml(m), "utf-8")
    return path


def test_check_fails_with_exit_5_and_names_the_missing_elements():
    r = runner.invoke(app, ["check", str(DATA / "contrat_maintenance_fr.txt")])
    assert r.exit_code == 5
    assert "error (PolicyError)" in r.stderr
    assert "28.3.a (missing)" in r.stderr and "28.3.h (missing)" in r.stderr
    assert "Required elements" in r.stdout and "contradictory-deadline" in r.stdout


def test_check_json_for_tools():
    r = runner.invoke(app, ["check", "--json", str(DATA / "terms_of_sale_en.txt")])
    assert r.exit_code == 5
    report = json.loads(r.stdout)
    assert report["format"] == "ariane.dpa-check/1"
    assert report["summary"] == {"present": 0, "weak": 0, "unspecified": 0, "missing": 18}
    assert {f["kind"] for f in report["findings"]} == {"outdated-reference", "dangling-reference"}


def test_check_strict_refuses_a_template(fixtures_dir):
    scc = str(fixtures_dir / "dpa" / "scc_2021_915.txt")
    assert runner.invoke(app, ["check", scc]).exit_code == 0
    strict = runner.invoke(app, ["check", "--strict", scc])
    assert strict.exit_code == 5 and "28.2-authorisation (unspecified)" in strict.stderr


def test_check_missing_file_is_a_usage_error(tmp_path):
    r = runner.invoke(app, ["check", str(tmp_path / "nope.pdf")])
    assert r.exit_code == 2 and "error (UsageError)" in r.stderr


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_draft_then_check(manifest_file, tmp_path, lang):
    out = tmp_path / f"annex_{lang}.md"
    r = runner.invoke(
        app, ["draft", "--manifest", str(manifest_file), "--lang", lang, "--out", str(out)]
    )
    assert r.exit_code == 0, r.stderr
    assert out.exists()
    check = runner.invoke(app, ["check", "--strict", "--json", str(out)])
    assert check.exit_code == 0, check.stderr
    assert json.loads(check.stdout)["summary"]["present"] == 18
    # An existing annex is not overwritten without --force.
    again = runner.invoke(app, ["draft", "--manifest", str(manifest_file), "--out", str(out)])
    assert again.exit_code == 2 and "exists" in again.stderr
    forced = runner.invoke(
        app,
        [
            "draft",
            "--manifest",
            str(manifest_file),
            "--lang",
            lang,
            "--out",
            str(out),
            "--force",
            "--subprocessor",
            "HDS Host, FR",
        ],
    )
    assert forced.exit_code == 0 and "- HDS Host, FR" in out.read_text("utf-8")


def test_draft_to_stdout(manifest_file):
    r = runner.invoke(app, ["draft", "--manifest", str(manifest_file), "--lang", "fr"])
    assert r.exit_code == 0
    assert r.stdout.startswith("# Accord de sous-traitance")
