"""File names inside a package directory (DESIGN §6). Nothing else may exist in a package."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

FORMAT: Final = "ariane.package/1"
MANIFEST_FILE = "manifest.json"
INDEX_FILE = "index.json"
SIGNATURE_FILE = "index.sig"
PARTS_DIR = "parts"
RESUME_DIR = "resume"  # only in a partial package: per-part checkpoints (progress.py)
PARTIAL_SUFFIX = ".partial"

# Entity names become file names: a strict pattern keeps them inside parts/.
ENTITY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def part_file(entity: str, number: int) -> str:
    """Relative path of an entity's part, as listed in the index."""
    return f"{PARTS_DIR}/{entity}-{number:05d}.parquet.age"


def partial_dir(out_dir: Path) -> Path:
    """The sibling directory a package is built in before it is published by rename."""
    return out_dir.with_name(out_dir.name + PARTIAL_SUFFIX)
