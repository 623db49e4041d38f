"""The account record as stored in `<root>/<name>.json`: a frozen, validated model.

Secrets never appear in it in clear: the password as an Argon2id hash, the TOTP seed and the
Ed25519 private key sealed (AES-GCM) under a key derived from the password (`vault.py`).
Role grants and signing keys are histories, never rewritten, so that "which roles, which key
did this person have at time t" can be answered for any past t (approvals are checked so).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ariane.accounts.names import NAME_PATTERN
from ariane.accounts.roles import ROLES
from ariane.errors import InputError, PolicyError

FORMAT: Literal["ariane.account/1"] = "ariane.account/1"
_B64 = r"^[A-Za-z0-9+/]+={0,2}$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RoleGrant(_Frozen):
    """One role held from `granted_at` (inclusive) to `revoked_at` (exclusive, None = still)."""

    role: str
    granted_at: AwareDatetime
    granted_by: str
    revoked_at: AwareDatetime | None = None
    revoked_by: str | None = None

    @field_validator("role")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in ROLES:
            raise ValueError("unknown role")
        return v

    def held_at(self, when: dt.datetime) -> bool:
        return self.granted_at <= when and (self.revoked_at is None or when < self.revoked_at)


class KeyRecord(_Frozen):
    """A personal Ed25519 public key (base64), valid from `created_at` until `retired_at`."""

    public_key: str = Field(pattern=_B64)
    created_at: AwareDatetime
    retired_at: AwareDatetime | None = None

    def valid_at(self, when: dt.datetime) -> bool:
        return self.created_at <= when and (self.retired_at is None or when < self.retired_at)


class Kdf(_Frozen):
    """Salt and Argon2id cost of the password-derived key that seals this account's secrets."""

    salt: str = Field(pattern=_B64)
    time_cost: int = Field(ge=1)
    memory_kib: int = Field(ge=8)
    parallelism: int = Field(ge=1)


class TotpEnrolment(_Frozen):
    sealed_seed: str = Field(pattern=_B64, repr=False)
    enrolled_at: AwareDatetime
    last_step: int | None = None  # time step of the last accepted code: replays are refused


class Account(_Frozen):
    format: Literal["ariane.account/1"] = FORMAT
    name: str = Field(pattern=NAME_PATTERN.pattern)
    full_name: str = Field(min_length=1, max_length=200)
    created_at: AwareDatetime
    created_by: str = Field(min_length=1)
    disabled_at: AwareDatetime | None = None
    disabled_by: str | None = None
    roles_history: tuple[RoleGrant, ...] = Field(min_length=1)
    second_factor: bool  # TOTP required at login; once set, never cleared
    password_hash: str = Field(repr=False, pattern=r"^\$argon2id\$")
    password_changed_at: AwareDatetime
    must_change_password: bool = False  # after an administrator's reset (see store.py)
    kdf: Kdf | None = None  # None only while must_change_password: nothing sealed then
    totp: TotpEnrolment | None = None
    sealed_signing_key: str | None = Field(default=None, pattern=_B64, repr=False)
    signing_keys: tuple[KeyRecord, ...] = ()
    failed_attempts: int = Field(default=0, ge=0)
    locked_until: AwareDatetime | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Account:
        # A record that lost its enrolment must not silently skip the second factor.
        if self.must_change_password:
            if self.kdf or self.totp or self.sealed_signing_key:
                raise ValueError("a reset account holds no sealed secret")
        elif self.kdf is None or self.sealed_signing_key is None or self.current_key is None:
            raise ValueError("an account needs its key salt, sealed signing key and public key")
        elif self.second_factor and self.totp is None:
            raise ValueError("a second-factor account needs its TOTP enrolment")
        return self

    @property
    def roles(self) -> frozenset[str]:
        """Roles held now (grants not revoked), disabled or not."""
        return frozenset(g.role for g in self.roles_history if g.revoked_at is None)

    def active_at(self, when: dt.datetime) -> bool:
        return self.created_at <= when and (self.disabled_at is None or when < self.disabled_at)

    def roles_at(self, when: dt.datetime) -> frozenset[str]:
        """Roles held at `when`; none outside the account's active period (fails closed)."""
        if not self.active_at(when):
            return frozenset()
        return frozenset(g.role for g in self.roles_history if g.held_at(when))

    def public_key_at(self, when: dt.datetime) -> str:
        """The signing key valid at `when`; PolicyError if the account was not active then."""
        if not self.active_at(when):
            raise PolicyError(f"account {self.name} was not active at {when.isoformat()}")
        for key in self.signing_keys:
            if key.valid_at(when):
                return key.public_key
        raise PolicyError(f"account {self.name} had no signing key at {when.isoformat()}")

    @property
    def current_key(self) -> KeyRecord | None:
        live = [k for k in self.signing_keys if k.retired_at is None]
        return live[-1] if live else None

    def last_event(self) -> dt.datetime:
        """The latest time recorded in the history: later changes must not predate it."""
        times = [self.created_at, self.password_changed_at]
        for g in self.roles_history:
            times += [g.granted_at] + ([g.revoked_at] if g.revoked_at else [])
        if self.disabled_at:
            times.append(self.disabled_at)
        return max(times)

    def replace(self, **changes: Any) -> Account:
        """A validated copy with `changes` applied."""
        return _validate({**dict(self), **changes}, self.name)

    def to_json(self) -> bytes:
        return (self.model_dump_json(indent=2) + "\n").encode("utf-8")


def _validate(data: dict[str, Any], name: str) -> Account:
    try:
        return Account.model_validate(data)
    except ValidationError as exc:
        # pydantic quotes input values (hashes, sealed blobs): report locations only.
        where = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()) or "record"
        raise InputError(f"account {name} is malformed at {where}") from None


def account_from_json(raw: bytes, name: str) -> Account:
    try:
        account = Account.model_validate_json(raw)
    except ValidationError as exc:
        where = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()) or "record"
        raise InputError(f"account file {name}.json is malformed at {where}") from None
    if account.name != name:
        raise InputError(f"account file {name}.json holds another account")
    return account
