"""Procedure steps around the processing agreement (issue 6, item 3): register it, or override.

`register_agreement` checks the signed agreement (any format `dpa check` reads) and keeps its
hash and the check's statuses in the migration's folder; `record_override` lets a controller
approve a manifest despite a missing or deficient agreement, with a written reason, signed with
their personal key and raised as an alert in the audit log. `approve()` consults both through
`ariane.compliance.gate.require_agreement`.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from typing import Any

from ariane.accounts.auth import unlock_signing_key
from ariane.audit import alerts
from ariane.compliance import gate
from ariane.compliance.check import check_file
from ariane.crypto.digest import sha256_hex
from ariane.engine.actor import Actor, audited, require_role
from ariane.engine.approvals import sign_approval
from ariane.engine.workspace import Workspace
from ariane.errors import PolicyError, UsageError
from ariane.manifest.load import manifest_digest

OPERATOR, CONTROLLER = "operator", "controller"
REASON_MIN, REASON_MAX = 20, 2000


def _require_draft(ws: Workspace, mid: str) -> None:
    # The agreement is what an approval rests on: it cannot change under an approval.
    state = ws.state(mid)["state"]
    if state != "draft":
        raise PolicyError(f"manifest {mid} is {state}; its agreement can only change while draft")


def register_agreement(
    ws: Workspace, mid: str, path: pathlib.Path, actor: Actor, now: dt.datetime
) -> dict[str, Any]:
    """Check the agreement and record its hash and verdicts (not the document) for `mid`."""
    with audited(ws, actor, "agreement.register", now, mid) as ev:
        require_role(ws, actor, (OPERATOR, CONTROLLER), now)
        _require_draft(ws, mid)
        manifest = ws.manifest(mid)
        report = check_file(path)
        data = path.read_bytes()
        entry: dict[str, Any] = {
            "document": path.name,
            "size": len(data),
            "sha256": sha256_hex(data),
            "reference": manifest.agreement.reference,
            "registered_by": actor.name,
            "registered_at": now.isoformat(),
            "check": gate.check_summary(report),
        }
        # A new agreement voids an earlier override: it was given for another document.
        record = {**gate.read_record(ws, mid), "agreement": entry, "override": None}
        gate.write_record(ws, mid, record)
        ev.details = {
            "sha256": entry["sha256"],
            "summary": entry["check"]["summary"],
            "missing": report.missing,
        }
        return record


def record_override(
    ws: Workspace, mid: str, actor: Actor, password: str, reason: str, now: dt.datetime
) -> dict[str, Any]:
    """A controller's signed decision to approve `mid` without a complete agreement on record."""
    with audited(ws, actor, "agreement.override", now, mid) as ev:
        ev.alert = alerts.AGREEMENT_OVERRIDE  # refused or not, an override attempt stands out
        require_role(ws, actor, (CONTROLLER,), now)
        _require_draft(ws, mid)
        text = " ".join(reason.split())
        if not REASON_MIN <= len(text) <= REASON_MAX:
            raise UsageError(
                f"an override needs a written reason of {REASON_MIN} to {REASON_MAX} characters"
            )
        manifest = ws.manifest(mid)
        if actor.name == manifest.author:
            raise PolicyError(f"{actor.name} drafted manifest {mid} and cannot override for it")
        digest = manifest_digest(manifest)
        record = gate.read_record(ws, mid)
        agreement = record.get("agreement")
        sha = agreement["sha256"] if agreement else None
        missing = list(agreement["check"]["missing"]) if agreement else ["agreement"]
        if not missing:
            raise PolicyError(f"the agreement on record for {mid} lacks no element: no override")
        key = unlock_signing_key(ws.accounts, actor.name, password, now)
        signed = gate.override_digest(digest, sha, text)
        approval = sign_approval(key, gate.OVERRIDE_KIND, mid, digest=signed, by=actor.name, at=now)
        override = {
            **approval,
            "manifest_digest": digest,
            "agreement_sha256": sha,
            "reason": text,
            "missing": missing,
        }
        gate.write_record(ws, mid, {**record, "override": override})
        # The reason is free text: the log keeps its hash, the record keeps the words.
        ev.details = {
            "digest": digest,
            "agreement_sha256": sha,
            "missing": missing,
            "reason_sha256": sha256_hex(text.encode()),
        }
    ws.audit.checkpoint(now, actor.name, actor.os_user, actor.host, actor.name, key)
    return override
