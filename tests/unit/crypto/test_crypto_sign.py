"""Ed25519 signatures."""

from __future__ import annotations

import base64

import pytest

from ariane.crypto.sign import (
    SigningKey,
    check_public_b64,
    signature_from_text,
    signature_to_text,
    verify_signature,
)
from ariane.errors import InputError, IntegrityError, KeyMaterialError


def _fixed(n: int) -> bytes:
    return bytes(range(n))


def test_sign_and_verify() -> None:
    key = SigningKey.generate()
    sig = key.sign(b"index bytes")
    assert len(sig) == 64
    verify_signature(key.public_b64, b"index bytes", sig)


def test_generate_uses_the_given_random_source() -> None:
    a = SigningKey.generate(_fixed)
    b = SigningKey.generate(_fixed)
    assert a.public_b64 == b.public_b64
    assert a.private_bytes() == _fixed(32)


def test_private_bytes_round_trip() -> None:
    key = SigningKey.generate()
    again = SigningKey.from_private_bytes(key.private_bytes())
    assert again.public_b64 == key.public_b64
    with pytest.raises(KeyMaterialError):
        SigningKey.from_private_bytes(b"short")


def test_altered_message_signature_or_key_is_refused() -> None:
    key, other = SigningKey.generate(), SigningKey.generate()
    sig = key.sign(b"message")
    with pytest.raises(IntegrityError):
        verify_signature(key.public_b64, b"messagf", sig)
    flipped = bytes([sig[0] ^ 1]) + sig[1:]
    with pytest.raises(IntegrityError):
        verify_signature(key.public_b64, b"message", flipped)
    with pytest.raises(IntegrityError):
        verify_signature(key.public_b64, b"message", sig[:-1])
    with pytest.raises(IntegrityError):
        verify_signature(other.public_b64, b"message", sig)


def test_malformed_public_key_is_an_input_error() -> None:
    with pytest.raises(InputError):
        check_public_b64("not base64!")
    with pytest.raises(InputError):
        check_public_b64(base64.b64encode(b"x" * 31).decode())
    assert check_public_b64(SigningKey.generate().public_b64)


def test_signature_text_form() -> None:
    sig = SigningKey.generate().sign(b"m")
    assert signature_from_text(signature_to_text(sig) + "\n") == sig
    with pytest.raises(IntegrityError):
        signature_from_text("@@@")
    with pytest.raises(IntegrityError):
        signature_from_text(base64.b64encode(sig[:10]).decode())


def test_repr_does_not_show_the_private_key() -> None:
    key = SigningKey.generate(_fixed)
    assert base64.b64encode(_fixed(32)).decode() not in repr(key)
    assert _fixed(32).hex() not in repr(key)
