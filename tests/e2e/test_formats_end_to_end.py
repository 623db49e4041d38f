"""Laboratory message formats through the whole governed procedure (issue 5).

- the synthetic laboratory into HL7 v2 ORU files and into HPRIM Santé files: both reconcile;
- a folder of real HL7 v2 sample messages, as a source, into PostgreSQL: reconciles.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ariane import yamlio
from ariane.connectors.targets import open_target
from ariane.demo.run import RECIPIENT_KEY, SENDER_KEY
from ariane.engine import procedure
from ariane.manifest.draft import draft_manifest
from ariane.manifest.load import manifest_yaml
from ariane.profiles.load import load_profile
from flows import (
    CTRL,
    CTRL_PW,
    OP,
    RCPT,
    RECIPIENT_PASS,
    SENDER_PASS,
    TODAY,
    approved,
    at,
    new_workspace,
    register_drafted_agreement,
    write_manifest,
)


@pytest.fixture(scope="module")
def extracted(lab, keys, tmp_path_factory):
    root = tmp_path_factory.mktemp("formats")
    ws = new_workspace(root / "ws", keys)
    write_manifest(ws, root / "m.yaml")
    mid = approved(ws, root / "m.yaml", lab)
    result = procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(3))
    return ws, result, root


@pytest.mark.parametrize("fmt", ["hl7v2", "hprim"])
def test_synthetic_lab_into_message_files_reconciles(extracted, fmt):
    ws, result, root = extracted
    spec = f"{fmt}:{root / fmt}"
    sender = ws.keys.public(SENDER_KEY)
    loaded = procedure.load(
        ws,
        result.package,
        open_target(spec, at(4)),
        RCPT,
        RECIPIENT_KEY,
        RECIPIENT_PASS,
        sender,
        at(4),
    )
    assert loaded["result"] == result.counts["result"]["transferred"]
    assert any((root / fmt).iterdir())
    report = procedure.reconcile(ws, result.package, open_target(spec, at(5)), RCPT, sender, at(5))
    assert report["ok"]
    assert "sensitivity" in report["entities"]["result"]["fields_not_carried"]
    assert report["entities"]["result"]["fields_checked"] >= 12


def test_altered_message_file_fails_reconciliation(extracted, tmp_path):
    from ariane.errors import ReconcileError

    ws, result, _ = extracted
    spec = f"hl7v2:{tmp_path / 'h'}"
    sender = ws.keys.public(SENDER_KEY)
    procedure.load(
        ws,
        result.package,
        open_target(spec, at(4)),
        RCPT,
        RECIPIENT_KEY,
        RECIPIENT_PASS,
        sender,
        at(4),
    )
    victim = sorted((tmp_path / "h").iterdir())[0]
    text = victim.read_bytes()
    start = text.index(b"OBX|1|NM|")  # the first numeric result segment
    segment = text[start:].split(b"\r", 1)[0]
    fields = segment.split(b"|")
    fields[5] = b"999999"  # OBX-5, the value
    victim.write_bytes(text[:start] + b"|".join(fields) + text[start + len(segment) :])
    with pytest.raises(ReconcileError, match="value_num"):
        procedure.reconcile(ws, result.package, open_target(spec, at(5)), RCPT, sender, at(5))


@pytest.mark.postgres
def test_hl7v2_folder_into_postgresql_reconciles(keys, fixtures_dir, pg_db, tmp_path):
    folder = fixtures_dir / "hl7v2" / "microsoft-fhir-converter"
    ws = new_workspace(tmp_path / "ws", keys)
    base = draft_manifest(
        load_profile("canonical"),
        manifest_id="HL7-1",
        author=OP.name,
        controller="Lab",
        processor="Vendor",
        processor_key=SENDER_KEY,
        recipient="NewLIS",
        recipient_key=ws.keys.public(RECIPIENT_KEY).age_recipient,
        agreement_reference="DPA-1",
        agreement_date=TODAY - dt.timedelta(days=10),
        delete_by=TODAY + dt.timedelta(days=90),
    )
    data = yamlio.parse_yaml(manifest_yaml(base), "m")
    data["entities"]["patient"]["fields"] += ["family_name", "given_name"]
    data["transforms"]["generalise"] = {}
    path = tmp_path / "m.yaml"
    path.write_text(yamlio.dump_yaml(data))
    source = f"hl7v2:{folder}"
    procedure.submit(ws, path, OP, at(0))
    dry = procedure.dry_run(ws, "HL7-1", source, CTRL, at(1))
    assert dry["messages"]["files"] >= 10
    assert dry["counts"]["result"]["source_rows"] > 0
    register_drafted_agreement(ws, "HL7-1")
    procedure.approve(ws, "HL7-1", CTRL, CTRL_PW, at(2))
    result = procedure.extract(ws, "HL7-1", source, OP, SENDER_PASS, at(3))
    assert result.counts["patient"]["transferred"] > 0
    sender = ws.keys.public(SENDER_KEY)
    procedure.load(
        ws, result.package, open_target(pg_db), RCPT, RECIPIENT_KEY, RECIPIENT_PASS, sender, at(4)
    )
    report = procedure.reconcile(ws, result.package, open_target(pg_db), RCPT, sender, at(5))
    assert report["ok"]
