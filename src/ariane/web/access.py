"""Who may see and do what in the console, checked on every request.

| page                              | controller | operator | recipient       | auditor | admin |
|-----------------------------------|------------|----------|-----------------|---------|-------|
| manifests waiting, manifest review| read       | read     | -               | -       | -     |
| approve / reject (POST)           | yes*       | -        | -               | -       | -     |
| runs, run, report (HTML, PDF)     | all        | all      | extracted and on| all     | -     |
| audit log                         | read       | -        | -               | read    | read  |
(* never the manifest's author; the library checks it again.)

The "party" rule: a recipient sees a run only once a package exists for it (state extracted,
loaded, reconciled or purged) — drafts, approvals and rejections are the laboratory's and the
processor's business. Every refusal is an audit event (outcome refused, alert refused-command).
The audit log is readable by the admin as in the CLI (`ariane audit show`): it names people,
ids and counts, never data.
"""

from __future__ import annotations

from contextlib import suppress
from typing import NoReturn

from starlette.datastructures import FormData
from starlette.requests import Request

from ariane.engine import people
from ariane.engine.actor import audited
from ariane.errors import ArianeError, PolicyError, UsageError
from ariane.manifest.schema import ID_PATTERN
from ariane.web.auth import CSRF_FIELD, place_of, same_token, session_csrf
from ariane.web.context import NeedSignIn, Refused, Visitor, config_of
from ariane.web.records import Migration, load_migration

READ_MANIFESTS = ("controller", "operator")
DECIDE = ("controller",)
READ_RUNS = ("controller", "operator", "recipient", "auditor")
READ_AUDIT = ("auditor", "controller", "admin")
RECIPIENT_STATES = frozenset({"extracted", "loaded", "reconciled", "purged"})
MAX_TOKEN = 128


def visitor(request: Request) -> Visitor:
    """The person whose session cookie came with the request (the store slides its expiry).

    A refused session (expired, logged out, from another address, disabled account) is audited
    by `people.session_actor`."""
    config = config_of(request)
    token = request.cookies.get(config.cookies.session)
    if not token:
        raise NeedSignIn(had_cookie=False)
    if len(token) > MAX_TOKEN or not token.isascii():
        raise NeedSignIn(had_cookie=True)
    ws, now = config.workspace, config.clock()
    try:
        actor = people.session_actor(ws, token, place_of(request), now)
        account = ws.accounts.get(actor.name)
    except ArianeError:
        raise NeedSignIn(had_cookie=True) from None
    return Visitor(actor, account.full_name, account.roles_at(now), token, session_csrf(token))


def refuse(
    request: Request, who: Visitor | None, action: str, message: str, manifest: str | None = None
) -> NoReturn:
    """Record the refusal in the audit log, then answer 403."""
    config = config_of(request)
    actor = who.actor if who is not None else place_of(request)
    with suppress(PolicyError), audited(config.workspace, actor, action, config.clock(), manifest):
        raise PolicyError(message)
    raise Refused(403, message)


def allow(
    request: Request, who: Visitor, action: str, roles: tuple[str, ...], manifest: str | None = None
) -> None:
    if not who.holds(*roles):
        refuse(request, who, action, f"{who.name} does not hold a role that may do this", manifest)


def manifest_id(request: Request) -> str:
    """The manifest id in the URL, checked before it reaches a path or the log."""
    mid = str(request.path_params.get("mid", ""))
    if not ID_PATTERN.fullmatch(mid):
        raise Refused(404, "no such manifest")
    return mid


def find_migration(request: Request, mid: str) -> Migration:
    try:
        return load_migration(config_of(request).workspace, mid)
    except UsageError:
        raise Refused(404, f"no manifest {mid} in this workspace") from None


def may_see_run(who: Visitor, state: str) -> bool:
    if who.holds("controller", "operator", "auditor"):
        return True
    return who.holds("recipient") and state in RECIPIENT_STATES


def allow_run(request: Request, who: Visitor, action: str, mid: str, state: str) -> None:
    allow(request, who, action, READ_RUNS, mid)
    if not may_see_run(who, state):
        refuse(request, who, action, f"run {mid} is not shared with {who.name} at this stage", mid)


async def checked_form(request: Request, who: Visitor | None, expected: str | None) -> FormData:
    """The posted form, after its CSRF token matched `expected` (refused and audited if not)."""
    form = await request.form(max_files=0, max_fields=16, max_part_size=16 * 1024)
    if expected is None or not same_token(form.get(CSRF_FIELD), expected):
        refuse(request, who, "web.csrf", "the form's security token is missing or wrong")
    return form


def text_field(form: FormData, name: str, max_chars: int) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    if len(value) > max_chars:
        raise Refused(400, f"the field {name} is longer than {max_chars} characters")
    return value
