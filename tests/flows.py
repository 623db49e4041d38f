"""Helpers for end-to-end tests: a small synthetic laboratory, keys, people and a workspace.

Key creation costs a few seconds (scrypt), so keys are made once per test process and copied.
Accounts use a cheap Argon2 cost passed to the workspace (production keeps the strong default).
"""

from __future__ import annotations

import datetime as dt
import pathlib
import shutil

from ariane import yamlio
from ariane.crypto.sealing_key import Argon2Cost
from ariane.demo.run import PROFILE, RECIPIENT_KEY, SENDER_KEY, demo_manifest_text
from ariane.engine.actor import Actor
from ariane.engine.workspace import Workspace

TODAY = dt.date(2026, 11, 29)
SENDER_PASS = "sender passphrase for tests only"
RECIPIENT_PASS = "recipient passphrase for tests only"
TEST_COST = Argon2Cost(1, 8, 1)
PASSWORD = "Tests-Only-Pa55word!-Kq7#Zr"  # one strong test password for every account
ADMIN_NAME, OPERATOR, CONTROLLER, RECIPIENT, AUDITOR = (
    "nadia.roux",
    "alice.martin",
    "claire.dubois",
    "romain.petit",
    "paul.girard",
)
CONTROLLER2 = "marc.lefort"
DUAL = "lea.bernard"  # both operator and controller: may draft, must not approve her own
OP, CTRL, RCPT, AUD = (
    Actor(n, "tester", "testhost") for n in (OPERATOR, CONTROLLER, RECIPIENT, AUDITOR)
)
CTRL2 = Actor(CONTROLLER2, "tester", "testhost")
DUO = Actor(DUAL, "tester", "testhost")
CTRL_PW = PASSWORD


def at(minutes: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 29, 10, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)


def make_keys(root: pathlib.Path) -> pathlib.Path:
    ws = Workspace.open(root, create=True, cost=TEST_COST)
    ws.keys.create(SENDER_KEY, SENDER_PASS)
    ws.keys.create(RECIPIENT_KEY, RECIPIENT_PASS)
    return root / "keys"


def new_workspace(root: pathlib.Path, keys: pathlib.Path) -> Workspace:
    """A workspace with the parties' keys and one account per role, created by an admin."""
    ws = Workspace.open(root, create=True, cost=TEST_COST)
    shutil.copytree(keys, root / "keys")
    created = at(-60)
    ws.accounts.create(ADMIN_NAME, "Nadia Roux", ["admin"], PASSWORD, created, by="ariane-init")
    for name, full, role in (
        (OPERATOR, "Alice Martin", "operator"),
        (CONTROLLER, "Claire Dubois", "controller"),
        (CONTROLLER2, "Marc Lefort", "controller"),
        (RECIPIENT, "Romain Petit", "recipient"),
        (AUDITOR, "Paul Girard", "auditor"),
    ):
        ws.accounts.create(name, full, [role], PASSWORD, created, by=ADMIN_NAME)
    ws.accounts.create(
        DUAL, "Léa Bernard", ["operator", "controller"], PASSWORD, created, by=ADMIN_NAME
    )
    return ws


def write_manifest(ws: Workspace, path: pathlib.Path, mid: str = "T-1", edit: object = None) -> str:
    """Write the demo manifest (optionally edited by `edit(dict)`); return its id."""
    text = demo_manifest_text(PROFILE, mid, ws.keys.public(RECIPIENT_KEY).age_recipient, TODAY)
    if edit is not None:
        data = yamlio.parse_yaml(text, "test")
        edit(data)  # type: ignore[operator]
        text = yamlio.dump_yaml(data)
    path.write_text(text)
    return mid


def approved(ws: Workspace, manifest: pathlib.Path, source: pathlib.Path) -> str:
    from ariane.engine import procedure

    mid = yamlio.parse_yaml(manifest.read_text(), "m")["id"]
    procedure.submit(ws, manifest, OP, at(0))
    register_drafted_agreement(ws, mid)
    procedure.dry_run(ws, mid, str(source), CTRL, at(1))
    procedure.approve(ws, mid, CTRL, CTRL_PW, at(2))
    return str(mid)


def register_drafted_agreement(ws: Workspace, mid: str) -> None:
    """The approval gate needs an agreement that passes `dpa check`: draft one from the manifest."""
    from ariane.compliance.draft import draft_annex
    from ariane.engine.agreement import register_agreement

    annex = ws.migration_dir(mid) / "agreement-annex.md"
    annex.write_text(draft_annex(ws.manifest(mid), "en"))
    register_agreement(ws, mid, annex, OP, at(0))


def load_package(ws: Workspace, package: pathlib.Path, target: str, when: int) -> dict[str, int]:
    """The recipient loads `package` into the target `target` (a spec) at `at(when)`."""
    from ariane.connectors.targets import open_target
    from ariane.engine import procedure

    return procedure.load(
        ws,
        package,
        open_target(target, at(when)),  # message headers carry a time
        RCPT,
        RECIPIENT_KEY,
        RECIPIENT_PASS,
        ws.keys.public(SENDER_KEY),
        at(when),
    )
