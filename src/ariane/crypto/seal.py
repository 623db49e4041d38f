"""age encryption to X25519 recipients ("age1…") and decryption with identities.

Any party holding the identity can open what is sealed here with the standard `age` tool.

Errors: a ciphertext whose header names no stanza for the given identity ("No matching keys
found") raises KeyMaterialError — the key is wrong, the data may be fine. Every other failure
(truncation, a flipped byte in the payload, garbage) raises IntegrityError. A tampered recipient
stanza is indistinguishable from a wrong key to age itself, so callers that can (the package
reader) check a ciphertext hash before decrypting to report tampering as such.
"""

from __future__ import annotations

import io
from typing import Protocol

import pyrage
from pyrage import x25519

from ariane.errors import InputError, IntegrityError, KeyMaterialError

_NO_MATCHING_KEY = "No matching keys found"


class Reader(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class Writer(Protocol):
    def write(self, data: bytes, /) -> int: ...


def _recipient(recipient: str) -> x25519.Recipient:
    if not isinstance(recipient, str) or not recipient.startswith("age1"):
        raise InputError("malformed age recipient")
    try:
        return x25519.Recipient.from_str(recipient)
    except pyrage.RecipientError:
        raise InputError("malformed age recipient") from None


def _identity(identity_str: str) -> x25519.Identity:
    try:
        return x25519.Identity.from_str(identity_str.strip())
    except (pyrage.IdentityError, ValueError, AttributeError):
        raise KeyMaterialError("malformed age identity") from None


def check_recipient(recipient: str) -> str:
    """Validate an X25519 age recipient string (InputError when malformed); returns it."""
    return str(_recipient(recipient))


def new_identity() -> tuple[str, str]:
    """A fresh X25519 identity: (AGE-SECRET-KEY-1… line, age1… recipient)."""
    identity = x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def recipient_of(identity_str: str) -> str:
    """The age1… recipient that matches an identity."""
    return str(_identity(identity_str).to_public())


def encrypt_stream(reader: Reader, writer: Writer, recipient: str) -> None:
    """Seal everything `reader` yields into `writer` (age streams in 64 KiB chunks)."""
    try:
        pyrage.encrypt_io(reader, writer, [_recipient(recipient)])
    except pyrage.EncryptError:
        raise IntegrityError("age encryption failed") from None


def encrypt_bytes(data: bytes, recipient: str) -> bytes:
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(data), out, recipient)
    return out.getvalue()


def decrypt_stream(
    reader: Reader, writer: Writer, identity_str: str, *, what: str = "ciphertext"
) -> None:
    """Open an age stream. `writer` may have received part of the plaintext when this raises."""
    identity = _identity(identity_str)
    try:
        pyrage.decrypt_io(reader, writer, [identity])
    except pyrage.DecryptError as exc:
        if str(exc) == _NO_MATCHING_KEY:
            raise KeyMaterialError(f"{what} is not sealed to this key") from None
        raise IntegrityError(f"{what} does not decrypt") from None
    except OSError as exc:
        # A failed payload chunk surfaces from the stream as OSError("decryption error") with no
        # errno; a real I/O error of `reader` or `writer` carries one and is not ours to relabel.
        if exc.errno is not None:
            raise
        raise IntegrityError(f"{what} does not decrypt") from None


def decrypt_bytes(ciphertext: bytes, identity_str: str, *, what: str = "ciphertext") -> bytes:
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(ciphertext), out, identity_str, what=what)
    return out.getvalue()
