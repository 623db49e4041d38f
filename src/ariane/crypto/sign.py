"""Ed25519 signatures: who produced an index, an approval, an audit line.

Public keys travel as standard base64 of their 32 raw bytes; signatures are 64 raw bytes.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ariane.errors import InputError, IntegrityError, KeyMaterialError

KEY_BYTES = 32
SIGNATURE_BYTES = 64


def _b64decode(text: str, size: int, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise InputError(f"{what} is not valid base64") from None
    if len(raw) != size:
        raise InputError(f"{what} must be {size} bytes")
    return raw


def _public_key(public_b64: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(
        _b64decode(public_b64, KEY_BYTES, "Ed25519 public key")
    )


def check_public_b64(public_b64: str) -> str:
    """Validate an Ed25519 public key in base64 (InputError when malformed); returns it."""
    _public_key(public_b64)
    return public_b64


class SigningKey:
    """An Ed25519 private key. Its repr never shows the key."""

    __slots__ = ("_key",)

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key

    @classmethod
    def generate(cls, randbytes: Callable[[int], bytes] = os.urandom) -> SigningKey:
        """A new key from `randbytes` (injectable so that tests can be exact)."""
        return cls.from_private_bytes(randbytes(KEY_BYTES))

    @classmethod
    def from_private_bytes(cls, raw: bytes) -> SigningKey:
        if len(raw) != KEY_BYTES:
            raise KeyMaterialError(f"Ed25519 private key must be {KEY_BYTES} bytes")
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    def private_bytes(self) -> bytes:
        return self._key.private_bytes_raw()

    @property
    def public_b64(self) -> str:
        return base64.b64encode(self._key.public_key().public_bytes_raw()).decode("ascii")

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def __repr__(self) -> str:
        return f"SigningKey(public={self.public_b64})"


def verify_signature(public_b64: str, message: bytes, signature: bytes) -> None:
    """Raise IntegrityError unless `signature` is `public_b64`'s signature over `message`."""
    key = _public_key(public_b64)
    if len(signature) != SIGNATURE_BYTES:
        raise IntegrityError("signature does not verify")
    try:
        key.verify(signature, message)
    except InvalidSignature:
        raise IntegrityError("signature does not verify") from None


def signature_to_text(signature: bytes) -> str:
    """The base64 text form in which signatures are stored in files."""
    return base64.b64encode(signature).decode("ascii")


def signature_from_text(text: str) -> bytes:
    """Parse a stored signature; a malformed one is an IntegrityError (it was signed text)."""
    try:
        return _b64decode(text.strip(), SIGNATURE_BYTES, "signature")
    except InputError:
        raise IntegrityError("signature is malformed") from None
