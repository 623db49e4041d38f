"""The account store: one JSON record per person, `<root>/<name>.json`, 0600 in a 0700 directory.

Writes are atomic (temporary sibling, fsync, rename) and serialised by an advisory lock on
`<root>/.lock`, so that two processes counting failed logins cannot lose an update.

Administration (create, disable, roles, password reset) lives here; everything that needs the
person's password (login, unlocking the signing key, changing the password) is in `auth.py`.
Who may call what (an `admin`, checked with `session.require_role`) is the caller's check.

An administrator's password reset cannot re-seal the TOTP seed and the signing key (they are
sealed under the forgotten password), and must not give the administrator a key or seed to act
with: it retires the signing key, drops both sealed secrets and marks the account
`must_change_password`. The holder's next `auth.change_password` with the temporary password
generates a new signing key and, for a second-factor account, a new TOTP seed.
"""

from __future__ import annotations

import builtins
import datetime as dt
import fcntl
import os
import stat
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ariane.accounts import totp, vault
from ariane.accounts.names import check_name_syntax, check_new_name
from ariane.accounts.policy import check_password, normalize_password, person_words
from ariane.accounts.record import (
    Account,
    KeyRecord,
    RoleGrant,
    TotpEnrolment,
    account_from_json,
)
from ariane.accounts.roles import SECOND_FACTOR_ROLES, check_roles, needs_second_factor
from ariane.crypto.files import PRIVATE_FILE, make_private_dir, write_atomic
from ariane.crypto.sealing_key import DEFAULT_COST, Argon2Cost, hash_password
from ariane.crypto.sign import SigningKey
from ariane.errors import PolicyError, UsageError

LOCK_FILE = ".lock"


def utc(when: dt.datetime) -> dt.datetime:
    """`when` in UTC; a naive time is refused (UsageError): its zone would be a guess."""
    if not isinstance(when, dt.datetime) or when.tzinfo is None or when.utcoffset() is None:
        raise UsageError("times must be timezone-aware datetimes")
    return when.astimezone(dt.UTC)


def check_actor(by: str) -> str:
    """Who acts: a non-empty printable name (an account name, or the bootstrap's label)."""
    if not isinstance(by, str) or not by or len(by) > 200 or not by.isprintable():
        raise UsageError("the acting person must be a non-empty printable name")
    return by


def _check_full_name(full_name: str) -> str:
    text = unicodedata.normalize("NFC", full_name).strip() if isinstance(full_name, str) else ""
    if not text or len(text) > 200 or not text.isprintable():
        raise UsageError("full name must be 1 to 200 printable characters")
    return text


@dataclass(frozen=True)
class Created:
    """A new account and, when it has a second factor, the otpauth URI to show once."""

    account: Account
    totp_uri: str | None


