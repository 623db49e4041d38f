"""The workspace: where a migration's procedure lives, one folder per manifest.

```
<ws>/workspace.json            marker and format version
<ws>/keys/<name>/              parties' keys, under passphrase (crypto.keys.KeyStore)
<ws>/journal.jsonl             every action: who, when, what, counts and digests, never a value
<ws>/migrations/<id>/manifest.yaml      the manifest as submitted
<ws>/migrations/<id>/state.json         the procedure's state and its history
<ws>/migrations/<id>/secret.age         pseudonymisation secret, sealed to the processor's key
<ws>/migrations/<id>/<step>.json        dry-run, extract, load, reconcile reports; certificate
<ws>/packages/<package id>/             sealed packages
```
Every write is atomic (temporary name, fsync, rename) and owner-only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
from dataclasses import dataclass
from typing import Any

from ariane import yamlio
from ariane.crypto.digest import canonical_json
from ariane.crypto.keys import KeyStore
from ariane.errors import PolicyError, UsageError
from ariane.manifest.load import load_manifest
from ariane.manifest.schema import ID_PATTERN, Manifest

FORMAT = "ariane.workspace/1"

# The procedure (DESIGN §2). A step may only follow one of the states listed for it.
STATES = ("draft", "approved", "extracted", "loaded", "reconciled", "purged")
ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "approve": ("draft",),
    "dry-run": ("draft", "approved"),
    "extract": ("approved",),
    "load": ("extracted", "loaded", "reconciled"),  # one package may feed several targets
    "reconcile": ("loaded", "reconciled"),
    "purge": ("extracted", "loaded", "reconciled"),
}


@dataclass(frozen=True)
class Workspace:
    root: pathlib.Path

    @classmethod
    def open(cls, root: pathlib.Path, create: bool = False) -> Workspace:
        marker = root / "workspace.json"
        if not marker.exists():
            if not create:
                raise UsageError(f"no Ariane workspace at {root} (create one with `ariane init`)")
            root.mkdir(parents=True, exist_ok=True)
            os.chmod(root, 0o700)
            yamlio.write_atomic(marker, canonical_json({"format": FORMAT}))
        return cls(root)

    @property
    def keys(self) -> KeyStore:
        return KeyStore(self.root / "keys")

    def migration_dir(self, mid: str) -> pathlib.Path:
        if not ID_PATTERN.fullmatch(mid):
            raise UsageError(f"invalid manifest id {mid!r}")
        return self.root / "migrations" / mid

    def packages_dir(self) -> pathlib.Path:
        return self.root / "packages"

    def manifest(self, mid: str) -> Manifest:
        path = self.migration_dir(mid) / "manifest.yaml"
        if not path.exists():
            raise UsageError(f"no manifest {mid} in this workspace (submit it first)")
        return load_manifest(path)

    # --- state -----------------------------------------------------------------------------
    def state(self, mid: str) -> dict[str, Any]:
        path = self.migration_dir(mid) / "state.json"
        if not path.exists():
            raise UsageError(f"no manifest {mid} in this workspace (submit it first)")
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return data

    def require_state(self, mid: str, step: str) -> dict[str, Any]:
        st = self.state(mid)
        if st["state"] not in ALLOWED_FROM[step]:
            raise PolicyError(
                f"{step} is not allowed while manifest {mid} is {st['state']} "
                f"(needs {' or '.join(ALLOWED_FROM[step])})"
            )
        return st

    def set_state(self, mid: str, st: dict[str, Any], new: str, by: str, at: dt.datetime) -> None:
        st = dict(st)
        st["history"] = [
            *st.get("history", []),
            {"from": st["state"], "to": new, "by": by, "at": at.isoformat()},
        ]
        st["state"] = new
        self.write_json(self.migration_dir(mid) / "state.json", st)

    def write_json(self, path: pathlib.Path, data: Any) -> None:
        yamlio.write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False).encode() + b"\n")

    def read_json(self, path: pathlib.Path, what: str) -> Any:
        if not path.exists():
            raise PolicyError(f"{what} has not been done yet")
        return json.loads(path.read_text("utf-8"))

    # --- journal -----------------------------------------------------------------------------
    def journal(self, at: dt.datetime, who: str, action: str, **details: Any) -> None:
        """Append one event. Details are ids, counts and digests only."""
        line = canonical_json({"at": at.isoformat(), "who": who, "action": action, **details})
        fd = os.open(self.root / "journal.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
