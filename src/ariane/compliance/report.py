"""`ariane report`: the procedure report of one migration, as HTML and PDF (issue 6, item 5).

It states the instruction in plain language, who drafted, approved (signature verified), ran,
loaded and purged, the counts at each step with what was left out and why, charts of those
counts, the security measures applied, the audit chain's head and verification, and the purge
certificate. It is built from the workspace's reports and audit log only (`facts.collect`), which
hold ids, counts and digests: no patient value can reach it. The PDF is the same HTML printed by
WeasyPrint, which is given no way to fetch anything.
"""

from __future__ import annotations

from importlib import resources

import jinja2
from markupsafe import Markup

from ariane.compliance import charts
from ariane.compliance.facts import EntityCounts, RunFacts, collect, when
from ariane.compliance.plain import scope_text
from ariane.engine.workspace import Workspace
from ariane.model import categories as c

STEP_COLORS = {
    "source": "#9c9c9c",
    "dry run": "#5b9bd5",
    "extracted": "#1f5f8b",
    "loaded": "#7fb77e",
    "reconciled": "#e0a030",
}


def render_html(ws: Workspace, mid: str) -> str:
    """The report as one self-contained HTML document (inline CSS and SVG, no external link)."""
    facts = collect(ws, mid)
    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    env.filters["when"] = when
    env.filters["n"] = lambda v: "—" if v is None else f"{v:,}"
    env.filters["short"] = lambda h, k=16: f"{h[:k]}…" if isinstance(h, str) and h else "—"
    template = resources.files("ariane.compliance").joinpath("templates/report.html.j2")
    return env.from_string(template.read_text("utf-8")).render(
        f=facts,
        m=facts.manifest,
        scope=scope_text(facts.manifest),
        charts=_charts(facts),
        measures=security_measures(facts),
        headline=_headline(facts),
        files=_files(facts),
    )


def render_pdf(ws: Workspace, mid: str) -> bytes:
    """The same report as PDF (A4), printed by WeasyPrint."""
    import weasyprint  # type: ignore[import-untyped]  # heavy, and only needed for PDF
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    # The document is self-contained: no protocol is allowed, so nothing can be fetched.
    no_fetch = URLFetcher(allowed_protocols=frozenset(), fail_on_errors=False)
    html = weasyprint.HTML(string=render_html(ws, mid), url_fetcher=no_fetch, base_url=None)
    pdf = html.write_pdf()
    assert isinstance(pdf, bytes)
    return pdf


def _headline(f: RunFacts) -> list[tuple[str, str, str, str]]:
    """(label, value, note, tone) for the summary strip at the top."""
    by = {e.entity: e for e in f.counts}

    def moved(name: str) -> tuple[str, str]:
        e = by.get(name)
        value = None if e is None else (e.extracted if e.extracted is not None else e.dry_run)
        return ("—", "") if e is None or value is None else (f"{value:,}", f"of {e.source_rows:,}")

    rec_ok = f.reconcile.get("ok") if f.reconcile else None
    targets = len(f.reconciled_targets)
    return [
        ("state", f.state["state"], f"digest {f.digest[:8]}…", "info"),
        ("patients", *moved("patient"), "info"),
        ("results", *moved("result"), "info"),
        (
            "reconciliation",
            "—" if rec_ok is None else ("balanced" if rec_ok else "FAILED"),
            f"{targets} target(s)" if targets else "",
            _tone(rec_ok),
        ),
        (
            "audit chain",
            "verified" if f.audit.verified else "NOT verified",
            f"{f.audit.report.events} events" if f.audit.report else "",
            _tone(f.audit.verified),
        ),
        (
            "purge",
            "certified" if f.certificate_verified else ("NOT verified" if f.certificate else "—"),
            f"{len(f.certificate['files'])} files" if f.certificate else "not purged",
            _tone(f.certificate_verified),
        ),
    ]


def _tone(ok: bool | None) -> str:
    return "info" if ok is None else ("ok" if ok else "bad")


