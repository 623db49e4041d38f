"""The procedure report (HTML): it states the run's counts, people, signatures, audit head and
purge certificate, and never a patient value. One demo run per test process, shared with
test_record.py and test_breach.py through `demo_run()`; each test that writes works on a copy."""

from __future__ import annotations

import atexit
import functools
import json
import re
import shutil
import sqlite3
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ariane.cli import common
from ariane.cli import compliance as compliance_cli
from ariane.compliance import charts
from ariane.compliance.plain import describe_filter
from ariane.compliance.report import render_html
from ariane.demo.run import run_demo
from ariane.engine.actor import Actor
from ariane.engine.workspace import Workspace

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("compliance-demo")]


@functools.cache
def demo_run() -> tuple[Path, str]:
    """(demo folder, manifest id) of one complete run: generate, approve, extract, load into two
    targets, reconcile, purge. About 20 s (key derivation), hence once per process."""
    root = Path(tempfile.mkdtemp(prefix="ariane-compliance-"))
    atexit.register(shutil.rmtree, root, True)
    result = run_demo(root / "d", 300)
    return root / "d", result.manifest_id


def workspace_copy(tmp_path: Path) -> Workspace:
    """A copy of the demo's workspace, for tests that append to its audit log."""
    folder, _ = demo_run()
    shutil.copytree(folder / "workspace", tmp_path / "ws")
    return Workspace.open(tmp_path / "ws")


def patient_markers(folder: Path) -> tuple[list[str], re.Pattern[str]]:
    """The demo's patients' NIRs and names, as one case-insensitive pattern."""
    con = sqlite3.connect(folder / "source" / "lis.db")
    rows = con.execute("SELECT PAT_NOM, PAT_PRENOM, PAT_NIR FROM PAT_PATIENT").fetchall()
    con.close()
    markers = set()
    for nom, prenom, nir in rows:
        markers |= {nir, f"{prenom} {nom}", f"{nom} {prenom}"}
        if len(nom) >= 8:  # shorter family names are ordinary words too often (PETIT, ROUX)
            markers.add(nom)
    words = sorted(m for m in markers if m)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(m) for m in words) + r")\b", re.I)
    return words, pattern


def assert_no_patient_value(text: str, folder: Path) -> None:
    words, pattern = patient_markers(folder)
    assert len(words) > 600
    found = pattern.search(text)
    assert found is None, f"a patient value at offset {found.start()}"  # never print it


@pytest.fixture(scope="module")
def demo():
    folder, mid = demo_run()
    return folder, mid, Workspace.open(folder / "workspace")


@pytest.fixture(scope="module")
def html(demo):
    _, mid, ws = demo
    return render_html(ws, mid)


def mig(demo, name):
    folder, mid, _ = demo
    return json.loads((folder / "workspace" / "migrations" / mid / name).read_text())


def test_report_holds_the_counts_of_each_step(demo, html):
    extract = mig(demo, "extract.json")
    for name, part in extract["counts"].items():
        assert f"{part['source_rows']:,}" in html
        for reason, rows in part["excluded"].items():
            assert f"{reason}: {rows:,}" in html
    results = extract["counts"]["result"]
    assert f'<div class="value">{results["transferred"]:,}</div>' in html
    assert f'<div class="note">of {results["source_rows"]:,}</div>' in html
    for category, rows in results["by_category"].items():
        assert re.search(rf"{re.escape(category)}</td><td class=\"num\">{rows:,}<", html)
    loaded = mig(demo, "load.json")["loaded"]
    assert all(f">{v:,}<" in html for v in loaded.values())


def test_report_holds_no_patient_value(demo, html):
    assert_no_patient_value(html, demo[0])


def test_report_names_people_and_verified_signatures(demo, html):
    state = mig(demo, "state.json")
    assert "alice.martin" in html and "Claire Dubois" in html and "romain.petit" in html
    assert state["approvals"][0]["by"] == "claire.dubois"
    assert "signature verified" in html and "NOT verified" not in html
    assert "registered the processing agreement" in html


