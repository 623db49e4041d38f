"""Checkpoints of a package being written, so that a killed extraction can resume.

After each entity is sealed, `progress.json` in the partial directory records its index entry
(parts with their ciphertext hashes, rows, stats). Resuming keeps exactly the recorded entities
whose parts still verify, destroys anything else in the partial directory (the parts of the
entity that was being written when the process died), and the writer carries on from there.
Nothing in the partial directory is ever clear text: parts are sealed before they are written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ariane.crypto.digest import canonical_json, sha256_hex
from ariane.crypto.files import write_atomic
from ariane.crypto.shred import destroy_file
from ariane.errors import IntegrityError
from ariane.package.index import EntityEntry
from ariane.package.layout import MANIFEST_FILE, PARTS_DIR

PROGRESS_FILE = "progress.json"


def record_progress(partial: Path, head: dict[str, Any], entities: dict[str, EntityEntry]) -> None:
    doc = {
        "head": head,
        "entities": {n: e.model_dump(mode="json") for n, e in sorted(entities.items())},
    }
    write_atomic(partial / PROGRESS_FILE, canonical_json(doc), replace=True)


def resume_partial(
    partial: Path, manifest_bytes: bytes, head: dict[str, Any]
) -> dict[str, EntityEntry]:
    """The entities an interrupted run completed; raises when the partial package is not ours."""
    import json

    try:
        doc = json.loads((partial / PROGRESS_FILE).read_text("utf-8"))
        # JSON mode: the index models are strict, and JSON has lists where they hold tuples.
        entities = {
            n: EntityEntry.model_validate_json(json.dumps(e)) for n, e in doc["entities"].items()
        }
    except (OSError, ValueError, KeyError):
        raise IntegrityError(f"{partial.name}/{PROGRESS_FILE} is unreadable") from None
    if doc.get("head") != head:
        raise IntegrityError(f"{partial.name} belongs to another package or manifest version")
    if sha256_hex((partial / MANIFEST_FILE).read_bytes()) != sha256_hex(manifest_bytes):
        raise IntegrityError(f"{partial.name}/{MANIFEST_FILE} differs from the manifest")
    from ariane.package.reader import check_part_file

    keep = {PROGRESS_FILE, MANIFEST_FILE}
    for entry in entities.values():
        for part in entry.parts:
            check_part_file(partial, part)
            keep.add(part.file)
    for path in sorted((partial / PARTS_DIR).iterdir()):
        if f"{PARTS_DIR}/{path.name}" not in keep:
            destroy_file(path)  # the entity being sealed when the run died
    for path in partial.iterdir():
        if path.is_file() and path.name not in keep:
            destroy_file(path)
    return entities
