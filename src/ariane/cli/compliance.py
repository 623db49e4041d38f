"""`ariane record`, `ariane report`, `ariane breach draft`: the compliance documents (issue 6).

Registered by the main application with `compliance.register(app)`. Each command checks the
role of the person logged in and leaves an audit event naming what was produced (hashes, counts).
"""

from __future__ import annotations

import enum
import pathlib
import sys
from typing import Annotated

import typer

from ariane import yamlio
from ariane.cli import common as c
from ariane.cli.render import console
from ariane.crypto.digest import sha256_hex
from ariane.engine.actor import audited, require_role
from ariane.errors import UsageError

READERS = ("auditor", "controller", "operator")
breach_app = typer.Typer(
    help="Personal data breaches (GDPR Art. 33): draft the processor's notification.",
    no_args_is_help=True,
)


class Fmt(enum.StrEnum):
    csv = "csv"
    json = "json"
    html = "html"


class Lang(enum.StrEnum):
    en = "en"
    fr = "fr"


def register(app: typer.Typer) -> None:
    app.command("record")(record)
    app.command("report")(report)
    app.add_typer(breach_app, name="breach")


def _writable(path: pathlib.Path | None, force: bool) -> None:
    if path is not None and path.exists() and not force:
        raise UsageError(f"{path} exists; choose another name or use --force")


def record(
    out: Annotated[pathlib.Path, typer.Option(help="folder to write the record into")],
    fmt: Annotated[Fmt, typer.Option("--format", help="csv, json or html")] = Fmt.html,
    controller: Annotated[
        str | None, typer.Option(help="only this controller (its name in the manifests)")
    ] = None,
    workspace: c.WorkspaceOpt = c.DEFAULT_WS,
) -> None:
    """Export the processor's record of processing (GDPR Art. 30(2)), one entry per controller."""
    from ariane.compliance.record import build_record, write_record

    ws = c.run(lambda: c.workspace(workspace))
    me = c.run(lambda: c.actor(ws))

    def go() -> pathlib.Path:
        with audited(ws, me, "record.export", c.now()) as ev:
            require_role(ws, me, READERS, c.now())
            entries = build_record(ws, controller)
            path = write_record(entries, out, fmt.value)
            ev.details = {
                "format": fmt.value,
                "controllers": len(entries),
                "migrations": sum(len(e.activities) for e in entries),
                "sha256": sha256_hex(path.read_bytes()),
            }
            return path

    path = c.run(go)
    console.print(f"record of processing written to {path}")


def report(
    manifest_id: Annotated[str, typer.Argument(help="manifest id")],
    html: Annotated[pathlib.Path | None, typer.Option(help="HTML file to write")] = None,
    pdf: Annotated[pathlib.Path | None, typer.Option(help="PDF file to write")] = None,
    force: Annotated[bool, typer.Option(help="overwrite existing files")] = False,
    workspace: c.WorkspaceOpt = c.DEFAULT_WS,
) -> None:
    """Write the procedure report of a migration (HTML and/or PDF): counts, people, signatures,
    audit chain and purge certificate. It holds no patient value."""
    from ariane.compliance.report import render_html, render_pdf

    ws = c.run(lambda: c.workspace(workspace))
    me = c.run(lambda: c.actor(ws))

    def go() -> None:
        with audited(ws, me, "report.render", c.now(), manifest_id) as ev:
            require_role(ws, me, READERS, c.now())
            if html is None and pdf is None:
                raise UsageError("give --html FILE, --pdf FILE or both")
            _writable(html, force)
            _writable(pdf, force)
            written: dict[str, str] = {}
            ev.details = written
            if html is not None:
                text = render_html(ws, manifest_id).encode("utf-8")
                yamlio.write_atomic(html, text)
                written["html_sha256"] = sha256_hex(text)
            if pdf is not None:
                data = render_pdf(ws, manifest_id)
                yamlio.write_atomic(pdf, data)
                written["pdf_sha256"] = sha256_hex(data)

    c.run(go)
    console.print(
        f"report of {manifest_id} written to " + " and ".join(str(p) for p in (html, pdf) if p)
    )


@breach_app.command("draft")
def breach_draft(
    manifest_id: Annotated[str, typer.Argument(help="manifest id")],
    nature: Annotated[
        str, typer.Option(help="what happened, when, to which copy of the data (required)")
    ],
    lang: Annotated[Lang, typer.Option(help="language of the notification")] = Lang.en,
    out: Annotated[
        pathlib.Path | None, typer.Option(help="Markdown file to write (default: standard output)")
    ] = None,
    contact: Annotated[
        str | None, typer.Option(help="the processor's contact point (default: the manifest's)")
    ] = None,
    aware_at: Annotated[
        str | None,
        typer.Option(help="when the processor became aware, ISO time with zone (default: now)"),
    ] = None,
    force: Annotated[bool, typer.Option(help="overwrite --out if it exists")] = False,
    workspace: c.WorkspaceOpt = c.DEFAULT_WS,
) -> None:
    """Draft the processor's notification of a breach to the controller (GDPR Art. 33(2)-(3))."""
    import datetime as dt

    from ariane.compliance.breach import draft_breach

    ws = c.run(lambda: c.workspace(workspace))
    me = c.run(lambda: c.actor(ws))

    def aware() -> dt.datetime | None:
        if aware_at is None:
            return None
        try:
            when = dt.datetime.fromisoformat(aware_at)
        except ValueError:
            raise UsageError(f"--aware-at is not an ISO time: {aware_at!r}") from None
        if when.tzinfo is None:
            raise UsageError("--aware-at needs a time zone, e.g. 2026-11-30T09:00+01:00")
        return when

    def go() -> str:
        _writable(out, force)
        text = draft_breach(ws, manifest_id, nature, me, c.now(), lang.value, contact, aware())
        if out is not None:
            yamlio.write_atomic(out, text.encode("utf-8"))
        return text

    text = c.run(go)
    if out is None:
        sys.stdout.write(text)
    else:
        console.print(f"breach notification draft written to {out}; review it and send it")
