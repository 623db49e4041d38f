"""End to end in headless Chromium (Debian's, driven by Playwright; no browser download).

A controller signs in with a TOTP code, reviews the dry run and approves; the operator extracts
through the CLI; the auditor sees the run and a verified chain. The app runs under uvicorn in a
thread on 127.0.0.1 (plain HTTP on loopback, as `ariane serve` without a certificate: cookies
are HttpOnly and SameSite=Strict but not Secure there; Secure is tested in test_web_security).
Screenshots go to $ARIANE_SCREENSHOTS (default /tmp/ariane-web-screenshots).
"""

from __future__ import annotations

import os
import pathlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from typer.testing import CliRunner
from web_support import Clock, submit_for_review, totp_now

from ariane.cli import common as cli_common
from ariane.cli import main as cli_main
from ariane.connectors.targets import open_target
from ariane.demo.run import RECIPIENT_KEY, SENDER_KEY
from ariane.engine import procedure
from ariane.web.app import create_app
from ariane.web.context import WebConfig
from flows import (
    AUDITOR,
    CONTROLLER,
    CTRL,
    OPERATOR,
    PASSWORD,
    RCPT,
    RECIPIENT_PASS,
    SENDER_PASS,
    at,
)

CHROMIUM = pathlib.Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
SHOTS = pathlib.Path(os.environ.get("ARIANE_SCREENSHOTS", "/tmp/ariane-web-screenshots"))


