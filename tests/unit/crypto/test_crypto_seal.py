"""age sealing to X25519 recipients."""

from __future__ import annotations

import io

import pytest

from ariane.crypto.seal import (
    check_recipient,
    decrypt_bytes,
    decrypt_stream,
    encrypt_bytes,
    encrypt_stream,
    new_identity,
    recipient_of,
)
from ariane.errors import InputError, IntegrityError, KeyMaterialError


@pytest.fixture(scope="module")
def pair() -> tuple[str, str]:
    return new_identity()


def test_round_trip(pair: tuple[str, str]) -> None:
    identity, recipient = pair
    assert identity.startswith("AGE-SECRET-KEY-1")
    assert recipient.startswith("age1")
    assert recipient_of(identity) == recipient
    data = b"ZZMARKERZZ" * 10_000
    sealed = encrypt_bytes(data, recipient)
    assert sealed.startswith(b"age-encryption.org/v1\n")
    assert b"ZZMARKERZZ" not in sealed
    assert decrypt_bytes(sealed, identity) == data


def test_streams(pair: tuple[str, str]) -> None:
    identity, recipient = pair
    data = bytes(range(256)) * 1000  # several 64 KiB age chunks
    sealed, plain = io.BytesIO(), io.BytesIO()
    encrypt_stream(io.BytesIO(data), sealed, recipient)
    decrypt_stream(io.BytesIO(sealed.getvalue()), plain, identity)
    assert plain.getvalue() == data


def test_empty_plaintext(pair: tuple[str, str]) -> None:
    identity, recipient = pair
    assert decrypt_bytes(encrypt_bytes(b"", recipient), identity) == b""


def test_wrong_identity_is_key_material_error(pair: tuple[str, str]) -> None:
    _, recipient = pair
    other, _ = new_identity()
    with pytest.raises(KeyMaterialError, match="part x is not sealed to this key"):
        decrypt_bytes(encrypt_bytes(b"secret", recipient), other, what="part x")


def test_flipped_payload_byte_is_integrity_error(pair: tuple[str, str]) -> None:
    identity, recipient = pair
    sealed = bytearray(encrypt_bytes(b"x" * 1000, recipient))
    sealed[-20] ^= 0x01
    with pytest.raises(IntegrityError, match="part y does not decrypt"):
        decrypt_bytes(bytes(sealed), identity, what="part y")


def test_truncation_and_garbage_are_integrity_errors(pair: tuple[str, str]) -> None:
    identity, recipient = pair
    sealed = encrypt_bytes(b"x" * 100_000, recipient)
    for bad in (sealed[:-1], sealed[: len(sealed) // 2], b"", b"not age at all"):
        with pytest.raises(IntegrityError):
            decrypt_bytes(bad, identity)


@pytest.mark.parametrize("bad", ["", "age1", "age1xyz", "AGE-SECRET-KEY-1ABC", "ssh-ed25519 AAAA"])
def test_malformed_recipient_is_input_error(bad: str) -> None:
    with pytest.raises(InputError):
        check_recipient(bad)
    with pytest.raises(InputError):
        encrypt_bytes(b"x", bad)


def test_malformed_identity_is_key_material_error(pair: tuple[str, str]) -> None:
    _, recipient = pair
    with pytest.raises(KeyMaterialError):
        decrypt_bytes(encrypt_bytes(b"x", recipient), "AGE-SECRET-KEY-1NOPE")
