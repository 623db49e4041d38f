"""The processor's record of processing (Art. 30(2)) from the demo's workspace: CSV, JSON, HTML."""

from __future__ import annotations

import csv
import json

import pytest
import typer
from test_report import assert_no_patient_value, demo_run, workspace_copy
from typer.testing import CliRunner

from ariane.cli import common
from ariane.cli import compliance as compliance_cli
from ariane.compliance.record import _cell, build_record, record_csv, write_record
from ariane.engine.actor import Actor
from ariane.engine.workspace import Workspace
from ariane.errors import UsageError

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("compliance-demo")]
CONTROLLER = "Laboratoire de biologie médicale Rhône-Alpes (fictitious)"


@pytest.fixture(scope="module")
def ws():
    folder, _ = demo_run()
    return Workspace.open(folder / "workspace")


def test_one_entry_per_controller_with_its_processing(ws):
    _, mid = demo_run()
    [entry] = build_record(ws)
    assert entry.controller == CONTROLLER and entry.processor == "Labosoft SAS (fictitious)"
    [activity] = entry.activities
    assert activity.manifest == mid and activity.state == "purged"
    assert activity.recipient == "NewLIS SA (fictitious)"
    assert set(activity.dates) == {
        "submitted", "approved", "extracted", "loaded", "reconciled", "purged"
    }  # fmt: skip
    assert any(x.startswith("health.sensitive.hiv") for x in activity.categories)
    assert not any("genetic" in x for x in activity.categories)  # excluded by the manifest
    assert any(x.startswith("health.sensitive.genetic") for x in activity.excluded)
    assert activity.transferred["result"] > 0
    assert any("encryption" in m for m in entry.security_measures)


@pytest.mark.parametrize("fmt", ["csv", "json", "html"])
def test_each_format_holds_the_controller_and_categories(ws, tmp_path, fmt):
    folder, mid = demo_run()
    path = write_record(build_record(ws), tmp_path, fmt)
    text = path.read_text("utf-8")
    assert path.name == f"record-of-processing.{fmt}"
    assert "Rhône-Alpes" in text and mid in text
    assert "health.sensitive.hiv" in text and "identity.quasi" in text
    assert "Labosoft SAS" in text and "NewLIS SA" in text
    assert_no_patient_value(text, folder)
    if fmt == "json":
        data = json.loads(text)
        assert data["format"] == "ariane.record-of-processing/1"
        assert data["controllers"][0]["controller"] == CONTROLLER
    if fmt == "csv":
        [row] = list(csv.DictReader(text.splitlines()))
        assert row["controller"] == CONTROLLER and row["state"] == "purged"
        assert "health.result" in row["categories"]


def test_controller_filter(ws):
    assert build_record(ws, "laboratoire de biologie MÉDICALE rhône-alpes (fictitious)")
    with pytest.raises(UsageError, match="names the controller"):
        build_record(ws, "Another lab")


def test_csv_cells_never_start_a_formula():
    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell(("-a", "b")) == "'-a; b"
    assert _cell("plain") == "plain"
    assert record_csv([]).startswith("controller,")


def test_cli_record_is_audited_and_refused_to_a_recipient(tmp_path, monkeypatch):
    ws = workspace_copy(tmp_path)
    app = typer.Typer()
    compliance_cli.register(app)
    runner = CliRunner()
    args = ["record", "--out", str(tmp_path / "out"), "--format", "csv", "-w", str(ws.root)]
    monkeypatch.setattr(common, "actor", lambda w: Actor("romain.petit", "t", "h"))
    assert runner.invoke(app, args).exit_code == 5
    monkeypatch.setattr(common, "actor", lambda w: Actor("alice.martin", "t", "h"))
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    assert (tmp_path / "out" / "record-of-processing.csv").exists()
    [event] = [e for e in ws.audit.events() if e.action == "record.export" and e.outcome == "ok"]
    assert event.details["controllers"] == 1 and event.details["migrations"] == 1
