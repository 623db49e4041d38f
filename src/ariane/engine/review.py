"""A controller's refusal of a submitted manifest: `reject`, with a written reason.

Rejection is the other answer to `approve`: the same role (controller, never the author), the
same state (a draft), audited alike. The manifest leaves the line ("rejected"); its author may
submit a new version, which starts again as a draft and needs a new decision.

The reason is the controller's free text. It is kept in the manifest's state (the people of the
procedure read it) but the audit log keeps only its SHA-256 and length: the log holds ids, counts
and digests, never words someone typed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ariane.crypto.digest import sha256_hex
from ariane.engine.actor import Actor, audited, require_role
from ariane.engine.workspace import Workspace
from ariane.errors import PolicyError, UsageError
from ariane.manifest.load import manifest_digest
from ariane.manifest.schema import Manifest

CONTROLLER = "controller"
REASON_MIN, REASON_MAX = 10, 1000


def normalise_reason(reason: str) -> str:
    """One line, inner whitespace collapsed; UsageError unless 10 to 1000 printable characters."""
    text = " ".join(reason.split()) if isinstance(reason, str) else ""
    if not REASON_MIN <= len(text) <= REASON_MAX or not text.isprintable():
        raise UsageError(
            f"a rejection needs a written reason of {REASON_MIN} to {REASON_MAX} characters"
        )
    return text


def decidable(
    ws: Workspace, mid: str, actor: Actor, now: dt.datetime, ev: Any, step: str, verb: str
) -> tuple[dict[str, Any], Manifest, str]:
    """What a controller's decision on `mid` needs: the role, the submitted version unchanged,
    and someone other than its author (withdrawing one's own draft is not a decision on it).
    Returns the state, the manifest and its digest."""
    require_role(ws, actor, (CONTROLLER,), now)
    st = ws.require_state(mid, step)
    manifest = ws.manifest(mid)
    digest = manifest_digest(manifest)
    ev.details = {"digest": digest}
    if digest != st["digest"]:
        raise PolicyError(f"manifest {mid} changed since it was submitted; submit it again")
    if actor.name == manifest.author:
        raise PolicyError(f"{actor.name} drafted manifest {mid} and cannot {verb}")
    return st, manifest, digest


def reject(ws: Workspace, mid: str, actor: Actor, reason: str, now: dt.datetime) -> dict[str, Any]:
    """A controller refuses the submitted version of `mid`; returns the rejection record."""
    with audited(ws, actor, "manifest.reject", now, mid) as ev:
        st, _, digest = decidable(ws, mid, actor, now, ev, "reject", "decide on it")
        text = normalise_reason(reason)
        rejection = {"digest": digest, "by": actor.name, "at": now.isoformat(), "reason": text}
        ws.set_state(mid, {**st, "rejection": rejection}, "rejected", actor.name, now)
        ev.details = {
            "digest": digest,
            "reason_sha256": sha256_hex(text.encode("utf-8")),
            "reason_chars": len(text),
        }
        return rejection
