"""Commands for people: the first administrator, login/logout, account administration."""

from __future__ import annotations

from typing import Annotated

import typer

from ariane.cli import common as c
from ariane.cli.render import console
from ariane.engine import people

account_app = typer.Typer(
    help="Accounts: one per person (administrators only).", no_args_is_help=True
)
RolesOpt = Annotated[
    list[str],
    typer.Option(
        "--role", help="controller, operator, recipient, auditor or admin (repeat for several)"
    ),
]


def _show_enrolment(uri: str | None) -> None:
    if uri:
        console.print(
            "Second factor: add this to the person's authenticator app now; it is "
            "shown once and never stored in clear:"
        )
        console.print(uri, soft_wrap=True)


def init(
    admin: Annotated[str, typer.Option(help="account name of the first administrator")],
    full_name: Annotated[str, typer.Option(help="the administrator's full name")],
    workspace: c.WorkspaceOpt = c.DEFAULT_WS,
    password_env: Annotated[
        str, typer.Option(help="variable holding the password")
    ] = c.PASSWORD_ENV,
) -> None:
    """Create a workspace (owner-only permissions) and its first administrator."""
    ws = c.run(lambda: c.workspace(workspace, create=True))
    pw = c.run(lambda: c.secret(password_env, f"password for {admin}", confirm=True))
    created = c.run(lambda: people.bootstrap_admin(ws, admin, full_name, pw, c.place(), c.now()))
    console.print(f"workspace ready: {workspace}; administrator {admin} created")
    _show_enrolment(created.totp_uri)


def login(
    name: Annotated[str, typer.Argument(help="your account name")],
    totp: Annotated[str | None, typer.Option(help="authenticator code")] = None,
    workspace: c.WorkspaceOpt = c.DEFAULT_WS,
    password_env: Annotated[
        str, typer.Option(help="variable holding the password")
    ] = c.PASSWORD_ENV,
) -> None:
    """Open a session (30 minutes, sliding, at most 8 hours), bound to this OS user and host."""
    ws = c.run(lambda: c.workspace(workspace))
    pw = c.run(lambda: c.secret(password_env, f"password for {name}"))
    result = c.run(lambda: people.login(ws, name, pw, c.totp_code(totp), c.place(), c.now()))
    c.save_token(ws, result.token)
    console.print(f"logged in as {name} until {result.session.expires_at:%H:%M} UTC")


def logout(workspace: c.WorkspaceOpt = c.DEFAULT_WS) -> None:
    """Close your session."""
    ws = c.run(lambda: c.workspace(workspace))
    path = c.token_path(ws)
    if path.exists():
        c.run(lambda: people.logout(ws, path.read_text().strip(), c.place(), c.now()))
        path.unlink()
    console.print("logged out")


def whoami(workspace: c.WorkspaceOpt = c.DEFAULT_WS) -> None:
    """Who you are logged in as, and your roles."""
    ws = c.run(lambda: c.workspace(workspace))
    me = c.run(lambda: c.actor(ws))
    roles = ", ".join(sorted(ws.accounts.roles_at(me.name, c.now())))
    console.print(f"{me.name} ({roles}) from {me.os_user}@{me.host}")


@account_app.command("create")
def account_create(
    name: Annotated[str, typer.Argument(help="account name, e.g. claire.dubois")],
    full_name: Annotated[str, typer.Option(help="the person's full name")],
    role: RolesOpt,
    workspace: c.WorkspaceOpt = c.DEFAULT_WS,
    password_env: Annotated[
        str, typer.Option(help="variable holding the initial password")
    ] = c.NEW_PASSWORD_ENV,
) -> None:
    """Create an account for one person (admin); generic names (admin, test…) are refused."""
    ws = c.run(lambda: c.workspace(workspace))
    me = c.run(lambda: c.actor(ws))
    pw = c.run(lambda: c.secret(password_env, f"initial password for {name}", confirm=True))
    made = c.run(lambda: people.create_account(ws, me, name, full_name, role, pw, c.now()))
    console.print(f"account {name} created with roles {', '.join(sorted(role))}")
    _show_enrolment(made.totp_uri)


@account_app.command("list")
def account_list(workspace: c.WorkspaceOpt = c.DEFAULT_WS) -> None:
    """List accounts, roles and state (admin or auditor)."""
    ws = c.run(lambda: c.workspace(workspace))
    me = c.run(lambda: c.actor(ws))
    from ariane.engine.actor import require_role

    c.run(lambda: require_role(ws, me, ("admin", "auditor"), c.now()))
    for a in ws.accounts.list():
        state = "disabled" if a.disabled_at else "active"
        console.print(f"{a.name}\t{a.full_name}\t{', '.join(sorted(a.roles))}\t{state}")


@account_app.command("disable")
def account_disable(
    name: Annotated[str, typer.Argument(help="account name")],
    workspace: c.WorkspaceOpt = c.DEFAULT_WS,
) -> None:
    """Disable an account (admin); its sessions stop working at once."""
    ws = c.run(lambda: c.workspace(workspace))
    me = c.run(lambda: c.actor(ws))
    c.run(lambda: people.disable_account(ws, me, name, c.now()))
    console.print(f"account {name} disabled")


@account_app.command("roles")
def account_roles(
    name: Annotated[str, typer.Argument(help="account name")],
    role: RolesOpt,
    workspace: c.WorkspaceOpt = c.DEFAULT_WS,
) -> None:
    """Replace an account's roles (admin); the history is kept."""
    ws = c.run(lambda: c.workspace(workspace))
    me = c.run(lambda: c.actor(ws))
    c.run(lambda: people.set_roles(ws, me, name, role, c.now()))
    console.print(f"roles of {name}: {', '.join(sorted(role))}")


@account_app.command("reset")
def account_reset(
    name: Annotated[str, typer.Argument(help="account name")],
    workspace: c.WorkspaceOpt = c.DEFAULT_WS,
    password_env: Annotated[
        str, typer.Option(help="variable holding the temporary password")
    ] = c.NEW_PASSWORD_ENV,
) -> None:
    """Give a temporary password (admin); the person must change it, which renews their keys."""
    ws = c.run(lambda: c.workspace(workspace))
    me = c.run(lambda: c.actor(ws))
    pw = c.run(lambda: c.secret(password_env, f"temporary password for {name}", confirm=True))
    c.run(lambda: people.reset_password(ws, me, name, pw, c.now()))
    console.print(f"temporary password set for {name}")


@account_app.command("passwd")
def account_passwd(
    totp: Annotated[str | None, typer.Option(help="authenticator code")] = None,
    workspace: c.WorkspaceOpt = c.DEFAULT_WS,
    old_env: Annotated[
        str, typer.Option(help="variable holding the current password")
    ] = c.PASSWORD_ENV,
    new_env: Annotated[
        str, typer.Option(help="variable holding the new password")
    ] = c.NEW_PASSWORD_ENV,
) -> None:
    """Change your own password."""
    ws = c.run(lambda: c.workspace(workspace))
    me = c.run(lambda: c.actor(ws))
    old = c.run(lambda: c.secret(old_env, "current password"))
    new = c.run(lambda: c.secret(new_env, "new password", confirm=True))
    uri = c.run(lambda: people.change_own_password(ws, me, old, c.totp_code(totp), new, c.now()))
    console.print("password changed")
    _show_enrolment(uri)
