"""Helpers of the web console tests: a clock the tests move, TOTP codes, a manifest ready for a
decision, and a Starlette test client that signs people in.

(Not in conftest.py: other test folders have a conftest module too, and `from conftest import`
would pick whichever was imported last.)"""

from __future__ import annotations

import datetime as dt
import pathlib
import re
import sys

from starlette.testclient import TestClient

TESTS = pathlib.Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from ariane.accounts import vault  # noqa: E402
from ariane.compliance.draft import draft_annex  # noqa: E402
from ariane.engine import procedure  # noqa: E402
from ariane.engine.agreement import register_agreement  # noqa: E402
from ariane.engine.workspace import Workspace  # noqa: E402
from ariane.web.app import create_app  # noqa: E402
from ariane.web.auth import Throttle  # noqa: E402
from ariane.web.context import WebConfig  # noqa: E402
from flows import (  # noqa: E402
    CTRL,
    OP,
    PASSWORD,
    at,
    write_manifest,
)


class Clock:
    """The server's and the library's time: starts at the test day's 10:00 and only moves when a
    test says so (a TOTP code is accepted once per 30-second step, so sign-ins move it)."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.t = start or at(0)

    def now(self) -> dt.datetime:
        return self.t

    def advance(self, seconds: float) -> dt.datetime:
        self.t += dt.timedelta(seconds=seconds)
        return self.t


def totp_seed(ws: Workspace, name: str, password: str = PASSWORD) -> str:
    """The person's authenticator seed, opened with their password (what their phone holds)."""
    account = ws.accounts.get(name)
    assert account.kdf is not None and account.totp is not None
    u = vault.unsealer(name, account.kdf, password)
    return vault.open_secret(u, vault.TOTP_SEED, account.totp.sealed_seed).decode("ascii")


def totp_now(ws: Workspace, name: str, when: dt.datetime) -> str | None:
    from ariane.accounts import totp

    if not ws.accounts.get(name).second_factor:
        return None
    return totp.code_at(totp_seed(ws, name), when)


def submit_for_review(ws: Workspace, tmp: pathlib.Path, lab: pathlib.Path, mid: str = "T-1") -> str:
    """Submitted by the operator, dry-run counted, agreement registered: ready for a decision."""
    path = tmp / f"{mid}.yaml"
    write_manifest(ws, path, mid)
    procedure.submit(ws, path, OP, at(1))
    procedure.dry_run(ws, mid, str(lab), CTRL, at(2))
    annex = tmp / f"{mid}-annex.md"
    annex.write_text(draft_annex(ws.manifest(mid), "en"))
    register_agreement(ws, mid, annex, OP, at(3))
    return mid


class Browser:
    """A TestClient with sign-in helpers; `secure` serves as if over TLS (https://testserver)."""

    def __init__(
        self,
        ws: Workspace,
        clock: Clock,
        secure: bool = False,
        throttle: Throttle | None = None,
        address: str = "testclient",
    ):
        self.ws, self.clock = ws, clock
        self.config = WebConfig(
            ws,
            secure=secure,
            allowed_hosts=("testserver",),
            clock=clock.now,
            throttle=throttle or Throttle(),
        )
        base = "https://testserver" if secure else "http://testserver"
        self.app = create_app(self.config)
        self.client = TestClient(
            self.app, base_url=base, follow_redirects=False, client=(address, 50000)
        )

    def elsewhere(self, address: str) -> TestClient:
        """Another client of the same server, from another address."""
        return TestClient(
            self.app,
            base_url=str(self.client.base_url),
            follow_redirects=False,
            client=(address, 50001),
        )

    def login_csrf(self) -> str:
        page = self.client.get("/login")
        assert page.status_code == 200
        return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)

    def sign_in(self, name: str, password: str = PASSWORD, code: str | None = "auto"):
        self.clock.advance(31)  # a new TOTP step: each code is accepted once
        csrf = self.login_csrf()
        if code == "auto":
            code = totp_now(self.ws, name, self.clock.now()) or ""
        return self.client.post(
            "/login", data={"csrf": csrf, "name": name, "password": password, "totp": code or ""}
        )

    def csrf(self, path: str = "/account") -> str:
        page = self.client.get(path)
        return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)

    def post(self, path: str, data: dict[str, str], csrf: bool = True):
        form = dict(data)
        if csrf:
            form["csrf"] = self.csrf()
        return self.client.post(path, data=form)
