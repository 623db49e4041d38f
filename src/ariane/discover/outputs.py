"""Writing a scan's outputs: the data map (JSON and YAML), the draft profile and the draft manifest.

Every file is built from the report, which holds no sampled value, and written atomically. The
manifest draft selects nothing sensitive (`ariane.manifest.draft`), and drops any field whose
source column the scan found to be direct identity, contact, free text or a credential.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from dataclasses import dataclass

from ariane import yamlio
from ariane.discover.scan import ScanReport, summary
from ariane.errors import UsageError
from ariane.manifest.draft import draft_manifest
from ariane.manifest.load import manifest_yaml
from ariane.manifest.schema import EntityScope, Manifest
from ariane.model import categories

PLACEHOLDER = "TO-COMPLETE"
# A syntactically valid age recipient that is not a key: sealing to it fails, it cannot leak.
PLACEHOLDER_KEY = "age1" + "q" * 58


@dataclass(frozen=True)
class Parties:
    """Who the draft manifest names; anything left empty is written as a marked placeholder."""

    manifest_id: str = "DRAFT-SCAN"
    author: str = PLACEHOLDER
    controller: str = PLACEHOLDER
    processor: str = PLACEHOLDER
    processor_key: str = PLACEHOLDER
    recipient: str = PLACEHOLDER
    recipient_key: str = ""
    agreement: str = PLACEHOLDER
    agreement_date: dt.date | None = None
    delete_by: dt.date | None = None

    def placeholders(self) -> list[str]:
        out = [k for k, v in vars(self).items() if v == PLACEHOLDER]
        if not self.recipient_key:
            out.append("recipient_key")
        if self.agreement_date is None:
            out.append("agreement_date")
        if self.delete_by is None:
            out.append("delete_by")
        return out


@dataclass(frozen=True)
class Written:
    datamap_json: pathlib.Path
    datamap_yaml: pathlib.Path
    profile: pathlib.Path | None
    manifest: pathlib.Path | None
    placeholders: tuple[str, ...]


def draft_scan_manifest(report: ScanReport, parties: Parties, today: dt.date) -> Manifest | None:
    profile = report.profile.profile
    if profile is None:
        return None
    m = draft_manifest(
        profile,
        manifest_id=parties.manifest_id,
        author=parties.author,
        controller=parties.controller,
        processor=parties.processor,
        processor_key=parties.processor_key,
        recipient=parties.recipient,
        recipient_key=parties.recipient_key or PLACEHOLDER_KEY,
        agreement_reference=parties.agreement,
        agreement_date=parties.agreement_date or today,
        delete_by=parties.delete_by or today + dt.timedelta(days=90),
    )
    sensitive = categories.SENSITIVE_BY_DEFAULT
    found = {(c.table, c.column): c.category for c in report.columns}
    entities: dict[str, EntityScope] = {}
    for name, scope in m.entities.items():
        table = report.profile.document["entities"][name]["table"]
        keep = []
        for f in scope.fields:
            column = report.profile.columns.get((name, f))
            if column is not None and found.get((table, column)) in sensitive:
                continue  # the canonical field is harmless, this source's column is not
            keep.append(f)
        entities[name] = EntityScope(fields=keep, filter=scope.filter)
    return m.model_copy(update={"entities": entities})


def write_outputs(
    report: ScanReport, out: pathlib.Path, parties: Parties, today: dt.date
) -> Written:
    if out.exists() and not out.is_dir():
        raise UsageError(f"output {out} exists and is not a folder")
    names = ("datamap.json", "datamap.yaml", "profile.yaml", "manifest.yaml")
    clash = [n for n in names if (out / n).exists()]
    if clash:
        raise UsageError(f"output folder {out} already holds {', '.join(clash)}; choose another")
    doc = summary(report, today)
    json_path, yaml_path = out / "datamap.json", out / "datamap.yaml"
    yamlio.write_atomic(json_path, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode())
    yamlio.write_atomic(yaml_path, yamlio.dump_yaml(doc).encode())
    profile_path = manifest_path = None
    placeholders: tuple[str, ...] = ()
    if report.profile.profile is not None:
        profile_path = out / "profile.yaml"
        header = (
            "# Draft source profile written by `ariane scan`. Review every mapping; entities\n"
            "# left out: " + (", ".join(report.profile.left_out) or "none") + "\n"
        )
        yamlio.write_atomic(
            profile_path, (header + yamlio.dump_yaml(report.profile.document)).encode()
        )
        manifest = draft_scan_manifest(report, parties, today)
        if manifest is not None:
            placeholders = tuple(parties.placeholders())
            manifest_path = out / "manifest.yaml"
            note = (
                "# Draft scope manifest written by `ariane scan`: it selects nothing sensitive.\n"
                f"# source.profile names {profile_path.name} by its name and digest: load that\n"
                "# profile by path (`--profile` / profile file) when checking this manifest.\n"
            )
            if placeholders:
                note += (
                    f"# PLACEHOLDERS to replace before submission ({PLACEHOLDER} / dates of the\n"
                    "# scan day / a recipient key that is not a key): "
                    + ", ".join(placeholders)
                    + "\n"
                )
            yamlio.write_atomic(manifest_path, (note + manifest_yaml(manifest)).encode())
    return Written(json_path, yaml_path, profile_path, manifest_path, placeholders)
