"""`scan_source`: the whole discovery, from a source reference to a data map and drafts.

Progress goes to an observer (DESIGN §8); nothing is printed, and the samples never leave this
function's memory: what it returns holds names, categories, confidences and counts.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field
from typing import Any

from ariane.connectors import source as src
from ariane.discover import classify, keys, linkage
from ariane.discover.classify import ColumnView
from ariane.discover.introspect import OpenSource, describe, open_source
from ariane.discover.model import ColumnResult, ColumnSample, Link, SourceSchema
from ariane.discover.profile_draft import DraftProfile, draft_profile
from ariane.discover.sample import DEFAULT_ROWS, sample_table
from ariane.engine.progress import NullObserver, Observer


@dataclass
class ScanReport:
    schema: SourceSchema
    columns: list[ColumnResult]
    roles: dict[str, str]
    keys: dict[str, str]
    links: list[Link]
    profile: DraftProfile
    sensitivity: dict[str, dict[str, int]]  # class -> {"results": n, "requests": m}
    sample_rows: int
    seconds: dict[str, float] = field(default_factory=dict)

    def column(self, table: str, column: str) -> ColumnResult:
        for c in self.columns:
            if c.table == table and c.column == column:
                return c
        raise KeyError((table, column))


def profile_name_for(ref: str) -> str:
    stem = re.split(r"[/\\]", ref.rstrip("/\\"))[-1].split("?")[0]
    stem = re.sub(r"\.(db|sqlite3?|csv)$", "", stem.lower())
    slug = re.sub(r"[^a-z0-9_.-]+", "-", stem).strip("-.") or "source"
    return f"draft-{slug}"[:63]


def scan_source(
    ref: str,
    *,
    sample_rows: int = DEFAULT_ROWS,
    profile_name: str | None = None,
    count_sensitive: bool = True,
    observer: Observer | None = None,
) -> ScanReport:
    obs = observer or NullObserver()
    with open_source(ref) as source:
        return _scan(source, ref, sample_rows, profile_name, count_sensitive, obs)


def _scan(
    source: OpenSource,
    ref: str,
    rows: int,
    profile_name: str | None,
    count_sensitive: bool,
    obs: Observer,
) -> ScanReport:
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = round(now - clock, 3)
        clock = now

    obs.stage("introspect")
    schema = describe(source)
    lap("introspect")
    obs.stage("sample", len(schema.tables))
    samples: dict[str, list[ColumnSample]] = {}
    for t in schema.tables:
        samples[t.name] = sample_table(source, t, rows)
        obs.advance(1)
    lap("sample")
    obs.stage("detect", sum(len(t.columns) for t in schema.tables))
    views: dict[str, list[ColumnView]] = {}
    for t in schema.tables:
        views[t.name] = []
        for col in samples[t.name]:
            views[t.name].append(classify.detect(col))
            obs.advance(1)
        classify.find_cities(views[t.name])
    lap("detect")
    obs.stage("keys and links")
    table_keys = {t.name: k for t in schema.tables if (k := keys.infer_key(t, samples[t.name]))}
    eligible = {
        (t, v.sample.name) for t, vs in views.items() for v in vs if classify.link_candidate(v)
    }
    links = keys.find_links(source, schema, samples, table_keys, eligible)
    roles = classify.assign_roles(views, table_keys, links)
    columns = classify.finalise(views, table_keys, links, roles)
    lap("links")
    obs.stage("draft profile")
    draft = draft_profile(
        profile_name or profile_name_for(ref), source, columns, roles, links, table_keys, samples
    )
    lap("profile")
    sensitivity: dict[str, dict[str, int]] = {}
    if count_sensitive and draft.profile is not None:
        obs.stage("count results by sensitivity class")
        sensitivity = linkage.sensitivity_counts(source, draft.profile, src.catalog(source.con))
        lap("sensitivity")
    del samples, views  # the only copies of sampled values
    return ScanReport(schema, columns, roles, table_keys, links, draft, sensitivity, rows, seconds)


def summary(report: ScanReport, today: dt.date | None = None) -> dict[str, Any]:
    """The data map as a plain document (JSON / YAML): names, categories and counts only."""
    tables = []
    for t in report.schema.tables:
        tables.append(
            {
                "table": t.name,
                "rows": t.rows,
                "role": report.roles.get(t.name, "other"),
                "key": report.keys.get(t.name),
                "columns": [c.as_dict() for c in report.columns if c.table == t.name],
            }
        )
    doc: dict[str, Any] = {
        "format": "ariane.datamap/1",
        "source": {"kind": report.schema.kind, "location": report.schema.location},
        "sample_rows_per_table": report.sample_rows,
        "tables": tables,
        "links": [
            {"from": f"{ln.table}.{ln.column}", "to": f"{ln.ref_table}.{ln.ref_column}"}
            for ln in report.links
        ],
        "results_by_sensitivity": report.sensitivity,
        "profile_draft": {
            "name": report.profile.document["name"],
            "entities": sorted(report.profile.document["entities"]),
            "left_out": report.profile.left_out,
        },
        "seconds": report.seconds,
    }
    if today is not None:
        doc["scanned_on"] = today.isoformat()
    return doc
