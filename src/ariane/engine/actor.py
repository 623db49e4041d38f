"""The person acting: an account, from an operating-system user on a host.

Every procedure step takes an Actor, checks the role the step needs at that moment, and records
itself in the audit log, whether it succeeds, is refused or fails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ariane.audit import alerts
from ariane.engine.workspace import Workspace
from ariane.errors import ArianeError, PolicyError


@dataclass(frozen=True)
class Actor:
    name: str
    os_user: str
    host: str


def require_role(ws: Workspace, actor: Actor, roles: tuple[str, ...], now: dt.datetime) -> None:
    held = ws.accounts.roles_at(actor.name, now)
    if not held & set(roles):
        raise PolicyError(
            f"{actor.name} does not hold the role {' or '.join(roles)} needed for this step"
        )


@dataclass
class Audited:
    """What a step tells the audit log: details (ids, counts, digests) and an optional alert."""

    manifest: str | None = None
    package: str | None = None
    details: dict[str, Any] | None = None
    alert: str | None = None


@contextmanager
def audited(
    ws: Workspace, actor: Actor, action: str, now: dt.datetime, manifest: str | None = None
) -> Iterator[Audited]:
    """Append one event for the step: ok, refused (policy, scope, input) or error."""
    record = Audited(manifest=manifest)
    try:
        yield record
    except ArianeError as e:
        outcome = "refused" if e.exit_code in (2, 3, 4, 5, 7, 11) else "error"
        alert = record.alert or (alerts.REFUSED_COMMAND if outcome == "refused" else None)
        details = {**(record.details or {}), "error": type(e).__name__}
        ws.audit.append(
            now,
            actor.name,
            actor.os_user,
            actor.host,
            action,
            outcome,
            record.manifest,
            record.package,
            details,
            alert,
        )
        raise
    ws.audit.append(
        now,
        actor.name,
        actor.os_user,
        actor.host,
        action,
        "ok",
        record.manifest,
        record.package,
        record.details,
        record.alert,
    )
