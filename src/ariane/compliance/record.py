"""`ariane record`: the processor's record of processing activities (GDPR Art. 30(2)).

One entry per controller, built from every manifest in the workspace and the state of its run:
(a) the name and contact details of the processor and of the controller; (b) the categories of
processing carried out for it — purpose, entities, data categories, data subjects, exclusions,
transformations; (c) transfers — the recipient, and no third-country transfer unless declared;
(d) a general description of the technical and organisational security measures. Dates and
states come from each migration's history; counts from its extraction report. No patient value.
"""

from __future__ import annotations

import csv
import io
import json
import pathlib
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any, Literal

import jinja2

from ariane import yamlio
from ariane.compliance.draft import CATEGORY_TEXT, SENSITIVE_TEXT
from ariane.compliance.facts import when
from ariane.compliance.plain import scope_text
from ariane.engine.workspace import Workspace
from ariane.errors import UsageError
from ariane.manifest.schema import Manifest
from ariane.model import categories as c
from ariane.model.entities import ENTITIES, ORDER

Format = Literal["csv", "json", "html"]
FORMATS: tuple[Format, ...] = ("csv", "json", "html")
FORMAT_ID = "ariane.record-of-processing/1"

SECURITY_MEASURES = (
    "scope enforced at the source: only the fields a manifest names are selected, rows outside "
    "its filters are never fetched, every extracted batch is checked again against it",
    "documented instruction: each transfer follows a scope manifest approved by a controller's "
    "personal Ed25519 signature, never by its author; a changed manifest needs a new approval",
    "processing agreement on record (GDPR Art. 28(3)) checked before approval; overrides by a "
    "controller are signed and raised as alerts",
    "pseudonymisation of identifiers with keyed HMAC-SHA256 under a per-migration secret",
    "encryption of every package part with age (X25519) to the recipient's key, in memory; "
    "no extract in clear on disk",
    "integrity: package index signed with Ed25519, verified with every hash before any load; "
    "reconciliation of counts and per-field digests against the target",
    "named accounts with roles, Argon2id passwords and a second factor for controllers, "
    "operators and administrators; owner-only files",
    "append-only, hash-chained audit log with signed checkpoints; alerts on refusals, failed "
    "logins, overrides and access after the deletion date",
    "destruction of packages, secrets and keys by a deadline, with a signed certificate",
)
_STEPS = ("approved", "extracted", "loaded", "reconciled", "purged")


@dataclass(frozen=True)
class Activity:
    manifest: str
    title: str
    purpose: str
    agreement: str
    processor: str
    processor_contact: str
    recipient: str
    recipient_contact: str
    third_country_transfer: str
    data_subjects: tuple[str, ...]
    entities: tuple[str, ...]
    categories: tuple[str, ...]
    excluded: tuple[str, ...]
    transforms: tuple[str, ...]
    state: str
    dates: dict[str, str]  # step -> when it first happened
    delete_by: str
    transferred: dict[str, int]  # entity -> rows, once extracted


@dataclass(frozen=True)
class RecordEntry:
    controller: str
    controller_contact: str
    processor: str
    processor_contact: str
    activities: tuple[Activity, ...]
    security_measures: tuple[str, ...] = SECURITY_MEASURES


def _categories(m: Manifest) -> tuple[str, ...]:
    seen: list[str] = []
    for name in ORDER:
        scope = m.entities.get(name)
        for field in scope.fields if scope else []:
            cat = ENTITIES[name].field(field).category
            if cat not in seen:
                seen.append(cat)
    out = [f"{cat}: {CATEGORY_TEXT[cat][0]}" for cat in seen]
    if "result" in m.entities:
        out += [
            f"{c.sensitive(k)}: {SENSITIVE_TEXT[k][0]}"
            for k in c.SENSITIVE_CLASSES
            if c.sensitive(k) not in m.exclude_categories
        ]
    return tuple(out)


def _subjects(m: Manifest) -> tuple[str, ...]:
    out = ["patients of the controller's laboratory"]
    if {"practitioner"} & set(m.entities) or any(
        f in s.fields for s in m.entities.values() for f in ("prescriber_id", "validator_id")
    ):
        out.append("prescribing practitioners and validating biologists")
    return tuple(out)


