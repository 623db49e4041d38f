"""What a migration's folder and the audit log say about one run, gathered for the documents.

Only the workspace's own reports are read (manifest, state, dry-run, extract, load, reconcile,
certificate, agreement record) and the audit log: they hold ids, counts, digests and the names of
the staff who acted — never a patient value. The source and the targets are never opened.
Signatures are verified here, so that a document says "verified", not merely "present".
"""

from __future__ import annotations

import datetime as dt
import pathlib
from dataclasses import dataclass, field
from typing import Any

from ariane.audit import Event, VerifyReport
from ariane.compliance import gate
from ariane.crypto.digest import canonical_digest
from ariane.engine.approvals import verify_approval
from ariane.engine.workspace import Workspace
from ariane.errors import ArianeError
from ariane.manifest.load import manifest_digest
from ariane.manifest.schema import Manifest
from ariane.model.entities import ORDER


@dataclass(frozen=True)
class Step:
    what: str
    by: str
    full_name: str
    at: str
    detail: str = ""
    verified: bool | None = None  # a signed step: did its signature verify?
    iso: str = ""  # the exact time, for ordering


@dataclass(frozen=True)
class EntityCounts:
    entity: str
    source_rows: int
    dry_run: int | None
    extracted: int | None
    loaded: dict[str, int | None]  # target -> rows (None: not in that load)
    reconciled: int | None
    excluded: dict[str, int]  # reason -> rows


@dataclass(frozen=True)
class AuditFacts:
    verified: bool
    message: str
    report: VerifyReport | None
    events: tuple[Event, ...]  # this migration's events


@dataclass(frozen=True)
class RunFacts:
    workspace: Workspace
    manifest: Manifest
    digest: str
    state: dict[str, Any]
    steps: tuple[Step, ...]
    counts: tuple[EntityCounts, ...]
    partition: dict[str, Any]  # the latest partition (extract, else dry run): entity -> counts
    result_categories: tuple[tuple[str, int, int], ...]  # category, transferred, excluded
    agreement: dict[str, Any]
    override_verified: bool | None
    extract: dict[str, Any] | None
    reconcile: dict[str, Any] | None
    reconciled_targets: tuple[tuple[str, str, int], ...]  # target, by, problems
    certificate: dict[str, Any] | None
    certificate_verified: bool | None
    audit: AuditFacts
    notes: list[str] = field(default_factory=list)  # signatures or digests that did not verify

    @property
    def approved(self) -> bool:
        return self.state.get("approved_digest") == self.digest

    def rel(self, path: str) -> str:
        """A workspace path shown relative to the workspace (shorter, and no home folders)."""
        try:
            return str(pathlib.Path(path).relative_to(self.workspace.root))
        except ValueError:
            return path


def when(text: str | None) -> str:
    """An ISO time as people read it, in UTC to the second."""
    if not text:
        return ""
    at = dt.datetime.fromisoformat(text)
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if at.tzinfo else text


def _utc_iso(text: str) -> str:
    at = dt.datetime.fromisoformat(text)
    return at.astimezone(dt.UTC).isoformat() if at.tzinfo else at.isoformat()


def _json(ws: Workspace, mid: str, name: str) -> dict[str, Any] | None:
    path = ws.migration_dir(mid) / name
    return ws.read_json(path, name) if path.exists() else None


def _full_name(ws: Workspace, name: str) -> str:
    return ws.accounts.get(name).full_name if ws.accounts.exists(name) else ""


def _verified(notes: list[str], what: str, check: Any) -> bool:
    try:
        check()
    except ArianeError as e:
        notes.append(f"{what}: {e.message}")
        return False
    return True


def _steps(
    ws: Workspace, mid: str, m: Manifest, st: dict[str, Any], ev: list[Event], notes: list[str]
) -> list[Step]:
    def step(what: str, by: str, at: str, detail: str = "", ok: bool | None = None) -> Step:
        return Step(what, by, _full_name(ws, by), when(at), detail, ok, _utc_iso(at))

    history = st.get("history", [])
    out = [step("drafted and submitted", m.author, history[0]["at"] if history else "")]
    for e in ev:
        at = e.at.isoformat()
        if e.action == "agreement.register" and e.outcome == "ok":
            out.append(step("registered the processing agreement", e.who, at))
        elif e.action == "agreement.override" and e.outcome == "ok":
            out.append(step("overrode the agreement gate", e.who, at, "alert raised"))
        elif e.action == "dry-run" and e.outcome == "ok":
            out.append(step("ran the dry run", e.who, at))
        elif e.action in ("load", "reconcile") and e.outcome == "ok":
            verb = "loaded into" if e.action == "load" else "reconciled"
            out.append(step(f"{verb} {e.details.get('target', '')}", e.who, at))
    for a in st.get("approvals", []):
        ok = _verified(
            notes,
            f"approval by {a.get('by')}",
            lambda a=a: verify_approval(
                a, ws.accounts, "manifest", mid, st.get("approved_digest", ""), m.author
            ),
        )
        detail = "signature verified" if ok else "signature NOT verified"
        out.append(step("approved (signed the manifest digest)", a["by"], a["at"], detail, ok))
    for name, verb in (("extract.json", "extracted and sealed the package"),):
        rep = _json(ws, mid, name)
        if rep is not None:
            out.append(step(verb, rep["by"], rep["at"], rep.get("package_id", "")))
    return out


