"""`ariane dpa`: check a processing agreement against GDPR Art. 28, draft an annex from a manifest,
register a migration's agreement (the approval gate), or record a controller's override.

Registered by the main application as `app.add_typer(dpa.app, name="dpa")`.
"""

from __future__ import annotations

import enum
import json
import pathlib
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from ariane.cli import common as c
from ariane.cli.render import console
from ariane.errors import PolicyError, UsageError

if TYPE_CHECKING:
    from ariane.compliance.model import DpaReport, Status
app = typer.Typer(
    help="Processing agreements (GDPR Art. 28): check one, draft an annex from a manifest.",
    no_args_is_help=True,
)


STATUS_STYLE: dict[Status, str] = {
    "present": "green",
    "weak": "yellow",
    "unspecified": "magenta",
    "missing": "bold red",
}


class Lang(enum.StrEnum):
    en = "en"
    fr = "fr"


# Errors become the documented message and exit code, as for every command.
_run, _fail = c.run, c.fail


@app.command("check")
def check(
    file: Annotated[pathlib.Path, typer.Argument(help="the agreement: .txt, .md, .pdf or .docx")],
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    strict: Annotated[
        bool, typer.Option(help="also fail when an element is unspecified or weak")
    ] = False,
) -> None:
    """Check an agreement for each element GDPR Art. 28(2)-(4) requires.

    Exit code 5 (PolicyError) when a required element is missing (with --strict: also when one is
    unspecified or weak). The report cites line numbers, headings and element ids and quotes at
    most 80 characters of the contract's sentence, with e-mails, phones and names masked.
    """
    from ariane.compliance.check import check_file, require_elements

    report = _run(lambda: check_file(file))
    if as_json:
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        _render(report)
    _run(lambda: require_elements(report, strict=strict))


@app.command("draft")
def draft(
    manifest: Annotated[pathlib.Path, typer.Option(help="the scope manifest (YAML)")],
    lang: Annotated[Lang, typer.Option(help="language of the annex")] = Lang.en,
    out: Annotated[
        pathlib.Path | None, typer.Option(help="Markdown file to write (default: standard output)")
    ] = None,
    subprocessor: Annotated[
        list[str] | None,
        typer.Option(help="an authorised sub-processor: name, role, country (repeatable)"),
    ] = None,
    measure: Annotated[
        list[str] | None,
        typer.Option(help="a further security measure of the processor (repeatable)"),
    ] = None,
    force: Annotated[bool, typer.Option(help="overwrite --out if it exists")] = False,
) -> None:
    """Draft the agreement annex for a migration from its scope manifest; it passes `dpa check`."""
    from ariane import yamlio
    from ariane.compliance.draft import draft_annex
    from ariane.manifest.load import load_manifest

    def go() -> str:
        m = load_manifest(manifest)
        text = draft_annex(
            m, lang.value, processor_measures=measure or (), subprocessors=subprocessor or ()
        )
        if out is not None:
            if out.exists() and not force:
                raise UsageError(f"{out} exists; choose another name or use --force")
            yamlio.write_atomic(out, text.encode("utf-8"), mode=0o644)
        return text

    text = _run(go)
    if out is None:
        sys.stdout.write(text)
    else:
        console.print(f"annex written to {out}; it passes `ariane dpa check`")


