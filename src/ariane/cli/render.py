"""Terminal rendering: rich progress for the library's observer, tables for reports."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

# A report read in a log or a CI transcript should not wrap at 80 columns.
console = Console(stderr=False, width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True)


class RichObserver:
    """Shows one progress bar per stage; used as a context manager around a long step."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=False,
            disable=not err_console.is_terminal,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> RichObserver:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._finish()
        self._progress.stop()

    def _finish(self) -> None:
        if self._task is not None:
            task = self._progress.tasks[-1]
            if task.total is not None:
                self._progress.update(self._task, completed=task.total)

    def stage(self, name: str, total: int | None = None) -> None:
        self._finish()
        self._task = self._progress.add_task(name, total=total)
        if not err_console.is_terminal:
            err_console.print(f"[dim]… {name}[/dim]" + (f" ({total:,} rows)" if total else ""))

    def advance(self, n: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n)

    def note(self, message: str) -> None:
        pass


def partition_table(title: str, counts: dict[str, Any]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("entity")
    table.add_column("in source", justify="right")
    table.add_column("transferred", justify="right")
    table.add_column("left out (reason: rows)")
    for name, c in counts.items():
        excluded = "; ".join(f"{r}: {n:,}" for r, n in c["excluded"].items()) or "-"
        if c.get("excluded_by_category"):
            excluded += (
                " ["
                + ", ".join(
                    f"{k.removeprefix('health.sensitive.')}: {n:,}"
                    for k, n in c["excluded_by_category"].items()
                )
                + "]"
            )
        table.add_row(name, f"{c['source_rows']:,}", f"{c['transferred']:,}", excluded)
    return table


def categories_table(counts: dict[str, Any]) -> Table:
    table = Table(title="What is transferred, by data category", title_justify="left")
    table.add_column("entity")
    table.add_column("category")
    table.add_column("fields / rows")
    for name, c in counts.items():
        for cat, fields in c["fields_by_category"].items():
            table.add_row(name, cat, ", ".join(fields))
        for cat, n in c.get("by_category", {}).items():
            table.add_row(name, cat, f"{n:,} result rows")
    return table


def reconcile_table(kind: str, report: dict[str, Any]) -> Table:
    table = Table(title=f"Reconciliation against the signed index — {kind}", title_justify="left")
    table.add_column("entity")
    table.add_column("sent", justify="right")
    table.add_column("in target", justify="right")
    table.add_column("fields checked", justify="right")
    table.add_column("mismatches")
    table.add_column("source = transferred + left out")
    for name, e in report["entities"].items():
        table.add_row(
            name,
            f"{e['expected_rows']:,}",
            f"{e['target_rows']:,}",
            str(e["fields_checked"]),
            ", ".join(e["fields_mismatched"]) or "none",
            "yes" if e["partition_balanced"] else "NO",
        )
    return table
