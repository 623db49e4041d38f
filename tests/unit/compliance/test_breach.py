"""The breach notification draft (Art. 33(3)): counts, consequences, measures, the 72-hour note,
in English and French; the nature is required, the contact point too; the draft is audited."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import typer
from test_report import assert_no_patient_value, demo_run, workspace_copy
from typer.testing import CliRunner

from ariane.cli import common
from ariane.cli import compliance as compliance_cli
from ariane.compliance.breach import draft_breach
from ariane.engine.actor import Actor
from ariane.errors import PolicyError, UsageError

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("compliance-demo")]
OPERATOR = Actor("alice.martin", "tester", "testhost")
NATURE = "A copy of the sealed package was found on a shared server reachable without login."
CONTACT = "Data protection officer of Labosoft, dpo@labosoft.example"
AWARE = dt.datetime(2026, 11, 30, 9, 15, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return workspace_copy(tmp_path_factory.mktemp("breach"))


@pytest.fixture(scope="module")
def counts():
    folder, mid = demo_run()
    return json.loads((folder / "workspace" / "migrations" / mid / "extract.json").read_text())


def draft(ws, lang, **kw):
    _, mid = demo_run()
    kw.setdefault("contact", CONTACT)
    return draft_breach(ws, mid, NATURE, OPERATOR, AWARE, lang, aware_at=AWARE, **kw)


def test_english_draft_holds_counts_consequences_and_measures(ws, counts):
    text = draft(ws, "en")
    c = counts["counts"]
    assert f"patients of the laboratory: about {c['patient']['transferred']:,}" in text
    assert f"- result: {c['result']['transferred']:,}" in text
    total = sum(p["transferred"] for p in c.values())
    assert f"total: {total:,} records" in text
    hiv = c["result"]["by_category"]["health.sensitive.hiv"]
    assert f"results revealing HIV status: {hiv}" in text
    assert "discrimination and stigmatisation (HIV status)" in text
    assert "identify the patients directly (family_name, birth_name, given_name)" in text
    assert "NIR), which exposes" not in text  # the NIR is not in the demo's scope
    assert "genetic" not in text.split("## 4.")[1]  # excluded: no consequence claimed
    assert "encrypted with age" in text and "unintelligible" in text
    assert "were destroyed on" in text  # the demo purged
    assert NATURE in text and CONTACT.split(",")[0] in text
    assert "without undue delay" in text and "72 hours" in text
    assert "by 2026-12-03 09:15 UTC" in text


def test_french_draft_holds_counts_and_consequences(ws, counts):
    text = draft(ws, "fr")
    c = counts["counts"]
    assert f"patients du laboratoire : environ {c['patient']['transferred']}" in text
    results = f"{c['result']['transferred']:,}".replace(",", "\u202f")
    assert f"- result : {results}" in text
    assert "résultats révélant le statut VIH" in text
    assert "discrimination et stigmatisation (statut VIH)" in text
    assert "identifient directement les patients" in text
    assert "dans les meilleurs délais" in text and "72 heures" in text
    assert "incompréhensibles" in text


def test_draft_holds_no_patient_value(ws):
    folder, _ = demo_run()
    for lang in ("en", "fr"):
        assert_no_patient_value(draft(ws, lang), folder)


def test_nature_is_required_not_a_placeholder(ws):
    _, mid = demo_run()
    with pytest.raises(UsageError, match="nature of the breach"):
        draft_breach(ws, mid, "  TBD ", OPERATOR, AWARE, "en", contact=CONTACT)


def test_missing_contact_point_is_refused(ws):
    with pytest.raises(UsageError, match=r"Art\. 33\(3\)\(b\)"):
        draft(ws, "en", contact="")


def test_draft_is_audited_by_hash_not_words(ws, counts):
    draft(ws, "fr")
    event = [e for e in ws.audit.events() if e.action == "breach.draft"][-1]
    assert event.outcome == "ok" and event.details["lang"] == "fr"
    assert event.details["records"]["result"] == counts["counts"]["result"]["transferred"]
    assert NATURE not in json.dumps(event.details) and len(event.details["nature_sha256"]) == 64


def test_recipient_may_not_draft(ws):
    _, mid = demo_run()
    with pytest.raises(PolicyError, match="operator or controller"):
        draft_breach(ws, mid, NATURE, Actor("romain.petit", "t", "h"), AWARE, "en", CONTACT)


def test_cli_breach_draft(tmp_path, monkeypatch):
    _, mid = demo_run()
    ws = workspace_copy(tmp_path)
    app = typer.Typer()
    compliance_cli.register(app)
    monkeypatch.setattr(common, "actor", lambda w: OPERATOR)
    out = tmp_path / "breach.md"
    args = ["breach", "draft", mid, "--lang", "fr", "--out", str(out), "-w", str(ws.root)]
    missing = CliRunner().invoke(app, args)
    assert missing.exit_code == 2 and "--nature" in missing.output
    args += ["--nature", NATURE, "--contact", CONTACT, "--aware-at", "2026-11-30T10:15+01:00"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    text = out.read_text()
    assert "Notification d'une violation" in text and "2026-12-03 09:15 UTC" in text
