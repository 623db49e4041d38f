"""Sessions: bound to account, OS user and host; expiry; concurrent use; roles; and no secret
in clear in any file the accounts and sessions write."""

from __future__ import annotations

import base64
import datetime as dt
import stat
import urllib.parse
from pathlib import Path

import pytest

from ariane.accounts import totp
from ariane.accounts.auth import change_password, failure_reason, unlock_signing_key
from ariane.accounts.session import MAX_LIFETIME, SessionStore, alert_of, require_role
from ariane.accounts.store import AccountStore
from ariane.crypto.sealing_key import Argon2Cost
from ariane.errors import PolicyError, UsageError

CHEAP = Argon2Cost(time_cost=1, memory_kib=8, parallelism=1)
T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
PW = "Vt9#kq2Lm$x7Rw"
PW_RECIPIENT = "Tg7kP2xq9Lm4Vb#z"


def _seed(uri: str | None) -> str:
    assert uri is not None
    return urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]


@pytest.fixture
def accounts(tmp_path: Path) -> AccountStore:
    return AccountStore(tmp_path / "accounts", cost=CHEAP)


@pytest.fixture
def seed(accounts: AccountStore) -> str:
    return _seed(
        accounts.create("alice.martin", "Alice Martin", ["controller"], PW, T0, "boot").totp_uri
    )


@pytest.fixture
def sessions(tmp_path: Path, accounts: AccountStore) -> SessionStore:
    return SessionStore(tmp_path / "sessions", accounts)


def _login(
    sessions: SessionStore, seed: str, when: dt.datetime, user: str = "alice", host: str = "ws1"
) -> str:
    return sessions.login("alice.martin", PW, totp.code_at(seed, when), user, host, when).token


def test_login_writes_a_private_session_without_the_token(
    sessions: SessionStore, seed: str
) -> None:
    login = sessions.login("alice.martin", PW, totp.code_at(seed, T0), "alice", "ws1", T0)
    s = login.session
    assert (s.account, s.os_user, s.host) == ("alice.martin", "alice", "ws1")
    assert s.expires_at == T0 + dt.timedelta(minutes=30)
    path = sessions.root / "alice.martin.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(sessions.root.stat().st_mode) == 0o700
    assert login.token not in path.read_text() and login.token not in repr(login)
    assert sessions.current(login.token, "alice", "ws1", T0 + dt.timedelta(minutes=29)) == s


def test_login_refused_without_right_factors(sessions: SessionStore, seed: str) -> None:
    with pytest.raises(PolicyError) as err:
        sessions.login("alice.martin", PW, None, "alice", "ws1", T0)
    assert failure_reason(err.value) == "totp"
    assert not (sessions.root / "alice.martin.json").exists()


def test_expired_session_is_refused(sessions: SessionStore, seed: str) -> None:
    token = _login(sessions, seed, T0)
    with pytest.raises(PolicyError, match="expired, log in again"):
        sessions.current(token, "alice", "ws1", T0 + dt.timedelta(minutes=30))


@pytest.mark.parametrize(("user", "host"), [("bob", "ws1"), ("alice", "ws2")])
def test_session_used_from_another_os_user_or_host(
    sessions: SessionStore, seed: str, user: str, host: str
) -> None:
    token = _login(sessions, seed, T0)
    with pytest.raises(PolicyError, match="another OS user or host") as err:
        sessions.current(token, user, host, T0)
    assert alert_of(err.value) == "session-misuse"


def test_unknown_token_is_refused(sessions: SessionStore, seed: str) -> None:
    _login(sessions, seed, T0)
    with pytest.raises(PolicyError, match="log in first"):
        sessions.current("forged-token", "alice", "ws1", T0)
    with pytest.raises(UsageError):
        sessions.logout("forged-token")


def test_concurrent_login_from_another_host_raises_an_alert(
    sessions: SessionStore, seed: str
) -> None:
    token = _login(sessions, seed, T0)
    t1 = T0 + dt.timedelta(minutes=1)
    with pytest.raises(PolicyError, match="already in use") as err:
        _login(sessions, seed, t1, host="ws2")
    assert alert_of(err.value) == "concurrent-use"
    assert err.value.__dict__["other_host"] == "ws1"
    assert sessions.current(token, "alice", "ws1", t1).host == "ws1"  # first one untouched
    # once the first session expired, the other host may log in
    t2 = T0 + dt.timedelta(minutes=31)
    token2 = _login(sessions, seed, t2, host="ws2")
    with pytest.raises(PolicyError):
        sessions.current(token, "alice", "ws1", t2)
    assert sessions.current(token2, "alice", "ws2", t2).host == "ws2"


