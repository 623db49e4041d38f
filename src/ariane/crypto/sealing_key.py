"""Secrets guarded by a person's password: password hashes, password-derived sealing keys, seals.

- `hash_password` / `verify_password`: Argon2id PHC strings (argon2-cffi `PasswordHasher`). The
  string carries its own salt and parameters, so raising the default cost later keeps old hashes
  verifiable.
- `derive_key`: a 256-bit key from a password with Argon2id raw output and its own salt, distinct
  from the hash's salt, so the stored hash never helps to compute the key.
- `seal` / `open_sealed`: AES-256-GCM, blob = 12-byte random nonce || ciphertext || 16-byte tag.
  `aad` binds a blob to its place (account, purpose): a blob moved elsewhere does not open.
- `random_secret`: bytes for salts, TOTP seeds and session tokens, from an injectable source.

Default cost: RFC 9106 §4 "second recommended option" (t=3, m=64 MiB, p=4), about 0.2 s per
operation on the project's 2-core machines. Tests pass a lower `Argon2Cost`; nothing reads it
from the environment.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ariane.errors import IntegrityError, KeyMaterialError, UsageError

KEY_BYTES = 32
SALT_BYTES = 16
NONCE_BYTES = 12
TAG_BYTES = 16


@dataclass(frozen=True)
class Argon2Cost:
    """Argon2id work factors: passes, memory in KiB, lanes."""

    time_cost: int
    memory_kib: int
    parallelism: int

    def __post_init__(self) -> None:
        if self.time_cost < 1 or self.parallelism < 1 or self.memory_kib < 8 * self.parallelism:
            raise UsageError("Argon2 cost needs t >= 1, p >= 1 and m >= 8 * p KiB")


DEFAULT_COST = Argon2Cost(time_cost=3, memory_kib=64 * 1024, parallelism=4)


def random_secret(size: int, randbytes: Callable[[int], bytes] = os.urandom) -> bytes:
    """`size` bytes from `randbytes` (injectable so that tests can be exact)."""
    data = randbytes(size)
    if len(data) != size:
        raise KeyMaterialError(f"random source returned other than {size} bytes")
    return data


def _hasher(cost: Argon2Cost) -> PasswordHasher:
    return PasswordHasher(
        time_cost=cost.time_cost,
        memory_cost=cost.memory_kib,
        parallelism=cost.parallelism,
        hash_len=KEY_BYTES,
        salt_len=SALT_BYTES,
        type=Type.ID,
    )


def hash_password(password: str, cost: Argon2Cost = DEFAULT_COST) -> str:
    """The Argon2id PHC string of `password` (fresh random salt)."""
    return _hasher(cost).hash(password)


def verify_password(encoded: str, password: str) -> None:
    """KeyMaterialError unless `password` matches; a malformed hash is an IntegrityError."""
    try:
        _hasher(DEFAULT_COST).verify(encoded, password)  # parameters come from `encoded`
    except VerifyMismatchError:
        raise KeyMaterialError("wrong password") from None
    except (InvalidHashError, VerificationError):
        raise IntegrityError("stored password hash is malformed") from None


def derive_key(password: str, salt: bytes, cost: Argon2Cost = DEFAULT_COST) -> bytes:
    """A 32-byte AES key from `password` and a salt of at least 16 bytes (Argon2id raw)."""
    if len(salt) < SALT_BYTES:
        raise KeyMaterialError(f"key derivation salt must have at least {SALT_BYTES} bytes")
    return hash_secret_raw(
        password.encode("utf-8"),
        salt,
        time_cost=cost.time_cost,
        memory_cost=cost.memory_kib,
        parallelism=cost.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def _aead(key: bytes) -> AESGCM:
    if len(key) != KEY_BYTES:
        raise KeyMaterialError(f"sealing key must be {KEY_BYTES} bytes")
    return AESGCM(key)


def seal(
    key: bytes, plaintext: bytes, aad: bytes, randbytes: Callable[[int], bytes] = os.urandom
) -> bytes:
    """AES-256-GCM under `key` with a fresh random nonce; `aad` is authenticated, not stored."""
    nonce = random_secret(NONCE_BYTES, randbytes)
    return nonce + _aead(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, blob: bytes, aad: bytes, *, what: str = "sealed data") -> bytes:
    """Open a `seal` blob. Truncated: IntegrityError; wrong key, aad or altered: KeyMaterialError.

    GCM cannot tell a wrong key from an altered blob; callers that have already verified the
    password know it is the latter and say so.
    """
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise IntegrityError(f"{what} is truncated")
    try:
        return _aead(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag:
        raise KeyMaterialError(f"{what} does not open with this key") from None