def _playwright():  # type: ignore[no-untyped-def]
    """Playwright and the system Chromium; missing is a failure in CI, a skip elsewhere."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        missing = f"playwright is not installed ({e})"
    else:
        if CHROMIUM.exists():
            return sync_playwright
        missing = f"{CHROMIUM} is missing (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run in CI: {missing}", pytrace=False)
    pytest.skip(missing)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(ws, clock) -> Iterator[str]:
    port = _free_port()
    config = WebConfig(ws, allowed_hosts=("127.0.0.1",), clock=clock.now)
    srv = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            proxy_headers=False,
            access_log=False,
            lifespan="off",
        )
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


def sign_in(page, base: str, ws, clock: Clock, name: str, shot: str | None = None) -> None:
    clock.advance(31)  # a fresh TOTP step
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=totp]", totp_now(ws, name, clock.now()) or "")
    if shot:
        page.screenshot(path=str(SHOTS / shot), full_page=True)
    page.click("button[type=submit]")


def cli(ws, clock: Clock, home: pathlib.Path, *args: str, monkeypatch) -> str:
    """The real CLI commands, in process, on the test's clock."""
    monkeypatch.setattr(cli_common, "now", clock.now)
    monkeypatch.setattr(cli_main, "_now", clock.now)
    env = {
        "ARIANE_HOME": str(home), "ARIANE_PASSWORD": PASSWORD,
        "ARIANE_PASSPHRASE": SENDER_PASS, "COLUMNS": "160",
    }  # fmt: skip
    result = CliRunner().invoke(cli_main.app, [*args, "--workspace", str(ws.root)], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def finish(ws, mid: str, tmp_path: pathlib.Path, clock: Clock) -> None:
    """Load, reconcile (the recipient) and purge (the controller), through the library."""
    package = pathlib.Path(ws.state(mid)["package"])
    target, sender = f"sqlite:{tmp_path / 'target.db'}", ws.keys.public(SENDER_KEY)
    procedure.load(
        ws, package, open_target(target), RCPT, RECIPIENT_KEY, RECIPIENT_PASS, sender,
        clock.advance(60),
    )  # fmt: skip
    procedure.reconcile(ws, package, open_target(target), RCPT, sender, clock.advance(60))
    procedure.purge(ws, mid, CTRL, PASSWORD, clock.advance(60))


def test_controller_approves_operator_extracts_auditor_verifies(
    ws, clock, server, tmp_path, lab, monkeypatch
):
    sync_playwright = _playwright()
    SHOTS.mkdir(parents=True, exist_ok=True)
    mid = submit_for_review(ws, tmp_path, lab)
    clock.t = at(30)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            # The controller: sign in with a TOTP code, review the dry run, approve.
            page = chromium.new_context(viewport={"width": 1200, "height": 900}).new_page()
            page.goto(f"{server}/login")  # first a mistyped code: refused, and an alert
            page.fill("input[name=name]", CONTROLLER)
            page.fill("input[name=password]", PASSWORD)
            page.fill("input[name=totp]", "000000")
            page.click("button[type=submit]")
            assert "Sign-in failed" in page.locator(".error").inner_text()
            sign_in(page, server, ws, clock, CONTROLLER, "01-login.png")
            page.wait_for_url(f"{server}/manifests")
            page.locator(f"a[href='/manifests/{mid}']").wait_for()
            page.screenshot(path=str(SHOTS / "02-waiting.png"), full_page=True)
            page.click(f"a[href='/manifests/{mid}']")
            page.wait_for_url(f"{server}/manifests/{mid}")  # clicks do not wait for navigation
            page.locator("#scope").get_by_text("Patients with at least one").wait_for()
            assert page.locator("#dry-run svg.chart").count() == 2
            assert "every required element" in page.locator("#agreement").inner_text()
            page.screenshot(path=str(SHOTS / "03-manifest-review.png"), full_page=True)
            page.locator("#dry-run").screenshot(path=str(SHOTS / "03b-dry-run.png"))
            page.fill("#approve-form input[name=password]", PASSWORD)
            page.click("#approve-form button[type=submit]")
            page.wait_for_url(f"**/manifests/{mid}?m=approved")
            assert "Approved" in page.locator(".notice").first.inner_text()
            assert ws.state(mid)["state"] == "approved"
            approval = [e for e in ws.audit.events() if e.action == "manifest.approve"][-1]
            assert (approval.who, approval.os_user, approval.host) == (
                CONTROLLER,
                "web",
                "127.0.0.1",
            )

            # The operator extracts through the CLI, as they would in a terminal.
            clock.advance(60)
            home = tmp_path / "home-operator"
            code = totp_now(ws, OPERATOR, clock.now())
            cli(ws, clock, home, "login", OPERATOR, "--totp", code, monkeypatch=monkeypatch)
            out = cli(
                ws, clock, home, "extract", mid, "--source", str(lab), monkeypatch=monkeypatch
            )
            assert "sealed package" in out
            assert ws.state(mid)["state"] == "extracted"

            # The controller's page follows the run.
            page.goto(f"{server}/runs/{mid}")
            assert "extracted and sealed" in page.locator("#steps").inner_text()
            page.screenshot(path=str(SHOTS / "04-run.png"), full_page=True)

            # The auditor: the run, and the audit log with a verified chain.
            auditor = chromium.new_context(viewport={"width": 1200, "height": 900}).new_page()
            sign_in(auditor, server, ws, clock, AUDITOR)
            auditor.wait_for_url(f"{server}/runs")
            auditor.screenshot(path=str(SHOTS / "05a-runs.png"), full_page=True)
            auditor.click(f"a[href='/runs/{mid}']")
            auditor.wait_for_url(f"{server}/runs/{mid}")
            steps = auditor.locator("#steps").inner_text()
            assert "approved (signed)" in steps and CONTROLLER in steps
            auditor.click("nav a[href='/audit']")
            auditor.wait_for_url(f"{server}/audit")
            verdict = auditor.locator("#verification").inner_text()
            assert "Chain verified" in verdict
            assert "refused-command" in auditor.locator("#alerts").inner_text()
            events = auditor.locator("#events").inner_text()
            assert "manifest.approve" in events and "extract" in events
            auditor.screenshot(path=str(SHOTS / "05-audit.png"), full_page=True)
            auditor.goto(f"{server}/runs/{mid}/report")
            frame = auditor.frame_locator("iframe.report")
            assert mid in frame.locator("body").inner_text()
            auditor.screenshot(path=str(SHOTS / "06-report.png"), full_page=False)

            # The rest of the procedure (library), then the run as the auditor reads it at the end.
            finish(ws, mid, tmp_path, clock)
            auditor.goto(f"{server}/runs/{mid}")
            assert "the target holds exactly what was sent" in auditor.inner_text("#reconciliation")
            assert "Certificate digest" in auditor.inner_text("#certificate")
            auditor.screenshot(path=str(SHOTS / "07-run-purged.png"), full_page=True)
        finally:
            chromium.close()
