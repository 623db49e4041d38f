"""Sessions: short-lived, bound to one account, one operating-system user and one host.

`<root>/<account>.json` (0600, directory 0700) holds the account, OS user, host, times and the
SHA-256 of the session token; the token itself goes back to the caller (the CLI keeps it in a
file of the OS user's own). One session per account: a login while an unexpired session of the
same account exists from another OS user or host is refused with `alert="concurrent-use"` on
the exception (read it with `alert_of`) so that the caller records an alert; a token presented
by another OS user or host is refused with `alert="session-misuse"`.

Lifetime: `ttl` (default 30 minutes) from login, slid forward by `touch`, never beyond 8 hours
after login.
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from ariane.accounts.auth import authenticate
from ariane.accounts.names import NAME_PATTERN, check_name_syntax
from ariane.accounts.roles import check_role
from ariane.accounts.store import AccountStore, utc
from ariane.crypto.digest import sha256_hex
from ariane.crypto.files import PRIVATE_FILE, fsync_dir, make_private_dir, write_atomic
from ariane.crypto.sealing_key import random_secret
from ariane.errors import InputError, PolicyError, UsageError

DEFAULT_TTL = dt.timedelta(minutes=30)
MAX_LIFETIME = dt.timedelta(hours=8)
TOKEN_BYTES = 32
LOCK_FILE = ".lock"
ALERTS = frozenset({"concurrent-use", "session-misuse"})


class Session(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["ariane.session/1"] = "ariane.session/1"
    account: str = Field(pattern=NAME_PATTERN.pattern)
    os_user: str = Field(min_length=1, max_length=255)
    host: str = Field(min_length=1, max_length=255)
    created_at: AwareDatetime
    expires_at: AwareDatetime
    ttl_seconds: int = Field(gt=0)
    token_hash: str = Field(pattern=r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Login:
    """A new session and its token: hand the token to the person, never store it."""

    session: Session
    token: str = field(repr=False)


def _refusal(message: str, **attrs: str) -> PolicyError:
    exc = PolicyError(message)
    exc.__dict__.update(attrs)  # errors.py has no field for it; read via alert_of
    return exc


def alert_of(exc: BaseException) -> str | None:
    """The alert a refusal calls for ("concurrent-use", "session-misuse"), or None."""
    alert = getattr(exc, "alert", None)
    return alert if isinstance(alert, str) and alert in ALERTS else None


def _check_place(os_user: str, host: str) -> None:
    for what, value in (("OS user", os_user), ("host", host)):
        if not isinstance(value, str) or not value or len(value) > 255 or not value.isprintable():
            raise UsageError(f"{what} must be a non-empty printable name")


class SessionStore:
    def __init__(
        self,
        root: Path,
        accounts: AccountStore,
        *,
        randbytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.root = Path(root)
        self.accounts = accounts
        self.randbytes = randbytes

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if not self.root.exists():
            make_private_dir(self.root)
        mode = stat.S_IMODE(self.root.stat().st_mode)
        if mode & 0o077:
            raise PolicyError(f"session store {self.root.name} is open to others (mode {mode:o})")
        fd = os.open(self.root / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, PRIVATE_FILE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _path(self, account: str) -> Path:
        return self.root / f"{check_name_syntax(account)}.json"

    def _read(self, path: Path) -> Session | None:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            session = Session.model_validate_json(raw)
        except ValidationError:
            raise InputError(f"session file {path.name} is malformed") from None
        if f"{session.account}.json" != path.name:
            raise InputError(f"session file {path.name} holds another account")
        return session

    def _find(self, token: str) -> Session:
        if not isinstance(token, str) or not token:
            raise PolicyError("no session: log in first")
        wanted = sha256_hex(token.encode("utf-8"))
        if self.root.is_dir():
            for path in sorted(self.root.glob("*.json")):
                session = self._read(path)
                if session is not None and session.token_hash == wanted:
                    return session
        raise PolicyError("no session: log in first")

    def _remove(self, account: str) -> None:
        with suppress(FileNotFoundError):
            self._path(account).unlink()
            fsync_dir(self.root)

    def login(
        self,
        name: str,
        password: str,
        totp_code: str | None,
        os_user: str,
        host: str,
        now: dt.datetime,
        ttl: dt.timedelta = DEFAULT_TTL,
    ) -> Login:
        """Authenticate and open a session (replacing one of the same OS user and host)."""
        now = utc(now)
        _check_place(os_user, host)
        if not dt.timedelta(0) < ttl <= MAX_LIFETIME:
            raise UsageError("session lifetime must be positive and at most 8 hours")
        with self._locked():
            account = authenticate(self.accounts, name, password, totp_code, now)
            other = self._read(self._path(account.name))
            if (
                other is not None
                and now < other.expires_at
                and (other.os_user, other.host) != (os_user, host)
            ):
                raise _refusal(
                    f"account {account.name} is already in use by another OS user or host "
                    f"until {other.expires_at:%H:%M} UTC: login refused",
                    alert="concurrent-use",
                    account=account.name,
                    other_os_user=other.os_user,
                    other_host=other.host,
                )
            token = base64.urlsafe_b64encode(random_secret(TOKEN_BYTES, self.randbytes))
            text = token.decode("ascii").rstrip("=")
            session = Session(
                account=account.name,
                os_user=os_user,
                host=host,
                created_at=now,
                expires_at=now + ttl,
                ttl_seconds=int(ttl.total_seconds()),
                token_hash=sha256_hex(text.encode("ascii")),
            )
            write_atomic(
                self._path(account.name),
                (session.model_dump_json(indent=2) + "\n").encode(),
                replace=True,
            )
        return Login(session, text)

    def _valid(self, token: str, os_user: str, host: str, now: dt.datetime) -> Session:
        session = self._find(token)
        if (session.os_user, session.host) != (os_user, host):
            raise _refusal(
                f"session of {session.account} belongs to another OS user or host: refused",
                alert="session-misuse",
                account=session.account,
            )
        if now >= session.expires_at:
            raise PolicyError(f"session of {session.account} expired, log in again")
        try:
            active = self.accounts.was_active_at(session.account, now)
        except UsageError:
            active = False
        if not active:
            self._remove(session.account)
            raise PolicyError(f"account {session.account} is disabled: session closed")
        return session

    def current(self, token: str, os_user: str, host: str, now: dt.datetime) -> Session:
        """The session of `token` if unexpired, of this OS user and host, of an active account."""
        now = utc(now)
        _check_place(os_user, host)
        with self._locked():
            return self._valid(token, os_user, host, now)

    def touch(self, token: str, os_user: str, host: str, now: dt.datetime) -> Session:
        """Slide the expiry to now + ttl, capped at 8 hours after login."""
        now = utc(now)
        _check_place(os_user, host)
        with self._locked():
            session = self._valid(token, os_user, host, now)
            expires = min(
                now + dt.timedelta(seconds=session.ttl_seconds), session.created_at + MAX_LIFETIME
            )
            if expires <= session.expires_at:
                return session
            session = session.model_copy(update={"expires_at": expires})
            write_atomic(
                self._path(session.account),
                (session.model_dump_json(indent=2) + "\n").encode(),
                replace=True,
            )
        return session

    def logout(self, token: str) -> Session:
        """End the session of `token` (expired or not); UsageError if there is none."""
        with self._locked():
            try:
                session = self._find(token)
            except PolicyError:
                raise UsageError("no session to log out") from None
            self._remove(session.account)
        return session


def require_role(session: Session, store: AccountStore, role: str, now: dt.datetime) -> None:
    """PolicyError unless the session is unexpired and its account holds `role` at `now`."""
    now = utc(now)
    check_role(role)
    if now >= session.expires_at:
        raise PolicyError(f"session of {session.account} expired, log in again")
    if role not in store.roles_at(session.account, now):
        raise PolicyError(f"{session.account} does not hold role {role}")
