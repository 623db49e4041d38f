"""Checkpoints of a package being written, part by part, so that a killed extraction resumes.

After each sealed part, `progress.json` in the partial directory records the entities completed
(their index entries) and the parts of the entity being written. With each such part goes the
list of the keys it holds, sealed to the *sender's* own age key in `resume/`: a resumed run
decrypts it to leave those rows out of the parts it still has to write, and no one else can read
it. Resuming keeps exactly the recorded files whose hashes still match, destroys anything else
in the partial directory (the part that was being sealed when the process died), and the writer
carries on from the next part. Nothing in the partial directory is ever clear text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ariane.crypto.digest import canonical_json, sha256_hex
from ariane.crypto.files import write_atomic
from ariane.crypto.shred import destroy_file
from ariane.errors import IntegrityError
from ariane.package.index import EntityEntry, Part
from ariane.package.layout import MANIFEST_FILE, PARTS_DIR, RESUME_DIR

PROGRESS_FILE = "progress.json"


def keys_file(entity: str, number: int) -> str:
    """Relative path of the sealed key list of an unfinished entity's part."""
    return f"{RESUME_DIR}/{entity}-{number:05d}.keys.age"


class KeysFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    file: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Unfinished(BaseModel):
    """The entity being written: its sealed parts so far, and their sealed key lists."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    entity: str
    parts: tuple[Part, ...]
    keys: tuple[KeysFile, ...]


def record_progress(
    partial: Path,
    head: dict[str, Any],
    entities: dict[str, EntityEntry],
    unfinished: Unfinished | None = None,
) -> None:
    doc: dict[str, Any] = {
        "head": head,
        "entities": {n: e.model_dump(mode="json") for n, e in sorted(entities.items())},
    }
    if unfinished is not None:
        doc["unfinished"] = unfinished.model_dump(mode="json")
    write_atomic(partial / PROGRESS_FILE, canonical_json(doc), replace=True)


def resume_partial(
    partial: Path, manifest_bytes: bytes, head: dict[str, Any]
) -> tuple[dict[str, EntityEntry], Unfinished | None]:
    """What an interrupted run sealed; raises when the partial package is not ours or altered."""
    try:
        doc = json.loads((partial / PROGRESS_FILE).read_text("utf-8"))
        if not set(doc) <= {"head", "entities", "unfinished"}:
            raise ValueError("unknown field")
        # JSON mode: the models are strict, and JSON has lists where they hold tuples.
        entities = {
            n: EntityEntry.model_validate_json(json.dumps(e)) for n, e in doc["entities"].items()
        }
        raw = doc.get("unfinished")
        unfinished = None if raw is None else Unfinished.model_validate_json(json.dumps(raw))
    except (OSError, ValueError, KeyError, TypeError):
        raise IntegrityError(f"{partial.name}/{PROGRESS_FILE} is unreadable") from None
    if doc.get("head") != head:
        raise IntegrityError(f"{partial.name} belongs to another package or manifest version")
    if sha256_hex((partial / MANIFEST_FILE).read_bytes()) != sha256_hex(manifest_bytes):
        raise IntegrityError(f"{partial.name}/{MANIFEST_FILE} differs from the manifest")
    from ariane.package.reader import check_part_file

    keep = {PROGRESS_FILE, MANIFEST_FILE}
    parts = [p for e in entities.values() for p in e.parts]
    if unfinished is not None:
        if unfinished.entity in entities or len(unfinished.parts) != len(unfinished.keys):
            raise IntegrityError(f"{partial.name}/{PROGRESS_FILE} is inconsistent")
        parts += unfinished.parts
        for kf in unfinished.keys:
            if not _matches(partial / kf.file, kf.sha256):
                raise IntegrityError(f"{kf.file} does not match its hash")
            keep.add(kf.file)
    for part in parts:
        check_part_file(partial, part)
        keep.add(part.file)
    for sub in (PARTS_DIR, RESUME_DIR):
        folder = partial / sub
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            if f"{sub}/{path.name}" not in keep:
                destroy_file(path)  # what was being sealed when the run died
    for path in partial.iterdir():
        if path.is_file() and path.name not in keep:
            destroy_file(path)
    return entities, unfinished


def _matches(path: Path, sha256: str) -> bool:
    try:
        return not path.is_symlink() and sha256_hex(path.read_bytes()) == sha256
    except OSError:
        return False
