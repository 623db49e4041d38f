"""Helpers for end-to-end tests: a small synthetic laboratory and a ready workspace.

Key creation costs a few seconds (scrypt), so keys are made once per test process and copied.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import shutil

from ariane import yamlio
from ariane.demo.run import OPERATOR, PROFILE, RECIPIENT_KEY, SENDER_KEY, demo_manifest_text
from ariane.engine.workspace import Workspace

TODAY = dt.date(2026, 11, 29)
SENDER_PASS = "sender passphrase for tests only"
RECIPIENT_PASS = "recipient passphrase for tests only"
CONTROLLER = "claire.dubois"


def at(minutes: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 29, 10, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)


def make_keys(root: pathlib.Path) -> pathlib.Path:
    ws = Workspace.open(root, create=True)
    ws.keys.create(SENDER_KEY, SENDER_PASS)
    ws.keys.create(RECIPIENT_KEY, RECIPIENT_PASS)
    return root / "keys"


def new_workspace(root: pathlib.Path, keys: pathlib.Path) -> Workspace:
    ws = Workspace.open(root, create=True)
    shutil.copytree(keys, root / "keys")
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
    procedure.submit(ws, manifest, OPERATOR, at(0))
    procedure.approve(ws, mid, CONTROLLER, at(1))
    procedure.dry_run(ws, mid, str(source), OPERATOR, at(2))
    return str(mid)
