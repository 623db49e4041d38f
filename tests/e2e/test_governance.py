"""Security properties broken on purpose: each must be refused, with nothing loaded or leaked."""

from __future__ import annotations

import sqlite3

import pytest

from ariane import yamlio
from ariane.connectors.targets import open_target
from ariane.demo.run import RECIPIENT_KEY, SENDER_KEY
from ariane.engine import procedure
from ariane.errors import (
    ArianeError,
    IntegrityError,
    KeyMaterialError,
    PolicyError,
    ScopeError,
    SurplusError,
)
from flows import (
    CTRL,
    CTRL2,
    CTRL_PW,
    DUO,
    OP,
    RCPT,
    RECIPIENT_PASS,
    SENDER_PASS,
    approved,
    at,
    new_workspace,
    register_drafted_agreement,
    write_manifest,
)


@pytest.fixture
def ws(tmp_path, keys):
    return new_workspace(tmp_path / "ws", keys)


@pytest.fixture(scope="module")
def patient_values(lab):
    con = sqlite3.connect(lab)
    rows = con.execute("SELECT PAT_NOM, PAT_PRENOM, PAT_NIR, PAT_MAIL FROM PAT_PATIENT").fetchall()
    con.close()
    return {v for r in rows for v in r if v and len(v) >= 5}


def assert_no_value(err: ArianeError, values: set[str]) -> None:
    words = set(err.message.replace(",", " ").replace("'", " ").split())
    leaked = {v for v in values if v in words or (len(v) >= 8 and v in err.message)}
    assert not leaked, "error message carries patient values"


def test_author_cannot_approve_own_manifest(ws, tmp_path):
    mid = write_manifest(ws, tmp_path / "m.yaml", edit=lambda d: d.update(author=DUO.name))
    procedure.submit(ws, tmp_path / "m.yaml", DUO, at())
    with pytest.raises(PolicyError, match="cannot approve"):
        procedure.approve(ws, mid, DUO, CTRL_PW, at(1))
    assert ws.state(mid)["state"] == "draft"
    refused = [e for e in ws.audit.events() if e.action == "manifest.approve"]
    assert refused[-1].outcome == "refused" and refused[-1].alert == "refused-command"


@pytest.mark.parametrize(
    ("step", "who"),
    [
        ("approve", "operator"),
        ("approve", "recipient"),
        ("extract", "controller"),
        ("extract", "recipient"),
        ("submit", "controller"),
        ("dry-run", "recipient"),
        ("approve", "auditor"),
        ("extract", "admin"),
    ],
)
def test_each_step_needs_its_role(ws, tmp_path, lab, step, who):
    from flows import ADMIN_NAME, AUD

    actor = {
        "operator": OP,
        "recipient": RCPT,
        "controller": CTRL,
        "auditor": AUD,
        "admin": OP.__class__(ADMIN_NAME, "tester", "testhost"),
    }[who]
    mid = write_manifest(ws, tmp_path / "m.yaml")
    if step == "submit":
        with pytest.raises(PolicyError, match="role"):
            procedure.submit(ws, tmp_path / "m.yaml", actor, at())
        return
    approved(ws, tmp_path / "m.yaml", lab)
    with pytest.raises(PolicyError, match="role"):
        if step == "approve":
            procedure.approve(ws, mid, actor, CTRL_PW, at(3))
        elif step == "extract":
            procedure.extract(ws, mid, str(lab), actor, SENDER_PASS, at(3))
        else:
            procedure.dry_run(ws, mid, str(lab), actor, at(3))


def test_disabled_controller_cannot_approve(ws, tmp_path):
    mid = write_manifest(ws, tmp_path / "m.yaml")
    procedure.submit(ws, tmp_path / "m.yaml", OP, at())
    ws.accounts.disable(CTRL2.name, at(1), by="nadia.roux")
    with pytest.raises(PolicyError):
        procedure.approve(ws, mid, CTRL2, CTRL_PW, at(2))


def test_forged_approval_signature_is_refused(ws, tmp_path, lab):
    import json

    mid = write_manifest(ws, tmp_path / "m.yaml")
    approved(ws, tmp_path / "m.yaml", lab)
    state = ws.migration_dir(mid) / "state.json"
    st = json.loads(state.read_text())
    st["approvals"][0]["by"] = CTRL2.name  # claim another controller approved
    state.write_text(json.dumps(st))
    with pytest.raises((IntegrityError, PolicyError)):
        procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(3))


def test_role_is_judged_at_signing_time(ws, tmp_path, lab):
    mid = write_manifest(ws, tmp_path / "m.yaml")
    approved(ws, tmp_path / "m.yaml", lab)  # approved at(2) by CTRL
    ws.accounts.set_roles(CTRL.name, ["auditor"], at(3), by="nadia.roux")
    result = procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(4))
    assert result.package.exists()