class AccountStore:
    def __init__(
        self,
        root: Path,
        *,
        cost: Argon2Cost = DEFAULT_COST,
        randbytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        """`cost`: Argon2id work factors for new hashes and keys (tests pass a low one)."""
        self.root = Path(root)
        self.cost = cost
        self.randbytes = randbytes

    # -- files ------------------------------------------------------------------------------

    def _path(self, name: str) -> Path:
        return self.root / f"{check_name_syntax(name)}.json"

    def _ensure_root(self) -> None:
        if not self.root.exists():
            make_private_dir(self.root)
        mode = stat.S_IMODE(self.root.stat().st_mode)
        if mode & 0o077:
            raise PolicyError(f"account store {self.root.name} is open to others (mode {mode:o})")

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's write lock (not reentrant: public methods take it themselves)."""
        self._ensure_root()
        fd = os.open(self.root / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, PRIVATE_FILE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def write(self, account: Account) -> None:
        """Replace the record (caller holds `locked()`)."""
        write_atomic(self._path(account.name), account.to_json(), replace=True)

    # -- reading ----------------------------------------------------------------------------

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def get(self, name: str) -> Account:
        path = self._path(name)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise UsageError(f"no account named {name}") from None
        return account_from_json(raw, name)

    def list(self) -> builtins.list[Account]:
        if not self.root.is_dir():
            return []
        names = sorted(p.stem for p in self.root.glob("*.json") if not p.name.startswith("."))
        return [self.get(n) for n in names]

    def roles_at(self, name: str, when: dt.datetime) -> frozenset[str]:
        """Roles `name` held at `when`; empty when the account was not active then."""
        return self.get(name).roles_at(utc(when))

    def was_active_at(self, name: str, when: dt.datetime) -> bool:
        return self.get(name).active_at(utc(when))

    def public_key_at(self, name: str, when: dt.datetime) -> str:
        """Base64 Ed25519 public key valid at `when` (PolicyError if none or not active)."""
        return self.get(name).public_key_at(utc(when))

    # -- administration ---------------------------------------------------------------------

    def create(
        self,
        name: str,
        full_name: str,
        roles: Iterable[str],
        password: str,
        now: dt.datetime,
        by: str,
    ) -> Created:
        """Create an account with its signing key and, for controller/operator/admin, TOTP."""
        check_new_name(name)
        full = _check_full_name(full_name)
        chosen = check_roles(roles)
        now, by = utc(now), check_actor(by)
        second = needs_second_factor(chosen)
        check_password(name, password, second, person_words=person_words(full))
        password = normalize_password(password)
        with self.locked():
            if self.exists(name):
                raise UsageError(f"account {name} already exists")
            kdf, u = vault.new_kdf(name, password, self.cost, self.randbytes)
            signing = SigningKey.generate(self.randbytes)
            enrolment, uri = None, None
            if second:
                seed = totp.new_seed(self.randbytes)
                sealed = vault.seal_secret(u, vault.TOTP_SEED, seed.encode(), self.randbytes)
                enrolment = TotpEnrolment(sealed_seed=sealed, enrolled_at=now)
                uri = totp.provisioning_uri(seed, name)
            account = Account(
                name=name,
                full_name=full,
                created_at=now,
                created_by=by,
                roles_history=tuple(
                    RoleGrant(role=r, granted_at=now, granted_by=by) for r in sorted(chosen)
                ),
                second_factor=second,
                password_hash=hash_password(password, self.cost),
                password_changed_at=now,
                kdf=kdf,
                totp=enrolment,
                sealed_signing_key=vault.seal_secret(
                    u, vault.SIGNING_KEY, signing.private_bytes(), self.randbytes
                ),
                signing_keys=(KeyRecord(public_key=signing.public_b64, created_at=now),),
            )
            write_atomic(self._path(name), account.to_json())
        return Created(account, uri)

    def _active(self, name: str, now: dt.datetime) -> Account:
        account = self.get(name)
        if now < account.last_event():
            raise UsageError(f"time goes backwards for account {name}: check the clock")
        if account.disabled_at is not None:
            raise PolicyError(f"account {name} is disabled")
        return account

    def disable(self, name: str, now: dt.datetime, by: str) -> Account:
        """Disable for good: no login, no key unlock, no role held from `now` on."""
        now, by = utc(now), check_actor(by)
        with self.locked():
            account = self._active(name, now).replace(disabled_at=now, disabled_by=by)
            self.write(account)
        return account

    def set_roles(self, name: str, roles: Iterable[str], now: dt.datetime, by: str) -> Account:
        """Grant and revoke so that `name` holds exactly `roles` from `now`; history is kept."""
        now, by = utc(now), check_actor(by)
        chosen = check_roles(roles)
        if by == name:
            raise PolicyError(f"{name} cannot change their own roles")
        with self.locked():
            account = self._active(name, now)
            if needs_second_factor(chosen) and not account.second_factor:
                raise PolicyError(
                    f"account {name} has no second factor: its holder must enrol one before "
                    f"receiving role {', '.join(sorted(chosen & SECOND_FACTOR_ROLES))}"
                )
            history = [
                g.model_copy(update={"revoked_at": now, "revoked_by": by})
                if g.revoked_at is None and g.role not in chosen
                else g
                for g in account.roles_history
            ]
            added = sorted(chosen - account.roles)
            history += [RoleGrant(role=r, granted_at=now, granted_by=by) for r in added]
            if tuple(history) == account.roles_history:
                return account
            account = account.replace(roles_history=tuple(history))
            self.write(account)
        return account

    def reset_password(
        self, name: str, temporary_password: str, now: dt.datetime, by: str
    ) -> Account:
        """An administrator's reset (see the module docstring): the holder must change it."""
        now, by = utc(now), check_actor(by)
        if by == name:
            raise PolicyError(f"{name} must change their own password with the current one")
        with self.locked():
            account = self._active(name, now)
            check_password(
                name,
                temporary_password,
                account.second_factor,
                person_words=person_words(account.full_name),
            )
            keys = tuple(
                k.model_copy(update={"retired_at": now}) if k.retired_at is None else k
                for k in account.signing_keys
            )
            account = account.replace(
                password_hash=hash_password(normalize_password(temporary_password), self.cost),
                password_changed_at=now,
                must_change_password=True,
                kdf=None,
                totp=None,
                sealed_signing_key=None,
                signing_keys=keys,
                failed_attempts=0,
                locked_until=None,
            )
            self.write(account)
        return account
