"""What the workspace records about each migration, gathered for the pages: state, steps, reports.

Only the workspace's own files are read (state, dry-run, extract, load, reconcile, certificate,
agreement record): they hold ids, counts, digests and names of the people who acted — no value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ariane.compliance import gate
from ariane.engine.workspace import Workspace
from ariane.errors import ArianeError, IntegrityError, PolicyError
from ariane.manifest.schema import ID_PATTERN, Manifest

REPORTS = ("dry-run", "extract", "load", "reconcile", "certificate")


def migration_ids(ws: Workspace) -> list[str]:
    root = ws.root / "migrations"
    if not root.is_dir():
        return []
    return sorted(
        p.name
        for p in root.iterdir()
        if ID_PATTERN.fullmatch(p.name) and (p / "state.json").exists()
    )


def read_report(ws: Workspace, mid: str, name: str) -> dict[str, Any] | None:
    path = ws.migration_dir(mid) / f"{name}.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


@dataclass(frozen=True)
class Step:
    name: str
    done: bool
    by: str = ""
    at: str = ""
    note: str = ""


@dataclass(frozen=True)
class Agreement:
    """The agreement gate as `approve()` will see it: passes, or the reason it refuses."""

    record: dict[str, Any]
    passes: bool
    verdict: str


def agreement_of(ws: Workspace, mid: str, manifest: Manifest, digest: str) -> Agreement:
    try:
        record = gate.read_record(ws, mid)
    except (IntegrityError, PolicyError) as e:
        return Agreement({}, False, e.message)
    try:
        details = gate.require_agreement(ws, mid, manifest.author, digest)
    except ArianeError as e:
        return Agreement(record, False, e.message)
    if details.get("override"):
        verdict = f"approval allowed by an override signed by {details['override']}"
    else:
        verdict = "a processing agreement with every required element is on record"
    return Agreement(record, True, verdict)


@dataclass(frozen=True)
class Migration:
    id: str
    manifest: Manifest
    state: dict[str, Any]
    reports: dict[str, dict[str, Any]]

    @property
    def status(self) -> str:
        return str(self.state["state"])

    @property
    def digest(self) -> str:
        return str(self.state["digest"])

    @property
    def submitted(self) -> dict[str, Any]:
        drafts = [h for h in self.state.get("history", []) if h.get("to") == "draft"]
        return drafts[-1] if drafts else {}

    @property
    def dry_run_status(self) -> str:
        """current (of this version), stale (of another version) or none."""
        dry = self.reports.get("dry-run")
        if dry is None:
            return "none"
        return "current" if dry.get("digest") == self.digest else "stale"

    def transferred(self) -> int | None:
        report = self.reports.get("extract") or self.reports.get("dry-run")
        if report is None:
            return None
        return sum(int(c["transferred"]) for c in report["counts"].values())

    def steps(self) -> list[Step]:
        r, st = self.reports, self.state
        sub = self.submitted
        dry = r.get("dry-run")
        out = [
            Step("submitted", True, sub.get("by", ""), sub.get("at", "")),
            Step("dry run", dry is not None, *_who(dry), f"{self.dry_run_status} version"),
        ]
        approvals = [a for a in st.get("approvals", []) if a.get("kind") == "manifest"]
        rejection = st.get("rejection")
        if rejection is not None and self.status == "rejected":
            out.append(Step("rejected", True, rejection["by"], rejection["at"]))
            return out
        out.append(
            Step(
                "approved (signed)",
                bool(approvals),
                ", ".join(a["by"] for a in approvals),
                approvals[-1]["at"] if approvals else "",
            )
        )
        ext, load, rec, cert = (r.get(n) for n in ("extract", "load", "reconcile", "certificate"))
        checked = "" if rec is None else ("matches" if rec.get("ok") else "MISMATCH")
        out += [
            Step("extracted and sealed", ext is not None, *_who(ext), _get(ext, "package_id")),
            Step("loaded", load is not None, *_who(load), _get(load, "target")),
            Step("reconciled", bool(rec and rec.get("ok")), *_who(rec), checked),
            Step(
                "purged (certificate)",
                cert is not None,
                _get(cert, "destroyed_by"),
                _get(cert, "destroyed_at"),
            ),
        ]
        return out


def _get(report: dict[str, Any] | None, key: str) -> str:
    return "" if report is None else str(report.get(key, ""))


def _who(report: dict[str, Any] | None) -> tuple[str, str]:
    return ("", "") if report is None else (str(report.get("by", "")), str(report.get("at", "")))


def load_migration(ws: Workspace, mid: str) -> Migration:
    """UsageError if `mid` is not a manifest of this workspace."""
    state = ws.state(mid)
    manifest = ws.manifest(mid)
    reports = {n: d for n in REPORTS if (d := read_report(ws, mid, n)) is not None}
    return Migration(mid, manifest, state, reports)