def _counts(
    ws: Workspace, mid: str, ev: list[Event], dry: Any, ext: Any, rec: Any
) -> list[EntityCounts]:
    base = (ext or dry or {}).get("counts", {})
    loads: dict[str, dict[str, int]] = {}
    for e in ev:
        if e.action == "load" and e.outcome == "ok":
            loads[str(e.details.get("target"))] = dict(e.details.get("loaded", {}))
    out = []
    for name in ORDER:
        part = base.get(name)
        if part is None:
            continue
        rec_entity = (rec or {}).get("entities", {}).get(name)
        out.append(
            EntityCounts(
                name,
                part["source_rows"],
                dry["counts"][name]["transferred"] if dry and name in dry["counts"] else None,
                part["transferred"] if ext else None,
                {t: rows.get(name) for t, rows in loads.items()},
                rec_entity["target_rows"] if rec_entity else None,
                dict(part["excluded"]),
            )
        )
    return out


def _audit(ws: Workspace, mid: str) -> AuditFacts:
    try:
        report = ws.audit.verify(ws.trusted_keys())
        events = tuple(ws.audit.show(manifest=mid))
    except ArianeError as e:
        # A log that does not verify is itself the finding: its events are not to be trusted.
        return AuditFacts(False, e.message, None, ())
    return AuditFacts(True, "chain, head and every checkpoint signature verified", report, events)


def collect(ws: Workspace, mid: str) -> RunFacts:
    """Everything the report, the record and the breach draft say about `mid`."""
    manifest, st = ws.manifest(mid), ws.state(mid)
    notes: list[str] = []
    dry, ext = _json(ws, mid, "dry-run.json"), _json(ws, mid, "extract.json")
    rec, cert = _json(ws, mid, "reconcile.json"), _json(ws, mid, "certificate.json")
    audit = _audit(ws, mid)
    ev = list(audit.events)
    partition = (ext or dry or {}).get("counts", {})
    result = partition.get("result", {})
    cats = sorted(set(result.get("by_category", {})) | set(result.get("excluded_by_category", {})))
    categories = tuple(
        (k, result["by_category"].get(k, 0), result["excluded_by_category"].get(k, 0)) for k in cats
    )
    agreement = gate.read_record(ws, mid)
    override = agreement.get("override")
    override_ok = None
    if override is not None:
        approval = {k: v for k, v in override.items() if k not in gate.OVERRIDE_EXTRA}
        signed = gate.override_digest(
            override["manifest_digest"], override["agreement_sha256"], override["reason"]
        )
        override_ok = _verified(
            notes,
            "agreement override",
            lambda: verify_approval(
                approval, ws.accounts, gate.OVERRIDE_KIND, mid, signed, manifest.author
            ),
        )
    cert_ok = None
    if cert is not None:
        body = {k: v for k, v in cert.items() if k != "certificate_digest"}
        cert_ok = canonical_digest(body) == cert.get("certificate_digest") and _verified(
            notes,
            "purge approval",
            lambda: verify_approval(
                cert["approval"],
                ws.accounts,
                "purge",
                mid,
                cert["manifest_digest"] or "",
                manifest.author,
            ),
        )
    steps = _steps(ws, mid, manifest, st, ev, notes)
    if cert is not None:
        files = len(cert.get("files", []))
        detail = f"{files} files destroyed; certificate " + (
            "verified" if cert_ok else "NOT verified"
        )
        steps.append(
            Step(
                "purged the package and key material",
                cert["destroyed_by"],
                _full_name(ws, cert["destroyed_by"]),
                when(cert["destroyed_at"]),
                detail,
                cert_ok,
                _utc_iso(cert["destroyed_at"]),
            )
        )
    if st.get("approved_digest") not in (None, manifest_digest(manifest)):
        notes.append("the manifest on record differs from the approved version")
    reconciled = tuple(
        (str(e.details.get("target")), e.who, int(e.details.get("problems", 0)))
        for e in ev
        if e.action == "reconcile" and e.outcome in ("ok", "error")
    )
    return RunFacts(
        workspace=ws,
        manifest=manifest,
        digest=manifest_digest(manifest),
        state=st,
        steps=tuple(sorted(steps, key=lambda s: s.iso)),
        counts=tuple(_counts(ws, mid, ev, dry, ext, rec)),
        partition=partition,
        result_categories=categories,
        agreement=agreement,
        override_verified=override_ok,
        extract=ext,
        reconcile=rec,
        reconciled_targets=reconciled,
        certificate=cert,
        certificate_verified=cert_ok,
        audit=audit,
        notes=notes,
    )