def test_wrong_password_cannot_sign(ws, tmp_path):
    mid = write_manifest(ws, tmp_path / "m.yaml")
    procedure.submit(ws, tmp_path / "m.yaml", OP, at())
    with pytest.raises(PolicyError, match="authentication failed"):
        procedure.approve(ws, mid, CTRL, "not-the-password-at-all", at(1))
    assert ws.state(mid)["state"] == "draft"


def test_audit_chain_covers_the_whole_procedure(ws, tmp_path, lab):
    mid = write_manifest(ws, tmp_path / "m.yaml")
    approved(ws, tmp_path / "m.yaml", lab)
    procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(3))
    report = ws.audit.verify(ws.trusted_keys())
    assert report.checkpoints >= 2
    actions = [e.action for e in ws.audit.events()]
    for needed in ("manifest.submit", "dry-run", "manifest.approve", "extract"):
        assert needed in actions
    # Editing any event is detected.
    log = ws.root / "audit" / "audit.jsonl"
    lines = log.read_text().splitlines()
    lines[1] = lines[1].replace('"ok"', '"refused"', 1)
    log.write_text("\n".join(lines) + "\n")
    with pytest.raises(IntegrityError):
        ws.audit.verify(ws.trusted_keys())


def test_only_the_author_submits(ws, tmp_path):
    write_manifest(ws, tmp_path / "m.yaml")
    with pytest.raises(PolicyError):
        procedure.submit(ws, tmp_path / "m.yaml", DUO, at())


def test_manifest_widened_after_approval_is_refused(ws, tmp_path, lab):
    mid = write_manifest(ws, tmp_path / "m.yaml")
    approved(ws, tmp_path / "m.yaml", lab)
    stored = ws.migration_dir(mid) / "manifest.yaml"
    data = yamlio.parse_yaml(stored.read_text(), "m")
    data["entities"]["request"]["filter"] = "collected_at >= DATE '2010-01-01'"
    stored.write_text(yamlio.dump_yaml(data))
    with pytest.raises(PolicyError, match="changed after approval"):
        procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(3))
    assert not (ws.root / "packages").exists() or not any((ws.root / "packages").iterdir())


def test_resubmitted_change_needs_a_new_approval(ws, tmp_path, lab):
    mid = write_manifest(ws, tmp_path / "m.yaml")
    approved(ws, tmp_path / "m.yaml", lab)
    write_manifest(
        ws, tmp_path / "m.yaml", edit=lambda d: d["entities"]["patient"]["fields"].append("nir")
    )
    procedure.submit(ws, tmp_path / "m.yaml", OP, at(3))
    assert ws.state(mid)["state"] == "draft"
    with pytest.raises(PolicyError):
        procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(4))


def test_extraction_needs_a_dry_run_of_the_approved_version(ws, tmp_path, lab):
    mid = write_manifest(ws, tmp_path / "m.yaml")
    procedure.submit(ws, tmp_path / "m.yaml", OP, at())
    register_drafted_agreement(ws, mid)
    procedure.approve(ws, mid, CTRL, CTRL_PW, at(1))
    with pytest.raises(PolicyError, match="dry run"):
        procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(2))


def test_expired_manifest_refused(ws, tmp_path, lab):
    import datetime as dt

    mid = write_manifest(ws, tmp_path / "m.yaml")
    approved(ws, tmp_path / "m.yaml", lab)
    with pytest.raises(PolicyError, match="expired"):
        procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at() + dt.timedelta(days=400))


def test_wrong_passphrase(ws, tmp_path, lab):
    mid = write_manifest(ws, tmp_path / "m.yaml")
    approved(ws, tmp_path / "m.yaml", lab)
    with pytest.raises(KeyMaterialError):
        procedure.extract(ws, mid, str(lab), OP, "not the passphrase at all", at(3))


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda d: d["entities"]["request"].update(filter="no_such_column > 1"), "no_such_column"),
        (lambda d: d["entities"]["request"].update(filter="site = 'x' OR 1=1"), "filter"),
        (lambda d: d["entities"]["request"].update(filter="site = 'x'; DROP TABLE t"), "single"),
        (
            lambda d: d["entities"]["request"].update(
                filter="request_id IN (SELECT DOS_NUM FROM DOS_DOSSIER)"
            ),
            "query",
        ),
        (lambda d: d["entities"]["patient"]["fields"].append("portal_password"), "credential"),
        (lambda d: d["entities"]["result"]["fields"].append("nope"), "nope"),
        (lambda d: d["entities"]["patient"]["fields"].remove("patient_id"), "key"),
        (lambda d: d.update(exclude_categories=["health.sensitive.bogus"]), "category"),
        (lambda d: d["transforms"].update(pseudonymise=["planet"]), "planet"),
    ],
)
def test_bad_manifests_are_refused(ws, tmp_path, edit, needle):
    write_manifest(ws, tmp_path / "m.yaml", edit=edit)
    with pytest.raises(ScopeError, match=needle):
        procedure.submit(ws, tmp_path / "m.yaml", OP, at())


