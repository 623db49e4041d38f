"""Runs: the state of each step, counts, reconciliation, purge certificate; the procedure report.

A run is a manifest's migration, from submission to purge. The report is
`compliance.report.render_html` / `render_pdf`, as `ariane report` writes it: the HTML is served
on its own URL under a strict policy of its own and shown in a sandboxed frame; the PDF is a
download, and each download is an audit event (evidence leaving the console).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ariane.compliance import report
from ariane.engine.actor import audited
from ariane.errors import ArianeError
from ariane.web.access import (
    READ_RUNS,
    allow,
    allow_run,
    find_migration,
    manifest_id,
    may_see_run,
    visitor,
)
from ariane.web.charts import category_chart, partition_chart
from ariane.web.context import Refused, config_of
from ariane.web.records import load_migration, migration_ids
from ariane.web.render import page
from ariane.web.scope import describe_scope

# The report is self-contained (inline CSS and SVG): it may style itself, nothing else, and it
# is shown only inside our own page.
REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox"
)


async def runs(request: Request) -> Response:
    me = visitor(request)
    allow(request, me, "web.runs", READ_RUNS)
    ws = config_of(request).workspace
    rows = [m for m in (load_migration(ws, mid) for mid in migration_ids(ws))]
    return page(request, "runs.html", me, runs=[m for m in rows if may_see_run(me, m.status)])


async def run(request: Request) -> Response:
    me = visitor(request)
    mid = manifest_id(request)
    m = find_migration(request, mid)
    allow_run(request, me, "web.run", mid, m.status)
    counts = (m.reports.get("extract") or m.reports.get("dry-run") or {}).get("counts")
    return page(
        request,
        "run.html",
        me,
        m=m,
        scope=describe_scope(m.manifest),
        counts=counts,
        chart=partition_chart(counts) if counts else None,
        categories=category_chart(counts) if counts else None,
    )


async def report_page(request: Request) -> Response:
    me = visitor(request)
    mid = manifest_id(request)
    m = find_migration(request, mid)
    allow_run(request, me, "web.report", mid, m.status)
    return page(request, "report.html", me, m=m)


async def report_html(request: Request) -> Response:
    me = visitor(request)
    mid = manifest_id(request)
    m = find_migration(request, mid)
    allow_run(request, me, "web.report", mid, m.status)
    try:
        html = await run_in_threadpool(report.render_html, config_of(request).workspace, mid)
    except (ArianeError, ImportError, OSError) as e:
        message = e.message if isinstance(e, ArianeError) else "the report could not be rendered"
        raise Refused(503, message) from None
    headers = {"Content-Security-Policy": REPORT_POLICY, "X-Frame-Options": "SAMEORIGIN"}
    return HTMLResponse(html, headers=headers)


async def report_pdf(request: Request) -> Response:
    me = visitor(request)
    mid = manifest_id(request)
    m = find_migration(request, mid)
    allow_run(request, me, "web.report", mid, m.status)
    config = config_of(request)

    def render() -> bytes:
        with audited(config.workspace, me.actor, "report.download", config.clock(), mid) as ev:
            pdf = report.render_pdf(config.workspace, mid)
            ev.details = {"format": "pdf", "bytes": len(pdf)}
            return pdf

    try:
        pdf = await run_in_threadpool(render)
    except (ArianeError, ImportError, OSError) as e:
        message = e.message if isinstance(e, ArianeError) else "the report could not be rendered"
        raise Refused(503, message) from None
    disposition = f'attachment; filename="ariane-report-{mid}.pdf"'
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})
