"""The agreement gate: approval needs an agreement on record that passes `dpa check`, or a
controller's signed, audited override. Each test breaks the rule on purpose."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ariane.audit import alerts
from ariane.compliance.draft import draft_annex
from ariane.engine import procedure
from ariane.engine.agreement import record_override, register_agreement
from ariane.errors import ArianeError, PolicyError, UsageError
from flows import (
    CTRL,
    CTRL2,
    CTRL_PW,
    DUO,
    OP,
    PASSWORD,
    at,
    make_keys,
    new_workspace,
    write_manifest,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "dpa"
REASON = "Signed amendment adding clauses (a), (g) and (h) is on its way; approved by the DPO."


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return make_keys(tmp_path_factory.mktemp("keys") / "ws")


@pytest.fixture
def ws(tmp_path, keys):
    ws = new_workspace(tmp_path / "ws", keys)
    manifest = tmp_path / "m.yaml"
    write_manifest(ws, manifest, "G-1")
    procedure.submit(ws, manifest, OP, at(0))
    return ws


def annex(ws, tmp_path, lang="en") -> Path:
    path = tmp_path / f"annex_{lang}.md"
    path.write_text(draft_annex(ws.manifest("G-1"), lang))
    return path


def events(ws, action):
    return [e for e in ws.audit.events() if e.action == action]


def test_approval_without_agreement_is_refused(ws):
    with pytest.raises(PolicyError, match="no processing agreement is on record"):
        procedure.approve(ws, "G-1", CTRL, CTRL_PW, at(1))
    assert ws.state("G-1")["state"] == "draft"
    refused = events(ws, "manifest.approve")[-1]
    assert refused.outcome == "refused" and refused.alert == alerts.REFUSED_COMMAND


def test_approval_with_a_deficient_agreement_is_refused(ws):
    record = register_agreement(ws, "G-1", DATA / "contrat_maintenance_fr.txt", OP, at(1))
    assert record["agreement"]["check"]["missing"] == ["28.3.a", "28.3.g", "28.3.h"]
    with pytest.raises(PolicyError, match=r"lacks 3 required element\(s\): 28\.3\.a"):
        procedure.approve(ws, "G-1", CTRL, CTRL_PW, at(2))
    assert ws.state("G-1")["state"] == "draft"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_drafted_agreement_opens_the_gate(ws, tmp_path, lang):
    path = annex(ws, tmp_path, lang)
    register_agreement(ws, "G-1", path, OP, at(1))
    procedure.approve(ws, "G-1", CTRL, CTRL_PW, at(2))
    assert ws.state("G-1")["state"] == "approved"
    ok = events(ws, "manifest.approve")[-1]
    assert ok.outcome == "ok"
    assert ok.details["agreement"]["override"] is None
    assert (
        ok.details["agreement"]["sha256"] == events(ws, "agreement.register")[-1].details["sha256"]
    )


def test_record_keeps_hash_and_statuses_not_the_document(ws, tmp_path):
    path = annex(ws, tmp_path)
    register_agreement(ws, "G-1", path, OP, at(1))
    stored = (ws.migration_dir("G-1") / "agreement.json").read_text()
    data = json.loads(stored)["agreement"]
    assert data["document"] == path.name and len(data["sha256"]) == 64
    assert set(data["check"]["statuses"].values()) == {"present"}
    sentences = [s for s in path.read_text().splitlines() if len(s) > 60]
    assert sentences and not any(s in stored for s in sentences)


def test_controller_override_is_signed_audited_and_opens_the_gate(ws):
    register_agreement(ws, "G-1", DATA / "contrat_maintenance_fr.txt", OP, at(1))
    override = record_override(ws, "G-1", CTRL2, PASSWORD, REASON, at(2))
    assert override["kind"] == "agreement-override" and override["by"] == CTRL2.name
    assert override["missing"] == ["28.3.a", "28.3.g", "28.3.h"]
    procedure.approve(ws, "G-1", CTRL, CTRL_PW, at(3))
    assert ws.state("G-1")["state"] == "approved"
    ev = events(ws, "agreement.override")[-1]
    assert ev.outcome == "ok" and ev.alert == alerts.AGREEMENT_OVERRIDE
    assert ev.details["missing"] == ["28.3.a", "28.3.g", "28.3.h"]
    assert REASON not in json.dumps(ev.details)  # free text stays out of the log: its hash only
    assert events(ws, "manifest.approve")[-1].details["agreement"]["override"] == CTRL2.name
    assert any(e.alert == alerts.AGREEMENT_OVERRIDE for e in ws.audit.alerts())
    ws.audit.verify(ws.trusted_keys())


def test_override_without_any_agreement(ws):
    record_override(ws, "G-1", CTRL, CTRL_PW, REASON, at(1))
    procedure.approve(ws, "G-1", CTRL, CTRL_PW, at(2))
    assert ws.state("G-1")["state"] == "approved"


def test_override_by_an_operator_is_refused_and_alerted(ws):
    with pytest.raises(PolicyError, match="role controller"):
        record_override(ws, "G-1", OP, PASSWORD, REASON, at(1))
    ev = events(ws, "agreement.override")[-1]
    assert ev.outcome == "refused" and ev.alert == alerts.AGREEMENT_OVERRIDE
    with pytest.raises(PolicyError, match="no processing agreement"):
        procedure.approve(ws, "G-1", CTRL, CTRL_PW, at(2))


def test_author_cannot_override_for_their_own_manifest(tmp_path, keys):
    ws = new_workspace(tmp_path / "ws", keys)
    manifest = tmp_path / "m.yaml"
    write_manifest(ws, manifest, "G-2", edit=lambda d: d.update(author=DUO.name))
    procedure.submit(ws, manifest, DUO, at(0))
    with pytest.raises(PolicyError, match="drafted manifest G-2"):
        record_override(ws, "G-2", DUO, PASSWORD, REASON, at(1))


def test_override_needs_a_reason(ws):
    with pytest.raises(UsageError, match="written reason"):
        record_override(ws, "G-1", CTRL, CTRL_PW, "   because   ", at(1))


def test_edited_override_reason_is_refused(ws):
    record_override(ws, "G-1", CTRL, CTRL_PW, REASON, at(1))
    path = ws.migration_dir("G-1") / "agreement.json"
    data = json.loads(path.read_text())
    data["override"]["reason"] = "x" * 40
    path.write_text(json.dumps(data))
    with pytest.raises(ArianeError, match="not an approval of this agreement-override"):
        procedure.approve(ws, "G-1", CTRL, CTRL_PW, at(2))
    assert ws.state("G-1")["state"] == "draft"


def test_override_lapses_when_the_manifest_changes(ws, tmp_path):
    record_override(ws, "G-1", CTRL, CTRL_PW, REASON, at(1))
    manifest = tmp_path / "m.yaml"
    write_manifest(ws, manifest, "G-1", edit=lambda d: d.update(title="Widened after override"))
    procedure.submit(ws, manifest, OP, at(2))
    with pytest.raises(PolicyError, match="given for another version"):
        procedure.approve(ws, "G-1", CTRL, CTRL_PW, at(3))


def test_new_agreement_voids_the_override(ws):
    record_override(ws, "G-1", CTRL, CTRL_PW, REASON, at(1))
    register_agreement(ws, "G-1", DATA / "terms_of_sale_en.txt", OP, at(2))
    with pytest.raises(PolicyError, match="lacks"):
        procedure.approve(ws, "G-1", CTRL, CTRL_PW, at(3))


def test_agreement_cannot_change_after_approval(ws, tmp_path):
    register_agreement(ws, "G-1", annex(ws, tmp_path), OP, at(1))
    procedure.approve(ws, "G-1", CTRL, CTRL_PW, at(2))
    with pytest.raises(PolicyError, match="only change while draft"):
        register_agreement(ws, "G-1", DATA / "terms_of_sale_en.txt", OP, at(3))
    with pytest.raises(PolicyError, match="only change while draft"):
        record_override(ws, "G-1", CTRL, CTRL_PW, REASON, at(3))


def test_only_operators_and_controllers_register(ws, tmp_path):
    from flows import AUD, RCPT

    for who in (AUD, RCPT):
        with pytest.raises(PolicyError, match="operator or controller"):
            register_agreement(ws, "G-1", annex(ws, tmp_path), who, at(1))


# --- command line: `ariane dpa register` and `ariane dpa override` -----------------------------
def test_cli_register_and_override(ws, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from ariane.cli import common
    from ariane.cli.dpa import app

    runner = CliRunner()
    monkeypatch.setattr(common, "actor", lambda w: OP)
    contract = str(DATA / "contrat_maintenance_fr.txt")
    done = runner.invoke(app, ["register", "G-1", contract, "-w", str(ws.root)])
    assert done.exit_code == 5 and "28.3.a, 28.3.g, 28.3.h" in done.output
    assert json.loads((ws.migration_dir("G-1") / "agreement.json").read_text())["agreement"]
    args = ["override", "G-1", "--reason", REASON, "-w", str(ws.root)]
    env = {"ARIANE_PASSWORD": PASSWORD}
    assert runner.invoke(app, args, env=env).exit_code == 5  # an operator may not override
    monkeypatch.setattr(common, "actor", lambda w: CTRL)
    done = runner.invoke(app, args, env=env)
    assert done.exit_code == 0, done.output
    assert "override recorded for G-1 by claire.dubois" in done.output
    procedure.approve(ws, "G-1", CTRL, CTRL_PW, at(5))
