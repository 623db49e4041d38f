"""People in a workspace: the first administrator, account administration, login and logout.

Every call is audited, refusals included; failed logins and concurrent use raise alerts. An
administrator manages accounts and holds no data role (the account store refuses admin combined
with another role), so the person who creates accounts cannot read or move data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ariane.accounts.auth import change_password, failure_reason
from ariane.accounts.record import Account
from ariane.accounts.session import Login, Session, alert_of
from ariane.accounts.store import Created
from ariane.audit import alerts
from ariane.engine.actor import Actor, audited, require_role
from ariane.engine.workspace import Workspace
from ariane.errors import PolicyError

ADMIN = "admin"


def bootstrap_admin(
    ws: Workspace, name: str, full_name: str, password: str, place: Actor, now: dt.datetime
) -> Created:
    """Create the first account, an administrator; refused once any account exists."""
    actor = Actor(name, place.os_user, place.host)
    with audited(ws, actor, "account.bootstrap", now) as ev:
        if ws.accounts.list():
            raise PolicyError("the workspace already has accounts; an administrator creates them")
        created = ws.accounts.create(name, full_name, [ADMIN], password, now, by="ariane-init")
        ev.details = {"account": name, "roles": [ADMIN]}
        return created


def create_account(
    ws: Workspace,
    actor: Actor,
    name: str,
    full_name: str,
    roles: Iterable[str],
    password: str,
    now: dt.datetime,
) -> Created:
    roles = sorted(roles)
    with audited(ws, actor, "account.create", now) as ev:
        ev.details = {"account": name, "roles": roles}
        require_role(ws, actor, (ADMIN,), now)
        return ws.accounts.create(name, full_name, roles, password, now, by=actor.name)


def disable_account(ws: Workspace, actor: Actor, name: str, now: dt.datetime) -> Account:
    with audited(ws, actor, "account.disable", now) as ev:
        ev.details = {"account": name}
        require_role(ws, actor, (ADMIN,), now)
        return ws.accounts.disable(name, now, by=actor.name)


def set_roles(
    ws: Workspace, actor: Actor, name: str, roles: Iterable[str], now: dt.datetime
) -> Account:
    roles = sorted(roles)
    with audited(ws, actor, "account.roles", now) as ev:
        ev.details = {"account": name, "roles": roles}
        require_role(ws, actor, (ADMIN,), now)
        return ws.accounts.set_roles(name, roles, now, by=actor.name)


def reset_password(
    ws: Workspace, actor: Actor, name: str, temporary: str, now: dt.datetime
) -> Account:
    with audited(ws, actor, "account.reset", now) as ev:
        ev.details = {"account": name}
        require_role(ws, actor, (ADMIN,), now)
        return ws.accounts.reset_password(name, temporary, now, by=actor.name)


def change_own_password(
    ws: Workspace, actor: Actor, old: str, totp: str | None, new: str, now: dt.datetime
) -> str | None:
    with audited(ws, actor, "account.passwd", now):
        return change_password(ws.accounts, actor.name, old, totp, new, now)


def login(
    ws: Workspace, name: str, password: str, totp: str | None, place: Actor, now: dt.datetime
) -> Login:
    """Open a session; a refusal is audited, with an alert for repeated failures or
    concurrent use from another OS user or host."""
    who = name if ws.accounts.exists(name) else "-"
    actor = Actor(who, place.os_user, place.host)
    with audited(ws, actor, "login", now) as ev:
        try:
            result = ws.sessions.login(name, password, totp, place.os_user, place.host, now)
        except PolicyError as e:
            reason = failure_reason(e)
            ev.details = {"reason": reason or "refused"}
            concurrent = alert_of(e)
            if concurrent is not None:
                ev.alert = concurrent
            elif reason in ("password", "totp", "locked"):
                previous = alerts.recent_failures(ws.audit.events(), who, now)
                ev.alert = alerts.failed_login_alert(previous)
            raise
        ev.details = {"expires_at": result.session.expires_at.isoformat()}
        return result


def logout(ws: Workspace, token: str, place: Actor, now: dt.datetime) -> Session:
    session = ws.sessions.logout(token)
    with audited(ws, Actor(session.account, place.os_user, place.host), "logout", now):
        return session


def session_actor(ws: Workspace, token: str, place: Actor, now: dt.datetime) -> Actor:
    """The person behind a session token, checked against this OS user and host."""
    try:
        session = ws.sessions.touch(token, place.os_user, place.host, now)
    except PolicyError as e:
        alert = alert_of(e)
        ws.audit.append(
            now,
            "-",
            place.os_user,
            place.host,
            "session",
            "refused",
            details={"error": "PolicyError"},
            alert=alert or alerts.REFUSED_COMMAND,
        )
        raise
    return Actor(session.account, place.os_user, place.host)
