"""Private files written atomically: 0600, temporary name in the same directory, fsync, rename.

Key material, sealed secrets and package files all land on disk through these helpers so that a
crash leaves either the old state or the new one, never half a file, and nobody else can read it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ariane.errors import UsageError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink inside `path` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_private_dir(path: Path) -> None:
    """Create `path` (and missing parents) with mode 0700; the leaf must not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    try:
        path.mkdir(mode=PRIVATE_DIR)
    except FileExistsError:
        raise UsageError(f"directory already exists: {path.name}") from None
    os.chmod(path, PRIVATE_DIR)  # mkdir's mode is filtered by the umask


def open_new_private(path: Path) -> int:
    """Open a new file for writing with mode 0600, failing if it exists; returns the fd."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE)
    except FileExistsError:
        raise UsageError(f"file already exists: {path.name}") from None
    os.fchmod(fd, PRIVATE_FILE)
    return fd


def write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_new_file(path: Path, data: bytes) -> None:
    """Write a new 0600 file and fsync it (no rename: for files inside a not-yet-published dir)."""
    fd = open_new_private(path)
    try:
        write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, *, replace: bool = False) -> None:
    """Write `data` to `path` as 0600 via a temporary sibling, fsync, rename, fsync the directory.

    Without `replace`, an existing `path` is refused (UsageError) rather than overwritten.
    """
    if not replace and path.exists():
        raise UsageError(f"file already exists: {path.name}")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = open_new_private(tmp)
    try:
        write_all(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    os.close(fd)
    if replace:
        os.replace(tmp, path)
    else:
        try:
            os.link(tmp, path)  # link() refuses an existing target: no silent overwrite race
        except FileExistsError:
            tmp.unlink()
            raise UsageError(f"file already exists: {path.name}") from None
        tmp.unlink()
    fsync_dir(path.parent)
