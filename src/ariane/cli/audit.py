"""`ariane audit`: verify, show, export and prune the audit log (auditors, controllers, admins)."""

from __future__ import annotations

import datetime as dt
import pathlib
from typing import Annotated

import typer
from rich.table import Table

from ariane.cli import common as c
from ariane.cli.render import console
from ariane.engine.actor import Actor, audited, require_role
from ariane.engine.workspace import Workspace

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
READERS = ("auditor", "controller", "admin")


def _reader(ws: Workspace, action: str) -> Actor:
    me = c.run(lambda: c.actor(ws))

    def check() -> None:
        with audited(ws, me, action, c.now()):
            require_role(ws, me, READERS, c.now())

    c.run(check)
    return me


def _when(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.combine(c.date(text), dt.time(), dt.UTC)


@app.command()
def verify(workspace: c.WorkspaceOpt = c.DEFAULT_WS) -> None:
    """Check the whole chain and every signed checkpoint; exit 6 on any alteration."""
    ws = c.run(lambda: c.workspace(workspace))
    _reader(ws, "audit.verify")
    report = c.run(lambda: ws.audit.verify(ws.trusted_keys()))
    console.print(
        f"audit log verified: {report.events} events (seq {report.first_seq}–{report.head_seq}), "
        f"{report.checkpoints} signed checkpoints, {report.alerts} alerts, "
        f"{report.unsigned_tail} events after the last checkpoint; head {report.head_hash}"
    )


@app.command()
def show(
    who: Annotated[str | None, typer.Option(help="only this person")] = None,
    manifest: Annotated[str | None, typer.Option(help="only this manifest")] = None,
    since: Annotated[str | None, typer.Option(help="from this date YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="before this date YYYY-MM-DD")] = None,
    action: Annotated[str | None, typer.Option(help="only this action (prefix)")] = None,
    workspace: c.WorkspaceOpt = c.DEFAULT_WS,
) -> None:
    """List events, filtered by person, manifest, date or action."""
    ws = c.run(lambda: c.workspace(workspace))
    _reader(ws, "audit.show")
    events = c.run(
        lambda: ws.audit.show(
            who=who, manifest=manifest, since=_when(since), until=_when(until), action=action
        )
    )
    table = Table(title=f"Audit events ({len(events)})", title_justify="left")
    for col in ("seq", "at", "who", "from", "action", "outcome", "manifest", "alert"):
        table.add_column(col)
    for e in events:
        table.add_row(
            str(e.seq),
            e.at.strftime("%Y-%m-%d %H:%M:%S"),
            e.who,
            f"{e.os_user}@{e.host}",
            e.action,
            e.outcome,
            e.manifest or "",
            e.alert or "",
        )
    console.print(table)


@app.command()
def export(
    json_out: Annotated[pathlib.Path | None, typer.Option("--json", help="write JSON here")] = None,
    csv_out: Annotated[pathlib.Path | None, typer.Option("--csv", help="write CSV here")] = None,
    workspace: c.WorkspaceOpt = c.DEFAULT_WS,
) -> None:
    """Export the log for an auditor (JSON and/or CSV)."""
    ws = c.run(lambda: c.workspace(workspace))
    _reader(ws, "audit.export")
    if json_out:
        console.print(f"{c.run(lambda: ws.audit.export_json(json_out))} events -> {json_out}")
    if csv_out:
        console.print(f"{c.run(lambda: ws.audit.export_csv(csv_out))} events -> {csv_out}")


@app.command()
def prune(
    keep_days: Annotated[
        int, typer.Option(min=1, help="retention in days (CNIL: 6–12 months)")
    ] = 365,
    workspace: c.WorkspaceOpt = c.DEFAULT_WS,
) -> None:
    """Remove events older than the retention period (admin), keeping the chain verifiable."""
    ws = c.run(lambda: c.workspace(workspace))
    me = c.run(lambda: c.actor(ws))
    c.run(lambda: require_role(ws, me, ("admin",), c.now()))
    n = c.run(
        lambda: ws.audit.prune(
            c.now(),
            dt.timedelta(days=keep_days),
            who=me.name,
            os_user=me.os_user,
            host=me.host,
            trusted_keys=ws.trusted_keys(),
        )
    )
    console.print(f"{n} events older than {keep_days} days removed")
