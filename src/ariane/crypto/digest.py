"""SHA-256 digests and the canonical JSON form (RFC 8785) that manifests and indexes are hashed in.

A digest names content without revealing it; the canonical form makes the digest of a document
independent of key order and whitespace, so two parties hashing the same object agree.
"""

from __future__ import annotations

import hashlib
from typing import Any, cast

import rfc8785

from ariane.errors import InputError

BytesLike = bytes | bytearray | memoryview


def sha256_hex(data: BytesLike) -> str:
    """Lowercase hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


class Sha256:
    """Incremental SHA-256 for streams (files, ciphertext as it is written)."""

    __slots__ = ("_h", "size")

    def __init__(self) -> None:
        self._h = hashlib.sha256()
        self.size = 0  # bytes seen: a hash and a length are usually checked together

    def update(self, data: BytesLike) -> None:
        self._h.update(data)
        self.size += len(data) if not isinstance(data, memoryview) else data.nbytes

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def canonical_json(obj: object) -> bytes:
    """RFC 8785 (JCS) serialisation: sorted keys, no whitespace, ES6 number format, UTF-8."""
    try:
        return rfc8785.dumps(cast(Any, obj))  # rfc8785 checks the types itself
    except (rfc8785.CanonicalizationError, TypeError, ValueError):
        # rfc8785's message may quote the offending value: drop it and its chain.
        raise InputError("document cannot be written as canonical JSON") from None


def canonical_digest(obj: object) -> str:
    """SHA-256 hex of the canonical JSON form of `obj`."""
    return sha256_hex(canonical_json(obj))
