"""Exports for an auditor: a JSON document and a flat CSV, both new 0600 files written atomically.

Exports copy events as they are; they do not verify. Run `AuditLog.verify` and keep its report
beside the export.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path

from ariane.audit.event import FIELDS, Event
from ariane.crypto.digest import canonical_json
from ariane.crypto.files import write_atomic

EXPORT_FORMAT = "ariane.audit-export/1"
CSV_COLUMNS = FIELDS  # `details` is a canonical JSON string in its cell


def write_json(path: Path, workspace_id: str, events: Iterable[Event]) -> int:
    """{format, workspace_id, count, events: [event...]}; return the number of events."""
    rows = [e.to_dict() for e in events]
    doc = {"format": EXPORT_FORMAT, "workspace_id": workspace_id, "count": len(rows),
           "events": rows}  # fmt: skip
    text = json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    write_atomic(path, text.encode("utf-8"))
    return len(rows)


def write_csv(path: Path, events: Iterable[Event]) -> int:
    """One row per event, columns in CSV_COLUMNS order, empty cells for null; return the count."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(CSV_COLUMNS)
    count = 0
    for event in events:
        row = event.to_dict()
        row["details"] = canonical_json(row["details"]).decode("utf-8")
        out.writerow("" if row[c] is None else row[c] for c in CSV_COLUMNS)
        count += 1
    write_atomic(path, buf.getvalue().encode("utf-8"))
    return count
