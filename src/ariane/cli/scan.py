"""`ariane scan SOURCE`: what a source holds, by column, before anyone writes a manifest.

Register with `app.add_typer(scan.app)` in cli/main.py (the command is named `scan`).
"""

from __future__ import annotations

import datetime as dt
import pathlib
from typing import Annotated

import typer
from rich.table import Table

from ariane.cli import common as cc
from ariane.cli.render import RichObserver, console
from ariane.engine.actor import audited, require_role
from ariane.errors import UsageError

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


# Errors become the documented message and exit code, as for every command.
_run, _fail = cc.run, cc.fail


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"not a date (YYYY-MM-DD): {text!r}") from None


_STYLE = {
    "identity.direct": "bold red",
    "credential": "bold magenta",
    "contact": "red",
    "free_text": "yellow",
    "identity.quasi": "dark_orange",
    "professional": "cyan",
    "health.result": "green",
    "health.context": "dim green",
    "identifier": "dim",
}


def datamap_table(report: object) -> Table:
    from ariane.discover.scan import ScanReport

    assert isinstance(report, ScanReport)
    table = Table(title=f"Data map of {report.schema.location}", title_justify="left")
    for name, justify in (
        ("table", "left"),
        ("column", "left"),
        ("category", "left"),
        ("kind", "left"),
        ("conf.", "right"),
        ("evidence (counts)", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for c in report.columns:
        ev = {k: v for k, v in c.evidence.items() if k not in ("sampled_rows",) and v}
        text = ", ".join(f"{k} {v:,}" for k, v in list(ev.items())[:4])
        if c.classes:
            text += " | " + ", ".join(f"{k} {v:,}" for k, v in c.classes.items())
        if c.references:
            text += f" → {c.references}"
        style = _STYLE.get(c.category, "")
        table.add_row(
            c.table,
            c.column,
            f"[{style}]{c.category}[/{style}]" if style else c.category,
            c.kind,
            f"{c.confidence:.2f}",
            text,
        )
    return table


@app.command()
def scan(
    source: Annotated[str, typer.Argument(help="SQLite file, postgresql:// URL or CSV folder")],
    out: Annotated[
        pathlib.Path,
        typer.Option(help="folder for datamap.json/.yaml, profile.yaml, manifest.yaml"),
    ] = pathlib.Path("scan-out"),
    sample_rows: Annotated[int, typer.Option(min=50, help="rows sampled per table")] = 2000,
    profile_name: Annotated[str | None, typer.Option(help="name of the draft profile")] = None,
    count_sensitive: Annotated[
        bool, typer.Option(help="count results and requests by sensitivity class (full pass)")
    ] = True,
    manifest_id: Annotated[str, typer.Option("--id", help="draft manifest id")] = "DRAFT-SCAN",
    author: Annotated[str | None, typer.Option(help="manifest author")] = None,
    controller: Annotated[str | None, typer.Option(help="the controller (laboratory)")] = None,
    processor: Annotated[str | None, typer.Option(help="the processor")] = None,
    processor_key: Annotated[str | None, typer.Option(help="processor signing key name")] = None,
    recipient: Annotated[str | None, typer.Option(help="the recipient")] = None,
    recipient_key: Annotated[str | None, typer.Option(help="recipient age key (age1…)")] = None,
    agreement: Annotated[str | None, typer.Option(help="processing agreement reference")] = None,
    agreement_date: Annotated[str | None, typer.Option(help="agreement date YYYY-MM-DD")] = None,
    delete_by: Annotated[str | None, typer.Option(help="destruction date YYYY-MM-DD")] = None,
    workspace: cc.WorkspaceOpt = cc.DEFAULT_WS,
) -> None:
    """Scan a source: per column its data category, confidence and evidence (counts, never values);
    write the data map, a draft profile and a draft manifest that selects nothing sensitive."""
    from ariane.discover.outputs import PLACEHOLDER, Parties, write_outputs
    from ariane.discover.scan import scan_source

    today = dt.datetime.now(dt.UTC).date()
    # Scanning reads samples of personal data: an operator's act, recorded like any other.
    ws = _run(lambda: cc.workspace(workspace))
    me = _run(lambda: cc.actor(ws))

    def go() -> tuple[object, object]:
        with audited(ws, me, "scan", cc.now()) as ev:
            require_role(ws, me, ("operator",), cc.now())
            report, written = _scan_and_write()
            if isinstance(report, ScanReport):
                ev.details = {"tables": len(report.schema.tables), "columns": len(report.columns)}
            return report, written

    from ariane.discover.scan import ScanReport

    def _scan_and_write() -> tuple[object, object]:
        parties = Parties(
            manifest_id=manifest_id,
            author=author or PLACEHOLDER,
            controller=controller or PLACEHOLDER,
            processor=processor or PLACEHOLDER,
            processor_key=processor_key or PLACEHOLDER,
            recipient=recipient or PLACEHOLDER,
            recipient_key=recipient_key or "",
            agreement=agreement or PLACEHOLDER,
            agreement_date=_date(agreement_date),
            delete_by=_date(delete_by),
        )
        if out.exists() and any((out / n).exists() for n in ("datamap.json", "profile.yaml")):
            raise UsageError(f"output folder {out} already holds a scan; choose another")
        with RichObserver() as obs:
            report = scan_source(
                source,
                sample_rows=sample_rows,
                profile_name=profile_name,
                count_sensitive=count_sensitive,
                observer=obs,
            )
        return report, write_outputs(report, out, parties, today)

    report, written = _run(go)
    from ariane.discover.outputs import Written

    assert isinstance(report, ScanReport) and isinstance(written, Written)
    console.print(datamap_table(report))
    if report.sensitivity:
        console.print(
            "Results by sensitivity class (whole source): "
            + "; ".join(
                f"{k.removeprefix('health.sensitive.')}: {v['results']:,} results, "
                f"~{v['requests_approx']:,} requests"
                for k, v in report.sensitivity.items()
            )
        )
    console.print(f"data map: {written.datamap_json}, {written.datamap_yaml}")
    if written.profile:
        left = report.profile.left_out
        console.print(
            f"draft profile: {written.profile}"
            + (f" (left out: {', '.join(left)})" if left else "")
        )
    if written.manifest:
        console.print(
            f"draft manifest: {written.manifest}"
            + (
                f"; placeholders to complete: {', '.join(written.placeholders)}"
                if written.placeholders
                else ""
            )
        )
    total = sum(report.seconds.values())
    console.print(f"scanned {len(report.schema.tables)} tables in {total:.1f} s")