def test_relogin_from_same_place_replaces_the_session(sessions: SessionStore, seed: str) -> None:
    token = _login(sessions, seed, T0)
    t1 = T0 + dt.timedelta(minutes=1)
    token2 = _login(sessions, seed, t1)
    with pytest.raises(PolicyError, match="log in first"):
        sessions.current(token, "alice", "ws1", t1)
    sessions.current(token2, "alice", "ws1", t1)


def test_touch_slides_expiry_but_not_past_eight_hours(sessions: SessionStore, seed: str) -> None:
    token = _login(sessions, seed, T0)
    t = T0
    for _ in range(19):  # 19 x 25 min: each touch before the previous expiry
        t += dt.timedelta(minutes=25)
        s = sessions.touch(token, "alice", "ws1", t)
        assert s.expires_at <= T0 + MAX_LIFETIME
    assert s.expires_at == T0 + MAX_LIFETIME
    with pytest.raises(PolicyError, match="expired"):
        sessions.touch(token, "alice", "ws1", T0 + MAX_LIFETIME)
    with pytest.raises(UsageError, match="8 hours"):
        sessions.login("alice.martin", PW, None, "alice", "ws1", T0, ttl=dt.timedelta(hours=9))


def test_logout_ends_the_session(sessions: SessionStore, seed: str) -> None:
    token = _login(sessions, seed, T0)
    assert sessions.logout(token).account == "alice.martin"
    assert not (sessions.root / "alice.martin.json").exists()
    with pytest.raises(PolicyError, match="log in first"):
        sessions.current(token, "alice", "ws1", T0)


def test_disabling_an_account_ends_its_session(
    sessions: SessionStore, accounts: AccountStore, seed: str
) -> None:
    token = _login(sessions, seed, T0)
    t1 = T0 + dt.timedelta(minutes=5)
    accounts.disable("alice.martin", t1, "eve.roux")
    with pytest.raises(PolicyError, match="disabled"):
        sessions.current(token, "alice", "ws1", t1)
    with pytest.raises(PolicyError) as err:
        _login(sessions, seed, t1 + dt.timedelta(minutes=1))
    assert failure_reason(err.value) == "disabled"


def test_require_role(sessions: SessionStore, accounts: AccountStore, seed: str) -> None:
    token = _login(sessions, seed, T0)
    session = sessions.current(token, "alice", "ws1", T0)
    require_role(session, accounts, "controller", T0)
    with pytest.raises(PolicyError, match=r"alice\.martin does not hold role operator"):
        require_role(session, accounts, "operator", T0)
    with pytest.raises(UsageError, match="unknown role"):
        require_role(session, accounts, "superuser", T0)
    t1 = T0 + dt.timedelta(minutes=5)
    accounts.set_roles("alice.martin", ["auditor"], t1, "eve.roux")
    with pytest.raises(PolicyError, match="does not hold role controller"):
        require_role(session, accounts, "controller", t1)  # revoked while logged in
    with pytest.raises(PolicyError, match="expired"):
        require_role(session, accounts, "auditor", T0 + dt.timedelta(hours=1))


def _files(*roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("*") if p.is_file()]


def test_no_secret_in_clear_on_disk(
    tmp_path: Path, accounts: AccountStore, sessions: SessionStore
) -> None:
    secrets: list[bytes] = []
    people = [
        ("alice.martin", "Alice Martin", ["controller"], PW),
        ("bob.durand", "Bob Durand", ["recipient"], PW_RECIPIENT),
        ("carl.petit", "Carl Petit", ["operator"], "cheval pomme nuage table fleur"),
    ]
    tokens: list[str] = []
    for name, full, roles, password in people:
        created = accounts.create(name, full, roles, password, T0, "boot")
        secrets.append(password.encode())
        code = None
        if created.totp_uri is not None:
            seed = _seed(created.totp_uri)
            secrets += [seed.encode(), base64.b32decode(seed + "=" * (-len(seed) % 8))]
            code = totp.code_at(seed, T0)
        key = unlock_signing_key(accounts, name, password, T0).private_bytes()
        secrets += [key, base64.b64encode(key), base64.urlsafe_b64encode(key), key.hex().encode()]
        tokens.append(sessions.login(name, password, code, name, "ws1", T0).token)
    # a password change writes new seals: the new password must not appear either
    t1 = T0 + dt.timedelta(minutes=1)
    new_password = "Hb3!pW9zQ6#nKe"
    change_password(accounts, "bob.durand", PW_RECIPIENT, None, new_password, t1)
    secrets.append(new_password.encode())
    secrets += [t.encode() for t in tokens]
    files = _files(accounts.root, sessions.root)
    assert len(files) >= 8  # 3 accounts, 3 sessions, 2 locks
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret not in data, f"a secret in clear in {path.name}"
