"""The console's refusals: CSRF, replayed/expired/misplaced sessions, roles, the party rule,
throttling, cookies and headers. Each refusal must also be in the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from web_support import Browser, submit_for_review

from ariane.engine import procedure
from ariane.web.auth import Throttle
from flows import ADMIN_NAME, AUDITOR, CONTROLLER, OP, OPERATOR, PASSWORD, RECIPIENT, SENDER_PASS


def events(ws, **match):
    return [e for e in ws.audit.events() if all(getattr(e, k) == v for k, v in match.items())]


@pytest.fixture
def review(ws, tmp_path, lab):
    return submit_for_review(ws, tmp_path, lab)


def test_form_without_csrf_token_is_refused_and_audited(ws, review, browser):
    b: Browser = browser()
    assert b.sign_in(CONTROLLER).status_code == 303
    for data in ({"password": PASSWORD}, {"password": PASSWORD, "csrf": "forged"}):
        r = b.post(f"/manifests/{review}/approve", data, csrf=False)
        assert r.status_code == 403
        assert "security token" in r.text
    refused = events(ws, action="web.csrf", outcome="refused", who=CONTROLLER)
    assert len(refused) == 2 and all(e.alert == "refused-command" for e in refused)
    assert ws.state(review)["state"] == "draft"  # nothing happened
    # The sign-in form too: a token in the form that is not the one in the cookie.
    b.login_csrf()
    r = b.client.post("/login", data={"csrf": "x", "name": CONTROLLER, "password": PASSWORD})
    assert r.status_code == 403
    assert events(ws, action="web.csrf", who="-")


def test_replayed_session_after_sign_out_is_refused_and_audited(ws, review, browser):
    b: Browser = browser()
    b.sign_in(CONTROLLER)
    token = b.client.cookies["ariane_session"]
    csrf = b.csrf()
    r = b.client.post("/logout", data={"csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/login?m=signed-out"
    assert events(ws, action="logout", who=CONTROLLER)
    b.client.cookies.set("ariane_session", token)  # the old cookie, replayed
    before = len(events(ws, action="session", outcome="refused"))
    r = b.client.get(f"/manifests/{review}")
    assert r.status_code == 303 and r.headers["location"] == "/login?m=expired"
    b.client.cookies.set("ariane_session", token)
    r = b.client.post(f"/manifests/{review}/approve", data={"csrf": csrf, "password": PASSWORD})
    assert r.status_code == 403
    assert len(events(ws, action="session", outcome="refused")) == before + 2
    assert ws.state(review)["state"] == "draft"


def test_expired_session_is_refused_and_audited(ws, review, browser, clock):
    b: Browser = browser()
    b.sign_in(CONTROLLER)
    assert b.client.get("/manifests").status_code == 200
    clock.advance(29 * 60)  # activity slides the 30-minute expiry
    assert b.client.get("/manifests").status_code == 200
    clock.advance(31 * 60)
    r = b.client.get("/manifests")
    assert r.status_code == 303 and r.headers["location"] == "/login?m=expired"
    assert events(ws, action="session", outcome="refused", os_user="web")


def test_session_cookie_from_another_address_is_refused(ws, review, browser):
    b: Browser = browser(address="192.0.2.10")
    b.sign_in(CONTROLLER)
    assert b.client.get("/manifests").status_code == 200
    thief = b.elsewhere("2001:db8::66")
    thief.cookies.set("ariane_session", b.client.cookies["ariane_session"])
    r = thief.get("/manifests")
    assert r.status_code == 303
    misuse = events(ws, action="session", alert="session-misuse")
    assert misuse and misuse[-1].host == "2001:0db8:0000:0000:0000:0000:0000:0066"


def test_recipient_posting_an_approval_is_refused_and_audited(ws, review, browser):
    b: Browser = browser()
    assert b.sign_in(RECIPIENT, code=None).status_code == 303
    r = b.post(f"/manifests/{review}/approve", {"password": PASSWORD})
    assert r.status_code == 403
    refused = events(ws, action="manifest.approve", who=RECIPIENT, outcome="refused")
    assert len(refused) == 1 and refused[0].manifest == review and refused[0].host == "testclient"
    assert ws.state(review)["state"] == "draft"
    # Nor can they read the draft: it is not shared with recipients before extraction.
    assert b.client.get(f"/manifests/{review}").status_code == 403
    assert b.client.get(f"/runs/{review}").status_code == 403
    assert events(ws, action="web.run", who=RECIPIENT, outcome="refused")


def test_auditor_can_only_read(ws, review, browser):
    b: Browser = browser()
    assert b.sign_in(AUDITOR, code=None).status_code == 303
    for path, data in (
        (f"/manifests/{review}/approve", {"password": PASSWORD}),
        (f"/manifests/{review}/reject", {"reason": "an auditor trying to decide"}),
    ):
        assert b.post(path, data).status_code == 403
    assert events(ws, who=AUDITOR, action="manifest.approve", outcome="refused")
    assert events(ws, who=AUDITOR, action="manifest.reject", outcome="refused")
    assert ws.state(review)["state"] == "draft"
    page = b.client.get(f"/runs/{review}")
    assert page.status_code == 200 and '<form method="post" action="/manifests' not in page.text
    assert b.client.get("/audit").status_code == 200
    assert events(ws, who=AUDITOR, action="audit.show", outcome="ok")


def test_recipient_sees_a_run_only_once_sealed(ws, review, browser, lab, clock):
    b: Browser = browser()
    b.sign_in(RECIPIENT, code=None)
    assert review not in b.client.get("/runs").text
    for path in (f"/runs/{review}", f"/runs/{review}/report", f"/runs/{review}/report.pdf"):
        assert b.client.get(path).status_code == 403
    procedure.approve(ws, review, __import__("flows").CTRL, PASSWORD, clock.advance(60))
    procedure.extract(ws, review, str(lab), OP, SENDER_PASS, clock.advance(60))
    assert f'href="/runs/{review}"' in b.client.get("/runs").text
    assert b.client.get(f"/runs/{review}").status_code == 200


def test_admin_sees_no_data(ws, review, browser):
    b: Browser = browser()
    b.sign_in(ADMIN_NAME)
    assert b.client.get("/").headers["location"] == "/account"
    for path in ("/manifests", f"/manifests/{review}", "/runs", f"/runs/{review}"):
        assert b.client.get(path).status_code == 403, path
    assert events(ws, who=ADMIN_NAME, action="web.runs", outcome="refused")


def test_sign_in_is_throttled_per_address(ws, browser, clock):
    b: Browser = browser(throttle=Throttle(limit=3, window=dt.timedelta(minutes=15)))
    for name in ("nobody.here", "not-a-name!", OPERATOR):
        r = b.sign_in(name, password="wrong password, wrong", code="000000")
        assert r.status_code == 401 and "Sign-in failed" in r.text
    r = b.sign_in(CONTROLLER)  # right credentials, but this address is throttled
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    throttled = events(ws, action="login", outcome="refused", alert="failed-logins")
    assert throttled and throttled[-1].details["reason"] == "throttled"
    # Another address is not affected; this one may try again once the window has passed.
    other: Browser = browser(address="198.51.100.7")
    assert other.sign_in(CONTROLLER).status_code == 303
    clock.advance(16 * 60)
    assert b.sign_in(AUDITOR, code=None).status_code == 303
    # One session per account: the controller is signed in from the other address.
    assert b.sign_in(CONTROLLER).status_code == 409


def test_cookies_and_headers(ws, browser):
    plain: Browser = browser()
    r = plain.sign_in(AUDITOR, code=None)
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("ariane_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    page = plain.client.get("/runs")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in page.headers

    tls: Browser = browser(secure=True)
    r = tls.sign_in(RECIPIENT, code=None)
    cookie = next(c for c in r.headers.get_list("set-cookie") if "ariane_session=" in c)
    assert cookie.startswith("__Host-ariane_session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "strict-transport-security" in tls.client.get("/runs").headers


def test_unknown_host_header_and_oversized_body_are_refused(browser):
    b: Browser = browser()
    assert b.client.get("/login", headers={"host": "attacker.example"}).status_code == 400
    big = {"csrf": "x", "name": "a" * 70_000}
    assert b.client.post("/login", data=big).status_code == 413
