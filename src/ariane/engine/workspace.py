"""The workspace: where a migration's procedure lives, one folder per manifest.

```
<ws>/workspace.json            marker, format version, workspace id
<ws>/keys/<name>/              parties' keys, under passphrase (crypto.keys.KeyStore)
<ws>/accounts/, sessions/      one account per person; their sessions (accounts package)
<ws>/audit/                    the hash-chained, signed audit log (audit package)
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
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ariane import yamlio
from ariane.accounts.session import SessionStore
from ariane.accounts.store import AccountStore
from ariane.audit import AuditLog
from ariane.crypto.digest import canonical_json
from ariane.crypto.keys import KeyStore, PublicKeys
from ariane.crypto.sealing_key import DEFAULT_COST, Argon2Cost
from ariane.errors import PolicyError, UsageError
from ariane.manifest.load import load_manifest
from ariane.manifest.schema import ID_PATTERN, Manifest

FORMAT = "ariane.workspace/1"

# The procedure (DESIGN §2). A step may only follow one of the states listed for it.
# "rejected" leaves the line: a controller refused the draft (engine.review); the author may
# submit a new version, which starts again as a draft.
STATES = ("draft", "rejected", "approved", "extracted", "loaded", "reconciled", "purged")
ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "approve": ("draft",),
    "reject": ("draft",),
    "dry-run": ("draft", "approved"),
    "extract": ("approved",),
    "load": ("extracted", "loaded", "reconciled"),  # one package may feed several targets
    "reconcile": ("loaded", "reconciled"),
    "purge": ("approved", "extracted", "loaded", "reconciled"),  # approved: an abandoned run
}


@dataclass(frozen=True)
class Workspace:
    root: pathlib.Path
    # Argon2 cost for accounts; tests pass a cheap one, production keeps the default.
    cost: Argon2Cost = field(default=DEFAULT_COST)

    @classmethod
    def open(
        cls, root: pathlib.Path, create: bool = False, cost: Argon2Cost = DEFAULT_COST
    ) -> Workspace:
        marker = root / "workspace.json"
        if not marker.exists():
            if not create:
                raise UsageError(f"no Ariane workspace at {root} (create one with `ariane init`)")
            root.mkdir(parents=True, exist_ok=True)
            os.chmod(root, 0o700)
            yamlio.write_atomic(marker, canonical_json({"format": FORMAT, "id": str(uuid.uuid4())}))
        return cls(root, cost)

    @cached_property
    def id(self) -> str:
        data: dict[str, str] = json.loads((self.root / "workspace.json").read_text("utf-8"))
        return data["id"]

    @property
    def keys(self) -> KeyStore:
        return KeyStore(self.root / "keys")

    @cached_property
    def accounts(self) -> AccountStore:
        return AccountStore(self.root / "accounts", cost=self.cost)

    @cached_property
    def sessions(self) -> SessionStore:
        return SessionStore(self.root / "sessions", self.accounts)

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(self.root / "audit", self.id)

    def retire_key(self, public: PublicKeys) -> None:
        """Keep the public half of a key about to be destroyed."""
        self.write_json(self.root / "retired-keys" / f"{public.name}.json", public.to_dict())

    def trusted_keys(self) -> dict[str, str]:
        """Signer name -> Ed25519 public key: the parties' keys (retired ones too) and every
        person's current key."""
        trusted = {}
        for path in sorted((self.root / "retired-keys").glob("*.json")):
            retired = PublicKeys.from_json(path.read_text("utf-8"))
            trusted[retired.name] = retired.ed25519_public
        trusted.update({n: self.keys.public(n).ed25519_public for n in self.keys.names()})
        for account in self.accounts.list():
            if account.current_key is not None:
                trusted[account.name] = account.current_key.public_key
        return trusted

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
