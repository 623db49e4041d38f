"""Manifests waiting for a decision: the review page, approve (signed) and reject (with a reason).

The decisions are `procedure.approve` and `review.reject`, exactly as the CLI calls them; the
page only checks first, refusing (and auditing) what the person's role does not allow.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ariane.engine import procedure, review
from ariane.errors import ArianeError
from ariane.web.access import (
    DECIDE,
    READ_MANIFESTS,
    allow,
    checked_form,
    find_migration,
    manifest_id,
    text_field,
    visitor,
)
from ariane.web.charts import category_chart, partition_chart
from ariane.web.context import Visitor, config_of
from ariane.web.records import agreement_of, load_migration, migration_ids
from ariane.web.render import page
from ariane.web.scope import describe_scope

STATUS_OF_ERROR = {2: 400, 5: 403, 7: 403}  # usage, policy, key material; else 409


async def manifests(request: Request) -> Response:
    me = visitor(request)
    allow(request, me, "web.manifests", READ_MANIFESTS)
    ws = config_of(request).workspace
    waiting = []
    for mid in migration_ids(ws):
        m = load_migration(ws, mid)
        if m.status == "draft":
            waiting.append((m, agreement_of(ws, mid, m.manifest, m.digest)))
    return page(request, "manifests.html", me, waiting=waiting)


def review_page(
    request: Request, me: Visitor, mid: str, status: int = 200, error: str | None = None
) -> Response:
    ws = config_of(request).workspace
    m = find_migration(request, mid)
    dry = m.reports.get("dry-run")
    counts = dry["counts"] if dry else None
    return page(
        request,
        "manifest.html",
        me,
        status,
        m=m,
        scope=describe_scope(m.manifest),
        dry=dry,
        counts=counts,
        chart=partition_chart(counts) if counts else None,
        categories=category_chart(counts) if counts else None,
        agreement=agreement_of(ws, mid, m.manifest, m.digest),
        may_decide=me.holds(*DECIDE) and m.status == "draft" and m.manifest.author != me.name,
        error=error,
    )


async def manifest(request: Request) -> Response:
    me = visitor(request)
    mid = manifest_id(request)
    allow(request, me, "web.manifest", READ_MANIFESTS, mid)
    return review_page(request, me, mid)


async def _decide(request: Request, action: str, call: Any, field: str, limit: int) -> Response:
    """Shared by approve and reject: session, CSRF, role, then the library call."""
    me = visitor(request)
    mid = manifest_id(request)
    form = await checked_form(request, me, me.csrf)
    allow(request, me, action, DECIDE, mid)
    config = config_of(request)
    value = text_field(form, field, limit)
    try:
        await run_in_threadpool(call, config.workspace, mid, me.actor, value, config.clock())
    except ArianeError as e:
        return review_page(request, me, mid, STATUS_OF_ERROR.get(e.exit_code, 409), e.message)
    done = "approved" if action == "manifest.approve" else "rejected"
    target = f"/manifests/{mid}?m={done}" if done == "approved" else f"/runs/{mid}?m={done}"
    return RedirectResponse(target, status_code=303)


async def approve(request: Request) -> Response:
    # Signing needs the controller's password again: it unlocks their personal signing key.
    return await _decide(request, "manifest.approve", procedure.approve, "password", 1024)


async def reject(request: Request) -> Response:
    return await _decide(request, "manifest.reject", review.reject, "reason", review.REASON_MAX * 2)
