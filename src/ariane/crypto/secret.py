"""The migration's pseudonymisation secret and the keyed pseudonym recipe.

pseudonym(v) = hex(HMAC-SHA256(secret, domain || 0x00 || utf8(v))[:16]). The domain (e.g.
"patient") separates identifier spaces, so equal strings in two domains get unrelated
pseudonyms; NUL cannot occur in a domain, so the encoding is unambiguous. Keyed, not a bare
hash: without the secret nobody can confirm a guessed NIR against a pseudonym.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
from cryptography.hazmat.primitives import hashes, hmac

from ariane.crypto.files import write_atomic
from ariane.crypto.passphrase import (
    check_passphrase_policy,
    decrypt_with_passphrase,
    encrypt_with_passphrase,
)
from ariane.errors import IntegrityError, KeyMaterialError, UsageError

SECRET_BYTES = 32
PSEUDONYM_BYTES = 16  # 128 bits: collisions negligible for any lab's population


def new_secret(randbytes: Callable[[int], bytes] = os.urandom) -> bytes:
    secret = randbytes(SECRET_BYTES)
    if len(secret) != SECRET_BYTES:
        raise KeyMaterialError(f"random source returned other than {SECRET_BYTES} bytes")
    return secret


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes) or len(secret) != SECRET_BYTES:
        raise KeyMaterialError(f"pseudonymisation secret must be {SECRET_BYTES} bytes")


def seal_secret(secret: bytes, path: Path, passphrase: str) -> None:
    """Store the secret under a passphrase (new 0600 file, atomic; an existing file is refused)."""
    _check_secret(secret)
    check_passphrase_policy(passphrase)
    write_atomic(path, encrypt_with_passphrase(secret, passphrase))


def open_secret(path: Path, passphrase: str) -> bytes:
    try:
        sealed = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"no pseudonymisation secret at {path.name}") from None
    secret = decrypt_with_passphrase(sealed, passphrase, what="the pseudonymisation secret")
    if len(secret) != SECRET_BYTES:
        raise IntegrityError(f"pseudonymisation secret in {path.name} has the wrong length")
    return secret


PY_SLICE = 65_536


def _pseudonyms_of_chunk(secret: bytes, prefix: bytes, values: pa.Array) -> pa.Array:
    raw = values.cast(pa.large_binary() if pa.types.is_large_string(values.type) else pa.binary())
    keyed = hmac.HMAC(secret, hashes.SHA256())
    keyed.update(prefix)
    # Copying a pre-keyed HMAC skips the two key-block compressions per value; this loop is
    # the hot path (~1M values/s), so it stays free of attribute lookups and function calls.
    copy = keyed.copy
    out: list[str | None] = []
    append = out.append
    for v in raw.to_pylist():
        if v is None:
            append(None)
        else:
            h = copy()
            h.update(v)
            append(h.finalize()[:PSEUDONYM_BYTES].hex())
    return pa.array(out, type=pa.string())


def pseudonyms(secret: bytes, domain: str, values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Pseudonyms (32 lowercase hex chars) of a string array; nulls stay null."""
    _check_secret(secret)
    if not isinstance(domain, str) or not domain or "\x00" in domain:
        raise UsageError("pseudonym domain must be a non-empty string without NUL")
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        raise UsageError("pseudonyms are computed over string columns only")
    prefix = domain.encode("utf-8") + b"\x00"
    arrays = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    # Python objects exist only for one slice at a time: a million identifiers as Python
    # strings would cost hundreds of MB that the allocator keeps after they are freed.
    chunks = [
        _pseudonyms_of_chunk(secret, prefix, a.slice(start, PY_SLICE))
        for a in arrays
        for start in range(0, len(a), PY_SLICE)
    ]
    return pa.concat_arrays(chunks) if chunks else pa.array([], type=pa.string())
