"""Sign-in plumbing of the web console: cookies, CSRF tokens, per-IP throttling, the client's place.

Sessions are the workspace's own (`accounts.session`): a browser session is bound to the OS user
"web" and to the client's IP address as its host, so a session cookie replayed from another
address is refused as misuse, and the 30-minute sliding expiry (8 hours at most) is the store's.
The cookie holds the session token; the store keeps only its hash.

CSRF: every form of a signed-in page carries a token derived from the session token (which the
page's scripts cannot read: HttpOnly), so it dies with the session. The sign-in form, before any
session exists, uses a double-submit token: a random value in a cookie and in the form.
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import ipaddress
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from ariane.crypto.digest import sha256_hex
from ariane.crypto.sealing_key import random_secret
from ariane.engine.actor import Actor

WEB_OS_USER = "web"
CSRF_FIELD = "csrf"
_HOST = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@$:+-]{0,127}$")  # the audit log's host form


@dataclass(frozen=True)
class CookieNames:
    session: str
    login_csrf: str


def cookie_names(secure: bool) -> CookieNames:
    # The __Host- prefix (HTTPS only) makes the browser refuse a cookie set by a sibling domain
    # or for another path: nobody can plant a session or a CSRF value for us.
    prefix = "__Host-" if secure else ""
    return CookieNames(f"{prefix}ariane_session", f"{prefix}ariane_login_csrf")


def set_cookie(response: Response, name: str, value: str, secure: bool) -> None:
    """HttpOnly, SameSite=Strict, whole site; Secure when served over TLS. No Max-Age: the
    browser forgets it when closed, and the server enforces the session's expiry anyway."""
    response.set_cookie(name, value, path="/", secure=secure, httponly=True, samesite="strict")


def clear_cookie(response: Response, name: str, secure: bool) -> None:
    response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="strict")


def session_csrf(token: str) -> str:
    """The CSRF token of a session: only the holder of the session token can compute it."""
    return sha256_hex(b"ariane.web.csrf/1\x00" + token.encode("utf-8"))


def new_login_csrf(randbytes: Callable[[int], bytes]) -> str:
    return base64.urlsafe_b64encode(random_secret(32, randbytes)).decode("ascii").rstrip("=")


def same_token(given: object, expected: str) -> bool:
    """Constant-time comparison; anything but a non-empty string is a mismatch."""
    if not isinstance(given, str) or not given or not expected or not given.isascii():
        return False
    return secrets.compare_digest(given.encode("ascii"), expected.encode("ascii"))


def client_host(request: Request) -> str:
    """The client's address as the audit log can hold it (IPv6 exploded, so it starts with a
    hex digit). The socket peer only: forwarded headers are not trusted (no proxy in front)."""
    raw = request.client.host if request.client is not None else ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw if _HOST.fullmatch(raw) else "unknown"
    return address.exploded if address.version == 6 else str(address)


def place_of(request: Request) -> Actor:
    """Where a request comes from, before we know who sent it."""
    return Actor("-", WEB_OS_USER, client_host(request))


class Throttle:
    """Failed sign-ins per client address in a sliding window; past `limit`, sign-in from that
    address is refused until the oldest failure leaves the window.

    This is on top of the account lockout (accounts.auth: 5 failures lock the account), which
    protects one account; this protects against one address trying many accounts. A success
    does not clear the address's failures: they simply age out. In memory, per server process.
    """

    MAX_ADDRESSES = 10_000  # bound the memory an address-rotating client can make us hold

    def __init__(self, limit: int = 5, window: dt.timedelta = dt.timedelta(minutes=15)) -> None:
        self.limit = limit
        self.window = window
        self._failures: collections.OrderedDict[str, collections.deque[dt.datetime]] = (
            collections.OrderedDict()
        )
        self._lock = threading.Lock()

    def _recent(self, host: str, now: dt.datetime) -> collections.deque[dt.datetime]:
        times = self._failures.get(host, collections.deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def retry_after(self, host: str, now: dt.datetime) -> int | None:
        """Seconds until `host` may try again, or None when it may now."""
        with self._lock:
            times = self._recent(host, now)
            if len(times) < self.limit:
                return None
            return max(1, int((times[0] + self.window - now).total_seconds()) + 1)

    def failed(self, host: str, now: dt.datetime) -> None:
        with self._lock:
            times = self._recent(host, now)
            times.append(now)
            self._failures[host] = times
            self._failures.move_to_end(host)
            while len(self._failures) > self.MAX_ADDRESSES:
                self._failures.popitem(last=False)
