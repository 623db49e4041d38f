"""Purging a package: every file overwritten and unlinked, then the directory removed.

Works on a published package and on a `.partial` one. The returned records (path, size, hash)
are what a purge certificate lists.
"""

from __future__ import annotations

from pathlib import Path

from ariane.crypto.shred import DestroyedFile, destroy_tree
from ariane.errors import UsageError
from ariane.package.layout import PARTS_DIR, RESUME_DIR


def _check_shape(path: Path) -> None:
    # A guard against a wrong argument wiping an unrelated tree: a package holds files and one
    # flat parts/ directory (while partial, a flat resume/ one too). Stray files are allowed
    # (and destroyed): a tampered package must still be purgeable.
    if path.is_symlink() or not path.is_dir():
        raise UsageError(f"no package directory at {path.name}")
    for entry in path.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            if entry.name not in (PARTS_DIR, RESUME_DIR):
                raise UsageError(f"not a package directory: it holds a directory {entry.name}")
            for sub in entry.iterdir():
                if sub.is_dir() and not sub.is_symlink():
                    raise UsageError(f"not a package directory: it holds a directory {sub.name}")


def purge_package(path: Path) -> list[DestroyedFile]:
    """Destroy every file of the package at `path` (parts, index, signature, manifest)."""
    _check_shape(path)
    return destroy_tree(path)
