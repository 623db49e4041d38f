"""Approvals: a controller signs a manifest's digest (or a purge) with their personal key.

An approval is `{kind, manifest, digest, by, at, role, public_key, signature}`; the signature is
Ed25519 over the canonical JSON of everything but the signature. Verification checks the
signature against the key the account held at that time, that the account was active and held
the controller role then, and that the signer is not the manifest's author.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from ariane.accounts.store import AccountStore
from ariane.crypto.digest import canonical_json
from ariane.crypto.sign import SigningKey, verify_signature
from ariane.errors import IntegrityError, PolicyError

FORMAT = "ariane.approval/1"
CONTROLLER = "controller"


def sign_approval(
    key: SigningKey, kind: str, manifest: str, digest: str, by: str, at: dt.datetime
) -> dict[str, Any]:
    body = {
        "format": FORMAT,
        "kind": kind,
        "manifest": manifest,
        "digest": digest,
        "by": by,
        "at": at.isoformat(),
        "role": CONTROLLER,
        "public_key": key.public_b64,
    }
    return {**body, "signature": base64.b64encode(key.sign(canonical_json(body))).decode()}


def verify_approval(
    approval: dict[str, Any],
    accounts: AccountStore | None,
    kind: str,
    manifest: str,
    digest: str,
    author: str,
) -> None:
    """Raise unless `approval` is a valid controller approval of this digest by another person.

    Without an account store (the recipient's side), the signature is checked against the key
    the approval carries; with one, that key must be the signer's key at the time of signing.
    """
    body = {k: v for k, v in approval.items() if k != "signature"}
    by = str(approval.get("by", "?"))
    if (body.get("format"), body.get("kind"), body.get("manifest"), body.get("digest")) != (
        FORMAT,
        kind,
        manifest,
        digest,
    ):
        raise PolicyError(f"the approval by {by} is not an approval of this {kind}")
    if by == author:
        raise PolicyError(f"{by} drafted manifest {manifest} and cannot approve it")
    try:
        signature = base64.b64decode(str(approval["signature"]), validate=True)
        at = dt.datetime.fromisoformat(str(approval["at"]))
    except (KeyError, ValueError):
        raise IntegrityError(f"the approval by {by} is malformed") from None
    verify_signature(str(body["public_key"]), canonical_json(body), signature)
    if accounts is None:
        return
    if not accounts.exists(by) or not accounts.was_active_at(by, at):
        raise PolicyError(f"the approval by {by} was not given by an active account")
    if CONTROLLER not in accounts.roles_at(by, at):
        raise PolicyError(f"{by} was not a controller when approving {manifest}")
    if accounts.public_key_at(by, at) != body["public_key"]:
        raise IntegrityError(f"the approval by {by} is not signed with {by}'s key")
