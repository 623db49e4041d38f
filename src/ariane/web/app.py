"""The Starlette application: routes, security headers, host check, body limit, error pages.

Routes and roles are listed in `access`; sign-in in `signin`; manifests in `pages`; runs and
reports in `runs`; the audit log in `audit_page`.
"""

from __future__ import annotations

import pathlib

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ariane.web import audit_page, pages, runs, signin
from ariane.web.auth import clear_cookie
from ariane.web.context import NeedSignIn, Refused, WebConfig, config_of
from ariane.web.render import page

STATIC = pathlib.Path(__file__).parent / "static"
MAX_BODY = 64 * 1024  # forms only: a name, a password, a code, a reason
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class SecurityHeaders:
    """Headers on every response; a route may set its own policy and framing (the report)."""

    def __init__(self, app: ASGIApp, secure: bool) -> None:
        self.app, self.secure = app, secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                wanted = {
                    b"content-security-policy": PAGE_POLICY.encode(),
                    b"x-frame-options": b"DENY",
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"no-referrer",
                    b"cross-origin-opener-policy": b"same-origin",
                    b"cross-origin-resource-policy": b"same-origin",
                    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
                    # Pages hold governance records: no copy in any cache or history.
                    b"cache-control": b"max-age=3600" if static else b"no-store",
                }
                if self.secure:
                    wanted[b"strict-transport-security"] = b"max-age=31536000"
                headers += [(k, v) for k, v in wanted.items() if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """Refuse request bodies over MAX_BODY, or of unknown length, before anything reads them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD"):
            length = dict(scope["headers"]).get(b"content-length")
            if length is None or not length.isdigit() or int(length) > MAX_BODY:
                status = 411 if length is None else 413
                await PlainTextResponse("request body refused", status)(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return page(request, "message.html", None, exc.status, exc.headers, message=exc.message)


async def _need_sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NeedSignIn)
    config = config_of(request)
    response: Response
    if request.method in ("GET", "HEAD"):
        response = RedirectResponse("/login?m=expired" if exc.had_cookie else "/login", 303)
    else:
        text = "Your session has ended or is not valid here: sign in again."
        response = page(request, "message.html", None, 403, message=text)
    if exc.had_cookie:
        clear_cookie(response, config.cookies.session, config.secure)
    return response


async def _not_found(request: Request, exc: Exception) -> Response:
    return page(request, "message.html", None, 404, message="There is no such page.")


ROUTES = [
    Route("/", signin.home),
    Route("/login", signin.login_page, methods=["GET"]),
    Route("/login", signin.login, methods=["POST"]),
    Route("/logout", signin.logout, methods=["POST"]),
    Route("/account", signin.account),
    Route("/manifests", pages.manifests),
    Route("/manifests/{mid}", pages.manifest),
    Route("/manifests/{mid}/approve", pages.approve, methods=["POST"]),
    Route("/manifests/{mid}/reject", pages.reject, methods=["POST"]),
    Route("/runs", runs.runs),
    Route("/runs/{mid}", runs.run),
    Route("/runs/{mid}/report", runs.report_page),
    Route("/runs/{mid}/report.html", runs.report_html),
    Route("/runs/{mid}/report.pdf", runs.report_pdf),
    Route("/audit", audit_page.audit),
    Mount("/static", StaticFiles(directory=STATIC), name="static"),
]


def create_app(config: WebConfig) -> Starlette:
    app = Starlette(
        routes=ROUTES,
        middleware=[
            Middleware(SecurityHeaders, secure=config.secure),
            Middleware(TrustedHostMiddleware, allowed_hosts=list(config.allowed_hosts)),
            Middleware(BodyLimit),
        ],
        exception_handlers={Refused: _refused, NeedSignIn: _need_sign_in, 404: _not_found},
    )
    app.state.config = config
    return app