def test_report_states_the_instruction_in_plain_language(html):
    assert "Patients with at least one laboratory request where collected_at is on or after" in html
    assert "health.sensitive.genetic — results of genetic analyses" in html
    assert "patient.nir — direct identity" in html
    assert "no required element missing" in html


def test_report_shows_audit_head_and_certificate(demo, html):
    _, _, ws = demo
    head = ws.audit.verify(ws.trusted_keys())
    assert head.head_hash in html and f"event {head.head_seq}," in html
    cert = mig(demo, "certificate.json")
    assert cert["certificate_digest"] in html
    assert f"{len(cert['files'])} files" in html
    assert all(f["sha256"] in html for f in cert["files"])
    assert "digest and signed purge approval verified" in html


def test_report_charts_are_well_formed_svg(html):
    svgs = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(svgs) == 3
    for svg in svgs:
        ET.fromstring(svg)
    assert "Rows per entity at each step" in svgs[0] and "hiv" in svgs[2]


def test_edited_audit_log_is_reported_as_not_verified(tmp_path):
    ws = workspace_copy(tmp_path)
    _, mid = demo_run()
    log = ws.root / "audit" / "audit.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    lines[8] = lines[8].replace('"ok"', '"error"', 1)
    log.write_text("".join(lines))
    out = render_html(ws, mid)
    assert "The audit log did not verify" in out and "edited" in out


def test_forged_purge_certificate_is_reported(tmp_path):
    ws = workspace_copy(tmp_path)
    _, mid = demo_run()
    path = ws.migration_dir(mid) / "certificate.json"
    cert = json.loads(path.read_text())
    cert["destroyed_by"] = "romain.petit"
    path.write_text(json.dumps(cert))
    out = render_html(ws, mid)
    assert "certificate NOT verified" in out


# --- pieces ---------------------------------------------------------------------------------
def test_filters_never_reproduce_a_personal_literal():
    text = describe_filter(
        "patient", "family_name IN ('DUPONT', 'MARTIN') OR nir = '1234567890123'"
    )
    assert text == "family_name is one of 2 given values or nir is a given value"
    assert describe_filter("request", "site = 'LYO1' AND collected_at < DATE '2024-03-01'") == (
        "site is 'LYO1' and collected_at is before 1 March 2024"
    )


def test_chart_labels_are_escaped():
    svg = charts.simple_bars("<b>x</b>", [("<script>", 3)])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    ET.fromstring(svg)


# --- command line ---------------------------------------------------------------------------
def cli_app() -> typer.Typer:
    app = typer.Typer()
    compliance_cli.register(app)
    return app


def test_cli_report_by_a_controller_and_refused_to_a_recipient(tmp_path, monkeypatch):
    ws = workspace_copy(tmp_path)
    _, mid = demo_run()
    runner = CliRunner()
    out = tmp_path / "report.html"
    monkeypatch.setattr(common, "actor", lambda w: Actor("romain.petit", "t", "h"))
    refused = runner.invoke(cli_app(), ["report", mid, "--html", str(out), "-w", str(ws.root)])
    assert refused.exit_code == 5 and not out.exists()
    monkeypatch.setattr(common, "actor", lambda w: Actor("claire.dubois", "t", "h"))
    done = runner.invoke(cli_app(), ["report", mid, "--html", str(out), "-w", str(ws.root)])
    assert done.exit_code == 0, done.output
    assert "Migration procedure report" in out.read_text()
    again = runner.invoke(cli_app(), ["report", mid, "--html", str(out), "-w", str(ws.root)])
    assert again.exit_code == 2  # no silent overwrite
    events = [e for e in ws.audit.events() if e.action == "report.render"]
    assert [e.outcome for e in events] == ["refused", "ok", "refused"]
    assert len(events[1].details["html_sha256"]) == 64