def _charts(f: RunFacts) -> list[Markup]:
    if not f.counts:
        return []
    names = [e.entity for e in f.counts]
    series = [
        charts.Series("source", tuple(e.source_rows for e in f.counts), STEP_COLORS["source"])
    ]
    for label, values in (
        ("dry run", [e.dry_run for e in f.counts]),
        ("extracted", [e.extracted for e in f.counts]),
        ("reconciled", [e.reconciled for e in f.counts]),
    ):
        if any(v is not None for v in values):
            series.append(charts.Series(label, tuple(v or 0 for v in values), STEP_COLORS[label]))
    targets = sorted({t for e in f.counts for t in e.loaded})
    for i, target in enumerate(targets):
        rows = tuple(e.loaded.get(target) or 0 for e in f.counts)
        kind = target.split(":", 1)[0]
        color = STEP_COLORS["loaded"] if i == 0 else charts.PALETTE[(i + 5) % len(charts.PALETTE)]
        series.append(charts.Series(f"loaded ({kind})", rows, color))
    # Keep reconciled last: the eye reads the steps in order.
    series.sort(key=lambda s: s.name == "reconciled")
    out = [charts.grouped_bars("Rows per entity at each step", names, series)]
    out.append(
        charts.stacked_bars(
            "Source rows: transferred, and left out by reason (each bar scaled to its entity)",
            [
                (e.entity, [("transferred", _moved(e)), *sorted(e.excluded.items())])
                for e in f.counts
            ],
        )
    )
    sensitive = [x for x in f.result_categories if x[0].startswith(c.SENSITIVE_PREFIX)]
    if sensitive:
        # health.result dwarfs the sensitive classes: they get a chart of their own.
        transferred = charts.Series("transferred", tuple(t for _, t, _ in sensitive), "#1f5f8b")
        excluded = charts.Series(
            "excluded by category", tuple(x for _, _, x in sensitive), "#c0504d"
        )
        labels = [k.removeprefix(c.SENSITIVE_PREFIX) for k, _, _ in sensitive]
        title = "Sensitive results (health.sensitive.*) by class"
        out.append(charts.grouped_bars(title, labels, [transferred, excluded]))
    return [Markup(svg) for svg in out]  # noqa: S704 (built by charts.py, every label escaped)


def _moved(e: EntityCounts) -> int:
    value = e.extracted if e.extracted is not None else e.dry_run
    return int(value or 0)


def _files(f: RunFacts) -> list[tuple[str, int, str]]:
    if f.certificate is None:
        return []
    return [(f.rel(x["path"]), x["size"], x["sha256"]) for x in f.certificate.get("files", [])]


def security_measures(f: RunFacts) -> list[tuple[str, str]]:
    """(measure, how it applied to this run), from the run's own records."""
    m = f.manifest
    selected = sum(len(s.fields) for s in m.entities.values())
    out = [
        (
            "Scope enforced at the source",
            f"only the {selected} fields named in the manifest were selected; rows outside its "
            "filters and excluded categories were never fetched; every extracted batch was "
            "checked again against the manifest, a surplus being an error",
        ),
        (
            "Separation of duties",
            f"drafted by {m.author}; approved by "
            + (", ".join(a["by"] for a in f.state.get("approvals", [])) or "nobody yet")
            + ", with a personal Ed25519 signature over the manifest digest; an author cannot "
            "approve their own instruction",
        ),
        (
            "Named accounts",
            "one account per person with roles; password and second factor for controllers, "
            "operators and administrators; every step records the person, OS user and host",
        ),
    ]
    agreement = f.agreement.get("agreement")
    override = f.agreement.get("override")
    out.append(
        (
            "Processing agreement",
            (f"{agreement['document']} on record, checked against GDPR Art. 28: " if agreement
             else "no agreement on record; ")
            + (f"approval allowed by {override['by']}'s signed override" if override
               else "no required element missing" if agreement else "not approvable"),
        )
    )  # fmt: skip
    if m.transforms.pseudonymise:
        out.append(
            (
                "Pseudonymisation",
                f"identifiers of {' and '.join(sorted(m.transforms.pseudonymise))} replaced by "
                "keyed pseudonyms (HMAC-SHA256) under a per-migration secret sealed to the "
                "processor's key and destroyed at purge",
            )
        )
    if f.extract is not None:
        out.append(
            (
                "Encryption in transit and at rest",
                f"each part of package {f.extract['package_id']} encrypted with age (X25519) to "
                f"the recipient's key {m.recipient.key[:12]}…, in memory: no part was written "
                "in clear",
            )
        )
        out.append(
            (
                "Integrity",
                f"package index (SHA-256 {f.extract['index_sha256'][:16]}…) signed with Ed25519 "
                f"by {m.processor.signing_key}; the recipient verified signature, hashes, manifest "
                "digest and approval before loading anything",
            )
        )
    if f.reconcile is not None:
        out.append(
            (
                "Reconciliation",
                "counts and per-field content digests read back from each target and compared "
                "with the signed index: "
                + ("no discrepancy" if f.reconcile.get("ok") else "discrepancies found"),
            )
        )
    out.append(
        (
            "Audit trail",
            "append-only, hash-chained log; each procedure step ends with a checkpoint signed "
            "by the person who acted",
        )
    )
    purge = (
        f"package, migration secret and {len(f.certificate.get('keys_destroyed', []))} key(s) "
        f"destroyed on {when(f.certificate['destroyed_at'])} (deadline {m.delete_by})"
        if f.certificate
        else f"every copy to be destroyed by {m.delete_by}; not purged yet"
    )
    out.append(("Deletion", purge))
    return out
