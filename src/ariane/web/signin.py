"""Sign-in, sign-out, the landing page and "who am I".

Sign-in is `people.login` (password and TOTP, account lockout, audit) from the OS user "web" at
the client's address; on top of it, failed attempts are throttled per address (`auth.Throttle`)
and the form carries a double-submit CSRF token.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ariane.accounts.auth import failure_reason
from ariane.accounts.names import NAME_PATTERN
from ariane.accounts.session import alert_of
from ariane.audit import alerts
from ariane.engine import people
from ariane.errors import ArianeError
from ariane.web import auth
from ariane.web.access import checked_form, text_field, visitor
from ariane.web.context import NeedSignIn, Refused, config_of
from ariane.web.render import page

SIGN_IN_FAILED = (
    "Sign-in failed: check your name, password and authenticator code. "
    "After repeated failures the account is locked for a while."
)


def _login_form(request: Request, status: int = 200, error: str | None = None) -> Response:
    config = config_of(request)
    token = auth.new_login_csrf(config.randbytes)
    response = page(request, "login.html", None, status, csrf=token, error=error)
    auth.set_cookie(response, config.cookies.login_csrf, token, config.secure)
    return response


async def login_page(request: Request) -> Response:
    return _login_form(request)


def _refuse_login(request: Request, reason: str, alert: str) -> None:
    config = config_of(request)
    place = auth.place_of(request)
    config.workspace.audit.append(
        config.clock(), "-", place.os_user, place.host, "login", "refused",
        details={"reason": reason}, alert=alert,
    )  # fmt: skip


async def login(request: Request) -> Response:
    config = config_of(request)
    form = await checked_form(request, None, request.cookies.get(config.cookies.login_csrf))
    host, now = auth.client_host(request), config.clock()
    wait = config.throttle.retry_after(host, now)
    if wait is not None:
        # Not even tried: no password check, no account lockout count, no timing to learn from.
        _refuse_login(request, "throttled", alerts.FAILED_LOGINS)
        raise Refused(
            429,
            "Too many failed sign-ins from your address. Try again later.",
            {"Retry-After": str(wait)},
        )
    name = text_field(form, "name", 64).strip()
    password = text_field(form, "password", 1024)
    code = text_field(form, "totp", 16).strip() or None
    if not NAME_PATTERN.fullmatch(name):
        config.throttle.failed(host, now)
        _refuse_login(request, "unknown", alerts.REFUSED_COMMAND)
        return _login_form(request, 401, SIGN_IN_FAILED)
    try:
        result = await run_in_threadpool(
            people.login, config.workspace, name, password, code, auth.place_of(request), now
        )
    except ArianeError as e:
        if alert_of(e) is not None:  # right credentials, but the account is in use elsewhere
            return _login_form(request, 409, e.message)
        if failure_reason(e) is not None:
            config.throttle.failed(host, now)
        return _login_form(request, 401, SIGN_IN_FAILED)
    response = RedirectResponse("/", status_code=303)
    auth.set_cookie(response, config.cookies.session, result.token, config.secure)
    auth.clear_cookie(response, config.cookies.login_csrf, config.secure)
    return response


async def logout(request: Request) -> Response:
    config = config_of(request)
    response = RedirectResponse("/login?m=signed-out", status_code=303)
    try:
        me = visitor(request)
    except NeedSignIn:
        auth.clear_cookie(response, config.cookies.session, config.secure)
        return response
    await checked_form(request, me, me.csrf)
    people.logout(config.workspace, me.token, auth.place_of(request), config.clock())
    auth.clear_cookie(response, config.cookies.session, config.secure)
    return response


async def home(request: Request) -> Response:
    me = visitor(request)
    if me.holds("controller", "operator"):
        target = "/manifests"
    elif me.holds("recipient", "auditor"):
        target = "/runs"
    else:
        target = "/account"
    return RedirectResponse(target, status_code=303)


async def account(request: Request) -> Response:
    me = visitor(request)
    return page(request, "account.html", me)
