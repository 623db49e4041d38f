"""What every command shares: error handling, secrets from the environment or a prompt, the
workspace, the clock, and the session of the person at the keyboard."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import pathlib
import socket
import sys
from collections.abc import Callable
from typing import Annotated, NoReturn, TypeVar

import typer

from ariane.cli.render import err_console
from ariane.engine.actor import Actor
from ariane.engine.workspace import Workspace
from ariane.errors import ArianeError, StorageError, UsageError

T = TypeVar("T")

WorkspaceOpt = Annotated[
    pathlib.Path,
    typer.Option("--workspace", "-w", envvar="ARIANE_WORKSPACE", help="workspace folder"),
]
DEFAULT_WS = pathlib.Path("ariane-ws")
PASS_ENV = "ARIANE_PASSPHRASE"  # noqa: S105 (the name of a variable, not a secret)
PASSWORD_ENV = "ARIANE_PASSWORD"  # noqa: S105 (idem)
NEW_PASSWORD_ENV = "ARIANE_NEW_PASSWORD"  # noqa: S105 (idem)
PassEnvOpt = Annotated[
    str,
    typer.Option(help="environment variable holding the key passphrase (else you are prompted)"),
]


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def run(fn: Callable[[], T]) -> T:
    """Run a library call; turn Ariane's errors into a message and the documented exit code."""
    try:
        return fn()
    except ArianeError as e:
        fail(e)
    except OSError as e:
        # A disk or file-system failure outside the library's own checks: say what, not where
        # in the code; file names are ids, never patient values.
        fail(
            StorageError(
                f"{e.strerror or type(e).__name__}" + (f": {e.filename}" if e.filename else "")
            )
        )


def fail(e: ArianeError) -> NoReturn:
    err_console.print(f"[bold red]error[/bold red] ({type(e).__name__}): {e.message}")
    raise typer.Exit(e.exit_code)


def secret(env: str, what: str, confirm: bool = False) -> str:
    """A passphrase or password: from the named environment variable, else typed, hidden."""
    value = os.environ.get(env)
    if value:
        return value
    if not sys.stdin.isatty():
        raise UsageError(f"no {what}: set {env} or run in a terminal")
    return str(typer.prompt(what.capitalize(), hide_input=True, confirmation_prompt=confirm))


def totp_code(given: str | None) -> str | None:
    if given:
        return given
    env = os.environ.get("ARIANE_TOTP")
    if env:
        return env
    if sys.stdin.isatty():
        typed = str(
            typer.prompt("Authenticator code (empty if none)", default="", show_default=False)
        )
        return typed or None
    return None


def workspace(path: pathlib.Path, create: bool = False) -> Workspace:
    return Workspace.open(path, create=create)


def place() -> Actor:
    """Where the command runs: the operating-system user and the host (no account yet)."""
    return Actor("-", getpass.getuser(), socket.gethostname())


def token_path(ws: Workspace) -> pathlib.Path:
    """The session token of this OS user for this workspace (owner-only, outside the workspace)."""
    home = pathlib.Path(os.environ.get("ARIANE_HOME", "~/.ariane")).expanduser()
    return home / "sessions" / f"{ws.id}.token"


def save_token(ws: Workspace, token: str) -> None:
    path = token_path(ws)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token)


def actor(ws: Workspace) -> Actor:
    """The person logged in here, from their session (expired or misplaced: refused)."""
    from ariane.engine.people import session_actor

    path = token_path(ws)
    if not path.exists():
        raise UsageError("not logged in: run `ariane login NAME` first")
    return session_actor(ws, path.read_text().strip(), place(), now())


def date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"not a date (YYYY-MM-DD): {text!r}") from None
