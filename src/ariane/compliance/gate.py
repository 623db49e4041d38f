"""The agreement gate: no approval without a processing agreement on record that passes the check.

`migrations/<id>/agreement.json` holds what was registered — the file's name, size and SHA-256
and the statuses of the check, never a copy of the document — and, when a controller chose to
go ahead anyway, their signed override. The override signs the manifest's digest, the agreement's
hash and the written reason together, so it lapses when the manifest or the agreement changes.
The steps that write this file (role checks, audit) are in `ariane.engine.agreement`.
"""

from __future__ import annotations

from typing import Any

from ariane.compliance.model import STATUSES, DpaReport
from ariane.crypto.digest import canonical_digest
from ariane.engine.approvals import verify_approval
from ariane.engine.workspace import Workspace
from ariane.errors import IntegrityError, PolicyError

FORMAT = "ariane.agreement-record/1"
OVERRIDE_FORMAT = "ariane.agreement-override/1"
OVERRIDE_KIND = "agreement-override"
FILE = "agreement.json"


def check_summary(report: DpaReport) -> dict[str, Any]:
    """The check's verdicts without the contract's words: statuses, counts, kinds of defects."""
    return {
        "format": "ariane.dpa-check/1",
        "language": report.language,
        "summary": {s: len(report.ids(s)) for s in STATUSES},
        "statuses": {e.id: e.status for e in report.elements},
        "missing": report.missing,
        "unspecified": report.ids("unspecified"),
        "weak": report.ids("weak"),
        "placeholders": len(report.placeholders),
        "findings": sorted({f.kind for f in report.findings}),
    }


def override_digest(manifest_digest: str, agreement_sha256: str | None, reason: str) -> str:
    """What an override signs: this manifest version, this agreement (or none), this reason."""
    return canonical_digest(
        {
            "format": OVERRIDE_FORMAT,
            "manifest_digest": manifest_digest,
            "agreement_sha256": agreement_sha256,
            "reason": reason,
        }
    )


def read_record(ws: Workspace, mid: str) -> dict[str, Any]:
    path = ws.migration_dir(mid) / FILE
    if not path.exists():
        return {"format": FORMAT, "manifest": mid, "agreement": None, "override": None}
    data: dict[str, Any] = ws.read_json(path, f"the agreement record of {mid}")
    if data.get("format") != FORMAT or data.get("manifest") != mid:
        raise IntegrityError(f"the agreement record of {mid} is not a record of this manifest")
    return data


def write_record(ws: Workspace, mid: str, record: dict[str, Any]) -> None:
    ws.write_json(ws.migration_dir(mid) / FILE, record)


def override_applies(override: dict[str, Any], manifest_digest: str, sha: str | None) -> bool:
    """An override covers the manifest version and the agreement it was given for, no other."""
    return bool(
        override.get("manifest_digest") == manifest_digest
        and override.get("agreement_sha256") == sha
    )


def require_agreement(ws: Workspace, mid: str, author: str, digest: str) -> dict[str, Any]:
    """The gate `approve()` calls. Returns audit details; raises PolicyError when the manifest
    may not be approved, IntegrityError when an override's signature does not verify."""
    record = read_record(ws, mid)
    agreement: dict[str, Any] | None = record.get("agreement")
    sha = agreement["sha256"] if agreement else None
    missing: list[str] = list(agreement["check"]["missing"]) if agreement else []
    if agreement is not None and not missing:
        return {"sha256": sha, "missing": 0, "override": None}
    override: dict[str, Any] | None = record.get("override")
    if override is not None and override_applies(override, digest, sha):
        signed = override_digest(digest, sha, str(override.get("reason", "")))
        approval = {k: v for k, v in override.items() if k not in OVERRIDE_EXTRA}
        verify_approval(approval, ws.accounts, OVERRIDE_KIND, mid, signed, author)
        return {"sha256": sha, "missing": len(missing), "override": approval["by"]}
    stale = " (the override on record was given for another version)" if override else ""
    if agreement is None:
        raise PolicyError(
            f"no processing agreement is on record for manifest {mid}{stale}: register the "
            "signed agreement (ariane dpa register) or have a controller record an override"
        )
    raise PolicyError(
        f"the processing agreement on record for {mid} ({agreement['document']}) lacks "
        f"{len(missing)} required element(s): {', '.join(missing)}{stale}; register a complete "
        "agreement or have a controller record an override"
    )


# Fields stored beside the signed approval so that its digest can be recomputed.
OVERRIDE_EXTRA = frozenset({"manifest_digest", "agreement_sha256", "reason", "missing"})