def test_free_text_needs_keep(ws, tmp_path):
    def add_comments(d):
        d["entities"]["comment"] = {"fields": ["comment_id", "request_id", "text"]}

    write_manifest(ws, tmp_path / "m.yaml", edit=add_comments)
    with pytest.raises(ScopeError, match="free text"):
        procedure.submit(ws, tmp_path / "m.yaml", OP, at())


def test_surplus_rows_are_an_error(ws, tmp_path, lab, monkeypatch):
    """If the source query ever returned rows outside the scope, the in-stream check refuses."""
    from ariane.scope import plan as plan_mod

    mid = write_manifest(ws, tmp_path / "m.yaml")
    approved(ws, tmp_path / "m.yaml", lab)

    def widened(self):  # every source row marked as one to transfer
        return f"'{plan_mod.TRANSFERRED}'"

    monkeypatch.setattr(plan_mod.EntityPlan, "reason_sql", widened)
    with pytest.raises(SurplusError):
        procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(3))
    packages = ws.root / "packages"
    assert not packages.exists() or not any(packages.iterdir()), "nothing half-written is left"


@pytest.fixture(scope="module")
def sealed(lab, keys, tmp_path_factory):
    root = tmp_path_factory.mktemp("sealed")
    ws = new_workspace(root / "ws", keys)
    write_manifest(ws, root / "m.yaml")
    mid = approved(ws, root / "m.yaml", lab)
    result = procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(3))
    return ws, result.package


def _copy(sealed, tmp_path):
    import shutil

    ws, package = sealed
    pkg = tmp_path / "pkg"
    shutil.copytree(package, pkg)
    return ws, pkg


def _load(ws, pkg, target):
    procedure.load(
        ws,
        pkg,
        open_target(f"sqlite:{target}"),
        RCPT,
        RECIPIENT_KEY,
        RECIPIENT_PASS,
        ws.keys.public(SENDER_KEY),
        at(4),
    )


@pytest.mark.parametrize("which", ["part", "index.json", "index.sig", "manifest.json"])
def test_flipped_byte_refused_and_nothing_loaded(sealed, tmp_path, which, patient_values):
    ws, pkg = _copy(sealed, tmp_path)
    files = sorted((pkg / "parts").iterdir()) if which == "part" else [pkg / which]
    victim = files[len(files) // 2]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    target = tmp_path / "t.db"
    with pytest.raises(IntegrityError) as info:
        _load(ws, pkg, target)
    assert_no_value(info.value, patient_values)
    assert not target.exists(), "nothing may be written to the target"


def test_truncated_part_refused(sealed, tmp_path):
    ws, pkg = _copy(sealed, tmp_path)
    part = sorted((pkg / "parts").iterdir())[0]
    part.write_bytes(part.read_bytes()[:-100])
    with pytest.raises(IntegrityError, match="parts/"):
        _load(ws, pkg, tmp_path / "t.db")
    assert not (tmp_path / "t.db").exists()


def test_wrong_recipient_key_refused(sealed, tmp_path):
    ws, pkg = _copy(sealed, tmp_path)
    with pytest.raises(KeyMaterialError):
        procedure.load(
            ws,
            pkg,
            open_target(f"sqlite:{tmp_path / 't.db'}"),
            RCPT,
            SENDER_KEY,
            SENDER_PASS,
            ws.keys.public(SENDER_KEY),
            at(4),
        )


def test_package_from_an_untrusted_sender_refused(sealed, tmp_path):
    ws, pkg = _copy(sealed, tmp_path)
    with pytest.raises(IntegrityError, match="unexpected key"):
        procedure.load(
            ws,
            pkg,
            open_target(f"sqlite:{tmp_path / 't.db'}"),
            RCPT,
            RECIPIENT_KEY,
            RECIPIENT_PASS,
            ws.keys.public(RECIPIENT_KEY),
            at(4),
        )


def test_missing_profile_column_is_named(tmp_path):
    from ariane.connectors import duck, source
    from ariane.profiles.compile import check_profile
    from ariane.profiles.load import load_profile

    db = tmp_path / "x.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE PAT_PATIENT (PAT_ID INTEGER, PAT_NOM TEXT)")
    con.close()
    d = duck.connect()
    source.attach(d, source.parse_source(str(db)))
    with pytest.raises(
        ScopeError, match=r"column .PAT_NOM_NAISS. does not exist in table .PAT_PATIENT."
    ):
        check_profile(load_profile("labosoft-sil4"), source.catalog(d))


def test_small_batches_extract_every_row(ws, tmp_path, lab):
    """Per-batch checks must not cut the source stream short (regression: they shared its
    connection, and a 500-row batch size silently ended the stream after the first batch)."""
    mid = write_manifest(ws, tmp_path / "m.yaml")
    approved(ws, tmp_path / "m.yaml", lab)
    result = procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(3), batch_rows=97)
    index = __import__("ariane.package.reader", fromlist=["x"]).verify_package(result.package)
    for name, entry in index.entities.items():
        assert entry.rows == result.counts[name]["transferred"] > 0
