"""Signed checkpoints: a person's Ed25519 signature over the log's head at a procedure transition.

The hash chain alone shows edits to anyone who does not recompute it; someone who rewrites the
whole file and head.json can recompute every hash. A checkpoint is what they cannot recompute: it
binds (workspace, head seq, head hash) to a key they do not hold, so every event up to the last
checkpoint is protected even against a full rewrite.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ariane.audit.event import Event
from ariane.crypto.digest import canonical_json
from ariane.crypto.sign import (
    SigningKey,
    signature_from_text,
    signature_to_text,
    verify_signature,
)
from ariane.errors import IntegrityError, UsageError

FORMAT = "ariane.audit-checkpoint/1"
DETAIL_KEYS = frozenset({"head_seq", "head_hash", "signer", "public_key", "signature"})
_SIGNER = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,62}$")  # the key store's name rule


def checkpoint_message(workspace_id: str, head_seq: int, head_hash: str) -> bytes:
    """What is signed. `format` separates it from every other thing the same key signs."""
    return canonical_json(
        {"format": FORMAT, "workspace_id": workspace_id, "head_seq": head_seq,
         "head_hash": head_hash}
    )  # fmt: skip


def checkpoint_details(
    workspace_id: str, head_seq: int, head_hash: str, signer: str, key: SigningKey
) -> dict[str, Any]:
    if not isinstance(signer, str) or not _SIGNER.fullmatch(signer):
        raise UsageError("checkpoint signer must be a key name (^[a-z0-9][a-z0-9_.-]{1,62}$)")
    signature = key.sign(checkpoint_message(workspace_id, head_seq, head_hash))
    return {
        "head_seq": head_seq,
        "head_hash": head_hash,
        "signer": signer,
        "public_key": key.public_b64,
        "signature": signature_to_text(signature),
    }


def verify_checkpoint(
    event: Event, workspace_id: str, trusted_keys: Mapping[str, str], where: str
) -> str:
    """Raise IntegrityError unless `event` is a checkpoint signed by a trusted key over the
    event just before it; return the signer's name."""
    d = event.details
    if set(d) != DETAIL_KEYS:
        raise IntegrityError(f"{where}: checkpoint details are missing or unknown")
    if d["head_seq"] != event.seq - 1 or d["head_hash"] != event.prev:
        raise IntegrityError(f"{where}: checkpoint does not sign the event before it")
    signer = d["signer"]
    if not isinstance(signer, str) or signer not in trusted_keys:
        raise IntegrityError(f"{where}: checkpoint signer is not a trusted key")
    if d["public_key"] != trusted_keys[signer]:
        raise IntegrityError(f"{where}: checkpoint key is not the trusted key of its signer")
    if not isinstance(d["signature"], str):
        raise IntegrityError(f"{where}: checkpoint signature is malformed")
    message = checkpoint_message(workspace_id, event.seq - 1, event.prev)
    try:
        verify_signature(trusted_keys[signer], message, signature_from_text(d["signature"]))
    except IntegrityError:
        raise IntegrityError(f"{where}: checkpoint signature does not verify: forged") from None
    return signer
