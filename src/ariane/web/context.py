"""What every page shares: the server's configuration, the person signed in, and refusals."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import Request

from ariane.engine.actor import Actor
from ariane.engine.workspace import Workspace
from ariane.web.auth import CookieNames, Throttle, cookie_names


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class WebConfig:
    workspace: Workspace
    # Served over TLS: cookies get Secure and the __Host- prefix, and HSTS is sent.
    secure: bool = False
    # Host headers accepted (DNS rebinding: a page on another name resolved to 127.0.0.1).
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
    clock: Callable[[], dt.datetime] = utc_now
    randbytes: Callable[[int], bytes] = os.urandom
    throttle: Throttle = field(default_factory=Throttle)

    @property
    def cookies(self) -> CookieNames:
        return cookie_names(self.secure)


@dataclass(frozen=True)
class Visitor:
    """The person behind a valid session, with the roles they hold now."""

    actor: Actor
    full_name: str
    roles: frozenset[str]
    token: str
    csrf: str

    @property
    def name(self) -> str:
        return self.actor.name

    def holds(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


class NeedSignIn(Exception):
    """No valid session: a page sends the browser to the sign-in form, a form post is refused."""

    def __init__(self, had_cookie: bool) -> None:
        super().__init__("sign in first")
        self.had_cookie = had_cookie


class Refused(Exception):
    """A request refused with an HTTP status and a message fit for the page (no values)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def config_of(request: Request) -> WebConfig:
    config: WebConfig = request.app.state.config
    return config
