"""Pages rendered with Jinja2 (autoescaped, undefined names are errors) and their small filters."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ariane.web.context import Visitor
from ariane.web.scope import ENTITY_LABELS, category_label

# Notices picked by a fixed code in the URL: nothing the client sends is echoed into a page.
NOTICES = {
    "expired": "Your session has ended. Sign in again.",
    "signed-out": "You are signed out.",
    "approved": "Approved: your signature over the manifest's digest is on record.",
    "rejected": "Rejected: the author has been told why in the manifest's record.",
}


def when(value: object) -> str:
    """An ISO time as 'YYYY-MM-DD HH:MM UTC'; anything else as it is."""
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def num(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def short(value: object) -> str:
    text = str(value or "")
    return text[:12] + "…" if len(text) > 12 else text


def compact(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
    return text if len(text) <= 240 else text[:239] + "…"


_ENV = Environment(
    loader=PackageLoader("ariane.web", "templates"),
    autoescape=select_autoescape(["html"], default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters.update(
    when=when, num=num, short=short, compact=compact, category=category_label,
    entity=lambda n: ENTITY_LABELS.get(str(n), str(n)),
)  # fmt: skip


def page(
    request: Request,
    template: str,
    me: Visitor | None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    notice = NOTICES.get(str(request.query_params.get("m", "")))
    html = _ENV.get_template(template).render(
        me=me, notice=notice, path=request.url.path, **context
    )
    return HTMLResponse(html, status_code=status, headers=headers)
