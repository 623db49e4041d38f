"""Sealing an account's secrets (TOTP seed, Ed25519 private key) under its password.

key = Argon2id(password, per-account salt) (`crypto.sealing_key.derive_key`); each secret is
sealed with AES-GCM and an associated data naming the account and the purpose, so a sealed blob
copied into another account's file, or into the other field, does not open.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from ariane.accounts.record import Kdf
from ariane.crypto.sealing_key import (
    SALT_BYTES,
    Argon2Cost,
    derive_key,
    open_sealed,
    random_secret,
    seal,
)
from ariane.errors import IntegrityError, KeyMaterialError

TOTP_SEED = "totp-seed"
SIGNING_KEY = "signing-key"


@dataclass(frozen=True)
class Unsealer:
    """The password-derived key of one account, held in memory only while it is needed."""

    account: str
    key: bytes = field(repr=False)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError):
        raise IntegrityError(f"{what} is not valid base64") from None


def _aad(account: str, purpose: str) -> bytes:
    return f"ariane.account/1\x00{purpose}\x00{account}".encode()


def new_kdf(
    account: str, password: str, cost: Argon2Cost, randbytes: Callable[[int], bytes] = os.urandom
) -> tuple[Kdf, Unsealer]:
    """A fresh salt (re-sealing always changes it) and the key it derives from `password`."""
    salt = random_secret(SALT_BYTES, randbytes)
    kdf = Kdf(
        salt=_b64(salt),
        time_cost=cost.time_cost,
        memory_kib=cost.memory_kib,
        parallelism=cost.parallelism,
    )
    return kdf, Unsealer(account, derive_key(password, salt, cost))


def unsealer(account: str, kdf: Kdf, password: str) -> Unsealer:
    cost = Argon2Cost(kdf.time_cost, kdf.memory_kib, kdf.parallelism)
    return Unsealer(account, derive_key(password, _unb64(kdf.salt, "key salt"), cost))


def seal_secret(
    u: Unsealer, purpose: str, secret: bytes, randbytes: Callable[[int], bytes] = os.urandom
) -> str:
    return _b64(seal(u.key, secret, _aad(u.account, purpose), randbytes))


def open_secret(u: Unsealer, purpose: str, sealed: str) -> bytes:
    """Open a sealed secret. Called after the password hash verified, so a failure means an
    altered or misplaced blob: IntegrityError, not "wrong password"."""
    what = f"sealed {purpose} of account {u.account}"
    try:
        return open_sealed(u.key, _unb64(sealed, what), _aad(u.account, purpose), what=what)
    except KeyMaterialError:
        raise IntegrityError(f"{what} does not open: the account file was altered") from None
