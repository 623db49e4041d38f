"""A folder of laboratory messages (HL7 v2, HPRIM Santé, FHIR R4) as a source like a database.

The format's reader turns the files into canonical tables, which are attached to DuckDB as the
`src` catalogue; the built-in `canonical` profile maps them one to one. Scope, dry run and
extraction then work exactly as for a database. Rejected messages are counted by reason, with
their position, never their content.
"""

from __future__ import annotations

import importlib
import pathlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import duckdb

from ariane.connectors.duck import quote_ident
from ariane.errors import SourceError, UsageError

FORMATS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # format: (module, reader function, file suffixes)
    "hl7v2": ("ariane.connectors.hl7v2_read", "read_hl7v2", (".hl7", ".txt", ".msg", ".mllp")),
    "hprim": ("ariane.connectors.hprim_read", "read_hprim", (".hpr", ".hprim", ".txt")),
    "fhir": ("ariane.connectors.fhir_read", "read_fhir", (".json", ".ndjson")),
}


@dataclass
class MessageReport:
    files: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    positions: list[str] = field(default_factory=list)  # "file#message segment field"
    unknown_segments: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "rejected": self.rejected,
            "reasons": dict(sorted(self.reasons.items())),
            "positions": self.positions[:200],
            "unknown_segments": dict(sorted(self.unknown_segments.items())),
        }


def message_files(fmt: str, folder: pathlib.Path) -> list[pathlib.Path]:
    if fmt not in FORMATS:
        raise UsageError(f"unknown message format {fmt!r}; use one of {', '.join(FORMATS)}")
    if not folder.is_dir():
        raise UsageError(f"message folder not found: {folder}")
    suffixes = FORMATS[fmt][2]
    # Hidden folders are skipped: a target's staging folder (.ariane.partial) is not messages.
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in suffixes
        and not any(part.startswith(".") for part in p.relative_to(folder).parts[:-1])
    )
    if not files:
        raise UsageError(f"no {fmt} files ({', '.join(suffixes)}) in {folder}")
    return files


def attach_messages(
    con: duckdb.DuckDBPyConnection, fmt: str, folder: pathlib.Path, alias: str
) -> MessageReport:
    files = message_files(fmt, folder)
    module, func, _ = FORMATS[fmt]
    reader = getattr(importlib.import_module(module), func)
    batch = reader(files)
    report = MessageReport(files=len(files), rejected=len(batch.rejections))
    reasons: Counter[str] = Counter(r.reason for r in batch.rejections)
    report.reasons = dict(reasons)
    report.positions = [
        f"{pathlib.Path(r.file).name}#{r.message_index} {r.segment or '-'} {r.field or '-'}"
        for r in batch.rejections
    ]
    report.unknown_segments = dict(batch.unknown_segments)
    try:
        con.execute(f"ATTACH ':memory:' AS {alias}")
        for entity, table in batch.tables.items():
            view = f"_msg_{entity}"
            con.register(view, table)
            con.execute(f"CREATE TABLE {alias}.main.{quote_ident(entity)} AS SELECT * FROM {view}")
            con.unregister(view)
    except duckdb.Error:
        raise SourceError(f"the {fmt} messages of {folder} could not be staged") from None
    return report
