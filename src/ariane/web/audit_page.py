"""The audit log: chain verification and alerts first, then the events, filterable.

Reading it is itself an event ("audit.show", as `ariane audit show` records it).
"""

from __future__ import annotations

import datetime as dt

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ariane.audit import Event, VerifyReport
from ariane.engine.actor import audited, require_role
from ariane.errors import ArianeError, PolicyError
from ariane.web.access import READ_AUDIT, visitor
from ariane.web.context import Refused, config_of
from ariane.web.render import page

MAX_ROWS = 500
MAX_ALERTS = 50
FILTERS = ("who", "manifest", "action", "since", "until", "outcome")


def _day(text: str, name: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
    except ValueError:
        raise Refused(400, f"{name} must be a date YYYY-MM-DD") from None


async def audit(request: Request) -> Response:
    me = visitor(request)
    config = config_of(request)
    ws = config.workspace
    q = {k: str(request.query_params.get(k, ""))[:64].strip() for k in FILTERS}
    try:
        with audited(ws, me.actor, "audit.show", config.clock()) as ev:
            require_role(ws, me.actor, READ_AUDIT, config.clock())
            ev.details = {"filters": sorted(k for k, v in q.items() if v)}
    except PolicyError as e:
        raise Refused(403, e.message) from None

    def read() -> tuple[VerifyReport | None, str | None, list[Event], list[Event], int]:
        try:
            verified, broken = ws.audit.verify(ws.trusted_keys()), None
        except ArianeError as e:
            verified, broken = None, e.message
        found = ws.audit.show(
            who=q["who"] or None, manifest=q["manifest"] or None, action=q["action"] or None,
            since=_day(q["since"], "since"), until=_day(q["until"], "until"),
        )  # fmt: skip
        if q["outcome"]:
            found = [e for e in found if e.outcome == q["outcome"]]
        alerts = list(reversed(ws.audit.alerts()))[:MAX_ALERTS]
        return verified, broken, list(reversed(found))[:MAX_ROWS], alerts, len(found)

    verified, broken, events, alerts, total = await run_in_threadpool(read)
    return page(
        request, "audit.html", me,
        verified=verified, broken=broken, events=events, alerts=alerts, total=total,
        q=q, max_rows=MAX_ROWS,
    )  # fmt: skip
