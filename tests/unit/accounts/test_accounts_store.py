"""The account store: creation, files, roles history, disabling, reset; each rule broken."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest

from ariane.accounts.record import Account
from ariane.accounts.store import AccountStore
from ariane.crypto.sealing_key import DEFAULT_COST, Argon2Cost
from ariane.errors import InputError, PolicyError, UsageError

CHEAP = Argon2Cost(time_cost=1, memory_kib=8, parallelism=1)  # tests only; production: default
T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
PW_CONTROLLER = "Vt9#kq2Lm$x7Rw"
PW_RECIPIENT = "Tg7kP2xq9Lm4Vb#z"


def _store(tmp_path: Path) -> AccountStore:
    return AccountStore(tmp_path / "accounts", cost=CHEAP)


def test_production_store_uses_the_strong_default_cost(tmp_path: Path) -> None:
    assert AccountStore(tmp_path / "accounts").cost == DEFAULT_COST


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_create_writes_one_private_record_per_person(tmp_path: Path) -> None:
    store = _store(tmp_path)
    created = store.create(
        "alice.martin", "Alice Martin", ["controller"], PW_CONTROLLER, T0, "boot"
    )
    assert created.totp_uri is not None and created.totp_uri.startswith("otpauth://totp/")
    acc = created.account
    assert acc.roles == {"controller"} and acc.second_factor and acc.totp is not None
    assert acc.current_key is not None and acc.created_by == "boot"
    assert _mode(store.root) == 0o700
    path = store.root / "alice.martin.json"
    assert _mode(path) == 0o600
    assert sorted(p.name for p in store.root.iterdir()) == [".lock", "alice.martin.json"]
    assert store.get("alice.martin") == acc
    assert [a.name for a in store.list()] == ["alice.martin"]
    assert "password_hash" not in repr(acc) and "sealed" not in repr(acc)


def test_recipient_has_no_second_factor_and_needs_80_bits(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(UsageError, match="80 required"):
        store.create(
            "bob.durand", "Bob Durand", ["recipient"], "cheval pomme nuage table fleur", T0, "boot"
        )
    created = store.create("bob.durand", "Bob Durand", ["recipient"], PW_RECIPIENT, T0, "boot")
    assert created.totp_uri is None and not created.account.second_factor
    # the same 57-bit passphrase is enough with a second factor
    store.create(
        "carl.petit", "Carl Petit", ["operator"], "cheval pomme nuage table fleur", T0, "boot"
    )


def test_duplicate_and_generic_accounts_are_refused(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.create("alice.martin", "Alice Martin", ["controller"], PW_CONTROLLER, T0, "boot")
    with pytest.raises(UsageError, match="already exists"):
        store.create("alice.martin", "Alice M.", ["auditor"], PW_RECIPIENT, T0, "boot")
    for generic in ("admin", "shared", "migration", "root", "test", "admin2"):
        with pytest.raises(UsageError, match="generic"):
            store.create(generic, "Someone", ["admin"], PW_CONTROLLER, T0, "boot")
    assert [a.name for a in store.list()] == ["alice.martin"]


def test_password_with_name_or_common_is_refused_at_create(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(UsageError, match="account name"):
        store.create("amartin", "Alice Martin", ["operator"], "Zq8#amartin!x", T0, "boot")
    with pytest.raises(UsageError, match="person's name"):
        store.create("amartin", "Alice Martin", ["operator"], "Zq8#Martin!xW3", T0, "boot")
    with pytest.raises(UsageError, match="common"):
        store.create("amartin", "Alice Martin", ["operator"], "Azertyuiop123!", T0, "boot")
    assert store.list() == []


def test_admin_role_is_alone(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="admin cannot be combined"):
        _store(tmp_path).create(
            "eve.roux", "Eve Roux", ["admin", "operator"], PW_CONTROLLER, T0, "boot"
        )


def test_naive_time_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="timezone-aware"):
        _store(tmp_path).create(
            "eve.roux", "Eve Roux", ["admin"], PW_CONTROLLER, dt.datetime(2025, 3, 3, 9, 0), "boot"
        )


def test_roles_history_answers_for_any_past_time(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.create(
        "alice.martin", "Alice Martin", ["controller", "auditor"], PW_CONTROLLER, T0, "boot"
    )
    t1, t2 = T0 + dt.timedelta(days=1), T0 + dt.timedelta(days=2)
    store.set_roles("alice.martin", ["auditor"], t1, "eve.roux")
    store.set_roles("alice.martin", ["auditor", "operator"], t2, "eve.roux")
    assert store.roles_at("alice.martin", T0 - dt.timedelta(seconds=1)) == set()
    assert store.roles_at("alice.martin", T0) == {"controller", "auditor"}
    assert store.roles_at("alice.martin", t1 - dt.timedelta(microseconds=1)) == {
        "controller",
        "auditor",
    }
    assert store.roles_at("alice.martin", t1) == {"auditor"}  # revoked: not held after
    assert store.roles_at("alice.martin", t2) == {"auditor", "operator"}
    history = store.get("alice.martin").roles_history
    controller = next(g for g in history if g.role == "controller")
    assert (controller.revoked_at, controller.revoked_by) == (t1, "eve.roux")
    assert len(history) == 3
    # nothing to change: no write, same record
    assert store.set_roles("alice.martin", ["operator", "auditor"], t2, "eve.roux") == store.get(
        "alice.martin"
    )


def test_role_changes_that_break_rules_are_refused(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.create("alice.martin", "Alice Martin", ["operator"], PW_CONTROLLER, T0, "boot")
    store.create("bob.durand", "Bob Durand", ["recipient"], PW_RECIPIENT, T0, "boot")
    t1 = T0 + dt.timedelta(hours=1)
    with pytest.raises(PolicyError, match="own roles"):
        store.set_roles("alice.martin", ["controller"], t1, "alice.martin")
    with pytest.raises(PolicyError, match="no second factor"):
        store.set_roles("bob.durand", ["controller"], t1, "eve.roux")
    with pytest.raises(UsageError, match="backwards"):
        store.set_roles("alice.martin", ["controller"], T0 - dt.timedelta(hours=1), "eve.roux")
    with pytest.raises(UsageError, match="no account"):
        store.set_roles("nobody.here", ["auditor"], t1, "eve.roux")
    assert store.roles_at("bob.durand", t1) == {"recipient"}


def test_disabled_account_holds_no_role_afterwards(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.create("alice.martin", "Alice Martin", ["controller"], PW_CONTROLLER, T0, "boot")
    t1 = T0 + dt.timedelta(days=3)
    store.disable("alice.martin", t1, "eve.roux")
    assert store.was_active_at("alice.martin", t1 - dt.timedelta(seconds=1))
    assert not store.was_active_at("alice.martin", t1)
    assert not store.was_active_at("alice.martin", T0 - dt.timedelta(seconds=1))
    assert store.roles_at("alice.martin", t1) == set()
    assert store.roles_at("alice.martin", T0) == {"controller"}
    with pytest.raises(PolicyError, match="disabled"):
        store.disable("alice.martin", t1, "eve.roux")
    with pytest.raises(PolicyError, match="disabled"):
        store.set_roles("alice.martin", ["auditor"], t1, "eve.roux")
    key = store.get("alice.martin").signing_keys[0].public_key
    assert store.public_key_at("alice.martin", T0) == key
    with pytest.raises(PolicyError, match="not active"):
        store.public_key_at("alice.martin", t1)


def test_malformed_or_misplaced_record_is_an_input_error(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.create("alice.martin", "Alice Martin", ["controller"], PW_CONTROLLER, T0, "boot")
    path = store.root / "alice.martin.json"
    original = path.read_text()
    data = json.loads(original)
    data["totp"] = None  # a record that lost its second factor must not load
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="malformed") as err:
        store.get("alice.martin")
    assert "argon2" not in err.value.message
    path.write_text(original)
    os.rename(path, store.root / "bob.durand.json")
    with pytest.raises(InputError, match="another account"):
        store.get("bob.durand")


def test_store_open_to_others_is_refused(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.create("alice.martin", "Alice Martin", ["controller"], PW_CONTROLLER, T0, "boot")
    os.chmod(store.root, 0o755)
    with pytest.raises(PolicyError, match="open to others"):
        store.create("bob.durand", "Bob Durand", ["recipient"], PW_RECIPIENT, T0, "boot")


def test_reset_retires_the_key_and_drops_sealed_secrets(tmp_path: Path) -> None:
    store = _store(tmp_path)
    acc = store.create(
        "alice.martin", "Alice Martin", ["controller"], PW_CONTROLLER, T0, "boot"
    ).account
    t1 = T0 + dt.timedelta(days=1)
    with pytest.raises(PolicyError, match="own password"):
        store.reset_password("alice.martin", "Xr4!mQ8#zL2k", t1, "alice.martin")
    reset = store.reset_password("alice.martin", "Xr4!mQ8#zL2k", t1, "eve.roux")
    assert reset.must_change_password and reset.totp is None and reset.kdf is None
    assert reset.sealed_signing_key is None and reset.current_key is None
    assert reset.signing_keys[0].retired_at == t1
    assert store.public_key_at("alice.martin", T0) == acc.signing_keys[0].public_key
    with pytest.raises(PolicyError, match="no signing key"):
        store.public_key_at("alice.martin", t1)
    assert isinstance(store.get("alice.martin"), Account)