@app.command("register")
def register(
    manifest_id: Annotated[str, typer.Argument(help="manifest id")],
    file: Annotated[pathlib.Path, typer.Argument(help="the signed agreement: .txt .md .pdf .docx")],
    workspace: c.WorkspaceOpt = c.DEFAULT_WS,
) -> None:
    """Put the processing agreement of a migration on record (operator or controller).

    The agreement is checked; its SHA-256 and the check's verdicts are kept, not the document.
    A manifest cannot be approved until an agreement with no missing element is on record, or a
    controller records an override (`ariane dpa override`). Exit 5 if an element is missing:
    the agreement is recorded all the same, so that the gap is on file.
    """
    from ariane.engine.agreement import register_agreement

    ws = _run(lambda: c.workspace(workspace))
    me = _run(lambda: c.actor(ws))
    record = _run(lambda: register_agreement(ws, manifest_id, file, me, c.now()))
    check = record["agreement"]["check"]
    counts = ", ".join(f"{n} {s}" for s, n in check["summary"].items())
    console.print(Text(f"agreement {file.name} recorded for {manifest_id}: {counts}"))
    if check["missing"]:
        _fail(
            PolicyError(
                f"missing: {', '.join(check['missing'])}; approval of {manifest_id} stays blocked "
                "until a complete agreement is registered or a controller records an override"
            )
        )


@app.command("override")
def override(
    manifest_id: Annotated[str, typer.Argument(help="manifest id")],
    reason: Annotated[str, typer.Option(help="why approval may go ahead (20+ characters)")],
    workspace: c.WorkspaceOpt = c.DEFAULT_WS,
    password_env: Annotated[
        str, typer.Option(help="variable holding your password (else you are prompted)")
    ] = c.PASSWORD_ENV,
) -> None:
    """A controller allows approval without a complete agreement on record: signed, audited as
    an alert, and void as soon as the manifest or the agreement on record changes."""
    from ariane.engine.agreement import record_override

    ws = _run(lambda: c.workspace(workspace))
    me = _run(lambda: c.actor(ws))
    pw = _run(lambda: c.secret(password_env, "your password (to sign)"))
    done = _run(lambda: record_override(ws, manifest_id, me, pw, reason, c.now()))
    console.print(
        Text(f"override recorded for {manifest_id} by {done['by']}; missing: "
             + (", ".join(done["missing"]) or "none"))
    )  # fmt: skip


def _render(report: DpaReport) -> None:
    counts = ", ".join(f"{len(report.ids(s))} {s}" for s in STATUS_STYLE)
    console.print(
        Text(
            f"{report.document}: {report.lines} lines, language {report.language}; "
            f"{len(report.elements)} elements: {counts}"
        )
    )
    table = Table(title="Required elements (GDPR Art. 28)", title_justify="left")
    table.add_column("element")
    table.add_column("status")
    table.add_column("where (line · heading)", overflow="fold")
    table.add_column("supporting sentence / why", overflow="fold")
    for e in report.elements:
        where = e.evidence[0] if e.evidence else (e.issues[0] if e.issues else None)
        page = f"p. {where.page}, " if where and where.page else ""
        place = Text(f"{page}l. {where.line} · {where.heading}" if where else "—")
        more = len(e.evidence) - 1
        if where and more > 0:
            place.append(f" (+{more})", style="dim")
        detail = Text(where.quote if where else e.reason)
        if where and where.note:
            detail.append(f"  [{where.note}]", style="dim")
        for issue in e.issues[:2] if e.evidence else e.issues[1:3]:
            detail.append(f"\nl. {issue.line}: {issue.quote}  [{issue.note}]", style="yellow")
        element = Text(e.id)
        element.append(f"\n{e.title}", style="dim")
        table.add_row(element, Text(e.status, style=STATUS_STYLE[e.status]), place, detail)
    console.print(table)
    if report.placeholders:
        ph = Table(title="Unfilled template parts", title_justify="left")
        for col in ("line", "kind", "heading", "text"):
            ph.add_column(col, overflow="fold")
        for p in report.placeholders:
            ph.add_row(str(p.line), p.note, Text(p.heading), Text(p.quote))
        console.print(ph)
    if report.findings:
        ft = Table(title="Other defects", title_justify="left")
        for col in ("kind", "subject", "lines", "detail"):
            ft.add_column(col, overflow="fold")
        for f in report.findings:
            lines = ", ".join(str(loc.line) for loc in f.locations)
            ft.add_row(f.kind, Text(f.subject), lines, Text(f.message))
        console.print(ft)