def _activity(ws: Workspace, mid: str) -> Activity:
    m, st = ws.manifest(mid), ws.state(mid)
    dates: dict[str, str] = {}
    history = st.get("history", [])
    if history:
        dates["submitted"] = when(history[0]["at"])
    for h in history:
        if h["to"] in _STEPS and h["to"] not in dates:
            dates[h["to"]] = when(h["at"])
    extract_path = ws.migration_dir(mid) / "extract.json"
    counts = ws.read_json(extract_path, "extract")["counts"] if extract_path.exists() else {}
    scope = scope_text(m)
    return Activity(
        manifest=mid,
        title=m.title,
        purpose=m.purpose,
        agreement=f"{m.agreement.reference} of {m.agreement.date}",
        processor=m.processor.name,
        processor_contact=m.processor.contact,
        recipient=m.recipient.name,
        recipient_contact=m.recipient.contact,
        # The manifest names no country: a transfer abroad would have to be declared there.
        third_country_transfer="none declared in the manifest",
        data_subjects=_subjects(m),
        entities=tuple(n for n in ORDER if n in m.entities),
        categories=_categories(m),
        excluded=scope.exclusions,
        transforms=scope.transforms,
        state=st["state"],
        dates=dates,
        delete_by=m.delete_by.isoformat(),
        transferred={k: v["transferred"] for k, v in counts.items() if v["transferred"]},
    )


def build_record(ws: Workspace, controller: str | None = None) -> list[RecordEntry]:
    """The record, one entry per controller (only `controller`'s, matched case-insensitively)."""
    root = ws.root / "migrations"
    mids = sorted(p.name for p in root.glob("*") if (p / "manifest.yaml").exists())
    by_controller: dict[str, list[tuple[Manifest, Activity]]] = {}
    for mid in mids:
        m = ws.manifest(mid)
        if controller is None or m.controller.name.casefold() == controller.casefold():
            by_controller.setdefault(m.controller.name, []).append((m, _activity(ws, mid)))
    if controller is not None and not by_controller:
        raise UsageError(f"no manifest in this workspace names the controller {controller!r}")
    out = []
    for name, items in sorted(by_controller.items()):
        manifests = [m for m, _ in items]
        out.append(
            RecordEntry(
                controller=name,
                controller_contact=_joined(m.controller.contact for m in manifests),
                processor=_joined(m.processor.name for m in manifests),
                processor_contact=_joined(m.processor.contact for m in manifests),
                activities=tuple(a for _, a in items),
            )
        )
    return out


def _joined(values: Any) -> str:
    return "; ".join(dict.fromkeys(v for v in values if v))


# --- writers ---------------------------------------------------------------------------------
def record_json(entries: list[RecordEntry]) -> dict[str, Any]:
    return {"format": FORMAT_ID, "controllers": [asdict(e) for e in entries]}


_CSV_COLUMNS = (
    "controller", "controller_contact", "processor", "processor_contact", "manifest", "title",
    "purpose", "agreement", "data_subjects", "entities", "categories", "excluded", "transforms",
    "recipient", "recipient_contact", "third_country_transfer", "state", "submitted", "approved",
    "extracted", "loaded", "reconciled", "purged", "delete_by", "transferred",
    "security_measures",
)  # fmt: skip


def _cell(value: Any) -> str:
    if isinstance(value, tuple | list):
        value = "; ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = "; ".join(f"{k}: {v}" for k, v in value.items())
    text = str(value)
    # A cell starting with = + - @ would be run as a formula by a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def record_csv(entries: list[RecordEntry]) -> str:
    """One row per (controller, migration)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    for e in entries:
        for a in e.activities:
            row = {**asdict(a), **a.dates, **{k: getattr(e, k) for k in _CSV_COLUMNS[:4]}}
            row["security_measures"] = e.security_measures
            writer.writerow(_cell(row.get(col, "")) for col in _CSV_COLUMNS)
    return buf.getvalue()


def record_html(entries: list[RecordEntry]) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = resources.files("ariane.compliance").joinpath("templates/record.html.j2")
    return env.from_string(template.read_text("utf-8")).render(entries=entries, steps=_STEPS)


def write_record(entries: list[RecordEntry], out: pathlib.Path, fmt: str) -> pathlib.Path:
    """Write the record into folder `out` as record-of-processing.<fmt>; return the file."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (use {', '.join(FORMATS)})")
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"record-of-processing.{fmt}"
    if fmt == "json":
        text = json.dumps(record_json(entries), indent=2, ensure_ascii=False) + "\n"
    else:
        text = record_csv(entries) if fmt == "csv" else record_html(entries)
    yamlio.write_atomic(path, text.encode("utf-8"))
    return path
