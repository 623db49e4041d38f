"""Destruction of files, with a record of what was destroyed (for purge certificates).

Overwriting before unlinking defeats casual recovery on simple filesystems; on SSDs and
copy-on-write filesystems it guarantees nothing, which is why what we destroy is ciphertext and
the keys that open it. The record names a file by path, size and content hash — never content.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ariane.crypto.files import fsync_dir
from ariane.errors import UsageError

_CHUNK = 1 << 20


@dataclass(frozen=True)
class DestroyedFile:
    path: str
    size: int
    sha256: str  # of the content before destruction


def destroy_file(path: Path, randbytes: Callable[[int], bytes] = os.urandom) -> DestroyedFile:
    """Hash, overwrite with random bytes, fsync and unlink one regular file."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        raise UsageError(f"no file to destroy: {path.name}") from None
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"refusing to destroy what is not a regular file: {path.name}")
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    try:
        size = 0
        while chunk := os.read(fd, _CHUNK):
            digest.update(chunk)
            size += len(chunk)
        os.lseek(fd, 0, os.SEEK_SET)
        left = size
        while left:
            n = min(left, _CHUNK)
            left -= os.write(fd, randbytes(n))
        os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink()
    fsync_dir(path.parent)
    return DestroyedFile(path=str(path), size=size, sha256=digest.hexdigest())


def destroy_tree(path: Path, randbytes: Callable[[int], bytes] = os.urandom) -> list[DestroyedFile]:
    """Destroy every file under `path` (sorted, deepest first), then remove its directories."""
    if path.is_symlink() or not path.is_dir():
        raise UsageError(f"not a directory: {path.name}")
    # Check the whole tree before touching it: stopping half-way would leave a half-purge.
    files: list[Path] = []
    dirs: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(path, topdown=False):
        here = Path(dirpath)
        for name in sorted(filenames):
            if not (here / name).is_file() or (here / name).is_symlink():
                raise UsageError(f"refusing to destroy what is not a regular file: {name}")
            files.append(here / name)
        for name in sorted(dirnames):
            if (here / name).is_symlink():  # os.walk lists links to directories as directories
                raise UsageError(f"refusing to destroy what is not a regular file: {name}")
            dirs.append(here / name)
    destroyed = [destroy_file(f, randbytes) for f in files]
    for d in dirs:  # deepest first, as os.walk(topdown=False) listed them
        d.rmdir()
    path.rmdir()
    fsync_dir(path.parent)
    return destroyed
