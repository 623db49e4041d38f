"""Recipes of crypto/sealing_key.py: Argon2id hashes and keys, AES-GCM seals."""

from __future__ import annotations

import pytest

from ariane.crypto.sealing_key import (
    DEFAULT_COST,
    Argon2Cost,
    derive_key,
    hash_password,
    open_sealed,
    random_secret,
    seal,
    verify_password,
)
from ariane.errors import IntegrityError, KeyMaterialError, UsageError

CHEAP = Argon2Cost(time_cost=1, memory_kib=8, parallelism=1)
SALT = bytes(range(16))


def test_production_cost_is_rfc9106_second_recommendation() -> None:
    assert Argon2Cost(time_cost=3, memory_kib=65536, parallelism=4) == DEFAULT_COST
    with pytest.raises(UsageError):
        Argon2Cost(time_cost=1, memory_kib=8, parallelism=2)


def test_password_hash_verifies_and_refuses() -> None:
    encoded = hash_password("Vt9#kq2Lm$x7", CHEAP)
    assert encoded.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    verify_password(encoded, "Vt9#kq2Lm$x7")
    with pytest.raises(KeyMaterialError, match="wrong password") as err:
        verify_password(encoded, "Vt9#kq2Lm$x8")
    assert "Vt9" not in err.value.message
    with pytest.raises(IntegrityError, match="malformed"):
        verify_password("$argon2id$garbage", "Vt9#kq2Lm$x7")


def test_derived_key_depends_on_password_salt_and_cost() -> None:
    k = derive_key("Vt9#kq2Lm$x7", SALT, CHEAP)
    assert len(k) == 32 and k == derive_key("Vt9#kq2Lm$x7", SALT, CHEAP)
    assert k != derive_key("Vt9#kq2Lm$x8", SALT, CHEAP)
    assert k != derive_key("Vt9#kq2Lm$x7", bytes(16), CHEAP)
    assert k != derive_key("Vt9#kq2Lm$x7", SALT, Argon2Cost(2, 8, 1))
    with pytest.raises(KeyMaterialError, match="salt"):
        derive_key("Vt9#kq2Lm$x7", b"short", CHEAP)


def test_seal_opens_only_with_its_key_and_aad() -> None:
    key = derive_key("Vt9#kq2Lm$x7", SALT, CHEAP)
    blob = seal(key, b"secret seed", b"alice/totp")
    assert b"secret seed" not in blob
    assert open_sealed(key, blob, b"alice/totp") == b"secret seed"
    assert seal(key, b"secret seed", b"alice/totp") != blob  # fresh nonce each time
    with pytest.raises(KeyMaterialError):
        open_sealed(derive_key("other password!", SALT, CHEAP), blob, b"alice/totp")
    with pytest.raises(KeyMaterialError):
        open_sealed(key, blob, b"bob/totp")
    flipped = bytearray(blob)
    flipped[20] ^= 1
    with pytest.raises(KeyMaterialError):
        open_sealed(key, bytes(flipped), b"alice/totp")
    with pytest.raises(IntegrityError, match="truncated"):
        open_sealed(key, blob[:20], b"alice/totp")
    with pytest.raises(KeyMaterialError, match="32 bytes"):
        seal(b"short", b"x", b"")


def test_random_secret_checks_its_source() -> None:
    assert random_secret(4, lambda n: b"\x01" * n) == b"\x01\x01\x01\x01"
    with pytest.raises(KeyMaterialError):
        random_secret(4, lambda n: b"\x01")
