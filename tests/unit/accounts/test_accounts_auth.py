"""Authentication: password, TOTP (missing, wrong, replayed), lockout, disabled, signing key,
password change and reset. The clock is a parameter, so lock expiry is exact."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from pathlib import Path

import pytest

from ariane.accounts import totp
from ariane.accounts.auth import (
    authenticate,
    change_password,
    enroll_totp,
    failure_reason,
    lock_duration,
    unlock_signing_key,
)
from ariane.accounts.store import AccountStore
from ariane.crypto.sealing_key import Argon2Cost
from ariane.crypto.sign import verify_signature
from ariane.errors import IntegrityError, PolicyError, UsageError

CHEAP = Argon2Cost(time_cost=1, memory_kib=8, parallelism=1)
T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
PW = "Vt9#kq2Lm$x7Rw"
PW_RECIPIENT = "Tg7kP2xq9Lm4Vb#z"
NEW_PW = "Hb3!pW9zQ6#nKe"


def _seed(uri: str | None) -> str:
    assert uri is not None
    return urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]


@pytest.fixture
def store(tmp_path: Path) -> AccountStore:
    return AccountStore(tmp_path / "accounts", cost=CHEAP)


@pytest.fixture
def seed(store: AccountStore) -> str:
    return _seed(
        store.create("alice.martin", "Alice Martin", ["controller"], PW, T0, "boot").totp_uri
    )


def _refused(reason: str, call: object) -> PolicyError:
    assert callable(call)
    with pytest.raises(PolicyError) as err:
        call()
    assert failure_reason(err.value) == reason, err.value.message
    return err.value


def test_password_and_fresh_code_authenticate(store: AccountStore, seed: str) -> None:
    acc = authenticate(store, "alice.martin", PW, totp.code_at(seed, T0), T0)
    assert acc.name == "alice.martin" and acc.failed_attempts == 0
    assert acc.totp is not None and acc.totp.last_step == totp.current_step(T0)


def test_code_from_the_neighbouring_step_is_accepted(store: AccountStore, seed: str) -> None:
    early = totp.code_at(seed, T0 - dt.timedelta(seconds=30))
    authenticate(store, "alice.martin", PW, early, T0)


@pytest.mark.parametrize("code", [None, "", "12345", "abcdef", "1234567"])
def test_missing_or_malformed_code_is_refused(
    store: AccountStore, seed: str, code: str | None
) -> None:
    exc = _refused("totp", lambda: authenticate(store, "alice.martin", PW, code, T0))
    assert exc.message == "authentication failed for alice.martin"


def test_wrong_and_stale_codes_are_refused(store: AccountStore, seed: str) -> None:
    good = totp.code_at(seed, T0)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    exc = _refused("totp", lambda: authenticate(store, "alice.martin", PW, wrong, T0))
    assert good not in exc.message and wrong not in exc.message and PW not in exc.message
    stale = totp.code_at(seed, T0 - dt.timedelta(minutes=2))
    _refused("totp", lambda: authenticate(store, "alice.martin", PW, stale, T0))


def test_replayed_code_is_refused(store: AccountStore, seed: str) -> None:
    code = totp.code_at(seed, T0)
    authenticate(store, "alice.martin", PW, code, T0)
    _refused("totp", lambda: authenticate(store, "alice.martin", PW, code, T0))
    # still inside its validity window 30 s later, still refused
    later = T0 + dt.timedelta(seconds=30)
    _refused("totp", lambda: authenticate(store, "alice.martin", PW, code, later))
    authenticate(store, "alice.martin", PW, totp.code_at(seed, later), later)


def test_wrong_password_does_not_say_which_factor(store: AccountStore, seed: str) -> None:
    exc = _refused(
        "password",
        lambda: authenticate(store, "alice.martin", "Vt9#kq2Lm$x7Rx", totp.code_at(seed, T0), T0),
    )
    assert exc.message == "authentication failed for alice.martin"


def test_unknown_account_is_not_echoed(store: AccountStore) -> None:
    exc = _refused("unknown", lambda: authenticate(store, "Vt9#kq2Lm$x7Rw", PW, None, T0))
    assert PW not in exc.message
    _refused("unknown", lambda: authenticate(store, "nobody.here", PW, None, T0))


def test_recipient_without_second_factor_needs_no_code(store: AccountStore) -> None:
    store.create("bob.durand", "Bob Durand", ["recipient"], PW_RECIPIENT, T0, "boot")
    assert authenticate(store, "bob.durand", PW_RECIPIENT, None, T0).name == "bob.durand"


def test_lockout_after_five_failures_then_release_and_doubling(
    store: AccountStore, seed: str
) -> None:
    assert lock_duration(4) is None
    assert lock_duration(5) == dt.timedelta(minutes=15)
    assert lock_duration(6) == dt.timedelta(minutes=30)
    assert lock_duration(40) == dt.timedelta(hours=24)
    for i in range(5):
        _refused("password", lambda: authenticate(store, "alice.martin", "wrong", None, T0))
        assert store.get("alice.martin").failed_attempts == i + 1
    assert store.get("alice.martin").locked_until == T0 + dt.timedelta(minutes=15)
    # locked: even the right password and code are refused, and nothing is counted
    t1 = T0 + dt.timedelta(minutes=14, seconds=59)
    exc = _refused(
        "locked", lambda: authenticate(store, "alice.martin", PW, totp.code_at(seed, t1), t1)
    )
    assert "locked until 2025-03-03 09:15 UTC" in exc.message
    assert store.get("alice.martin").failed_attempts == 5
    # released after the lock time; one more failure locks for twice as long
    t2 = T0 + dt.timedelta(minutes=15)
    _refused("totp", lambda: authenticate(store, "alice.martin", PW, None, t2))
    assert store.get("alice.martin").locked_until == t2 + dt.timedelta(minutes=30)
    t3 = t2 + dt.timedelta(minutes=30)
    authenticate(store, "alice.martin", PW, totp.code_at(seed, t3), t3)
    acc = store.get("alice.martin")
    assert acc.failed_attempts == 0 and acc.locked_until is None


def test_disabled_account_cannot_log_in_nor_unlock_its_key(store: AccountStore, seed: str) -> None:
    t1 = T0 + dt.timedelta(days=1)
    store.disable("alice.martin", t1, "eve.roux")
    exc = _refused(
        "disabled", lambda: authenticate(store, "alice.martin", PW, totp.code_at(seed, t1), t1)
    )
    assert "disabled" in exc.message
    _refused("disabled", lambda: unlock_signing_key(store, "alice.martin", PW, t1))


def test_signing_key_unlocks_with_the_password_only(store: AccountStore, seed: str) -> None:
    key = unlock_signing_key(store, "alice.martin", PW, T0)
    public = store.public_key_at("alice.martin", T0)
    assert key.public_b64 == public
    verify_signature(public, b"digest", key.sign(b"digest"))
    _refused("password", lambda: unlock_signing_key(store, "alice.martin", NEW_PW, T0))


def test_signing_key_unlock_counts_towards_lockout(store: AccountStore, seed: str) -> None:
    for _ in range(5):
        _refused("password", lambda: unlock_signing_key(store, "alice.martin", "nope", T0))
    _refused("locked", lambda: unlock_signing_key(store, "alice.martin", PW, T0))


def test_sealed_secret_moved_between_fields_does_not_open(store: AccountStore, seed: str) -> None:
    path = store.root / "alice.martin.json"
    data = json.loads(path.read_text())
    data["sealed_signing_key"] = data["totp"]["sealed_seed"]
    path.write_text(json.dumps(data))
    with pytest.raises(IntegrityError, match="altered"):
        unlock_signing_key(store, "alice.martin", PW, T0)


def test_password_change_reseals_and_keeps_key_and_seed(store: AccountStore, seed: str) -> None:
    before = store.get("alice.martin")
    t1 = T0 + dt.timedelta(minutes=5)
    with pytest.raises(UsageError, match="too weak"):
        change_password(store, "alice.martin", PW, totp.code_at(seed, t1), "Short1!", t1)
    _refused("totp", lambda: change_password(store, "alice.martin", PW, None, NEW_PW, t1))
    assert change_password(store, "alice.martin", PW, totp.code_at(seed, t1), NEW_PW, t1) is None
    after = store.get("alice.martin")
    assert after.password_hash != before.password_hash and after.kdf != before.kdf
    assert after.sealed_signing_key != before.sealed_signing_key
    assert after.signing_keys == before.signing_keys  # same personal key
    _refused("password", lambda: unlock_signing_key(store, "alice.martin", PW, t1))
    assert unlock_signing_key(store, "alice.martin", NEW_PW, t1).public_b64 == (
        before.signing_keys[0].public_key
    )
    t2 = t1 + dt.timedelta(minutes=1)
    authenticate(store, "alice.martin", NEW_PW, totp.code_at(seed, t2), t2)  # same seed


def test_reset_then_holder_change_makes_new_key_and_seed(store: AccountStore, seed: str) -> None:
    old_key = store.get("alice.martin").signing_keys[0].public_key
    t1 = T0 + dt.timedelta(days=1)
    store.reset_password("alice.martin", "Xr4!mQ8#zL2k", t1, "eve.roux")
    _refused(
        "reset",
        lambda: authenticate(store, "alice.martin", "Xr4!mQ8#zL2k", totp.code_at(seed, t1), t1),
    )
    _refused("reset", lambda: unlock_signing_key(store, "alice.martin", "Xr4!mQ8#zL2k", t1))
    t2 = t1 + dt.timedelta(hours=1)
    uri = change_password(store, "alice.martin", "Xr4!mQ8#zL2k", None, NEW_PW, t2)
    new_seed = _seed(uri)
    assert new_seed != seed
    _refused(
        "totp", lambda: authenticate(store, "alice.martin", NEW_PW, totp.code_at(seed, t2), t2)
    )
    authenticate(store, "alice.martin", NEW_PW, totp.code_at(new_seed, t2), t2)
    new_key = unlock_signing_key(store, "alice.martin", NEW_PW, t2).public_b64
    assert new_key != old_key
    assert store.public_key_at("alice.martin", T0) == old_key  # old approvals still verify
    assert store.public_key_at("alice.martin", t2) == new_key


def test_enrolling_totp_allows_second_factor_roles(store: AccountStore) -> None:
    store.create("bob.durand", "Bob Durand", ["recipient"], PW_RECIPIENT, T0, "boot")
    t1 = T0 + dt.timedelta(minutes=1)
    with pytest.raises(PolicyError, match="no second factor"):
        store.set_roles("bob.durand", ["operator"], t1, "eve.roux")
    bob_seed = _seed(enroll_totp(store, "bob.durand", PW_RECIPIENT, t1))
    with pytest.raises(UsageError, match="already"):
        enroll_totp(store, "bob.durand", PW_RECIPIENT, t1)
    store.set_roles("bob.durand", ["operator"], t1, "eve.roux")
    _refused("totp", lambda: authenticate(store, "bob.durand", PW_RECIPIENT, None, t1))
    authenticate(store, "bob.durand", PW_RECIPIENT, totp.code_at(bob_seed, t1), t1)
