"""The log's files: the lines, the head, the lock, and consistent snapshots of them.

```
<root>/audit.jsonl   one canonical JSON event per line, appended and fsynced
<root>/head.json     canonical {format, workspace_id, seq, hash} of the last event (atomic rewrite)
<root>/audit.lock    flock(2) target: writers take it exclusive, readers shared
```
Writers append the line first and then rewrite head.json, both under the exclusive lock, so a
reader holding the shared lock always sees a file that ends on a whole line matching the head.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ariane.audit.event import MAX_LINE, ZERO_HASH, check_hash, check_seq
from ariane.crypto.digest import canonical_json
from ariane.crypto.files import (
    PRIVATE_DIR,
    PRIVATE_FILE,
    fsync_dir,
    open_new_private,
    write_all,
)
from ariane.errors import IntegrityError, UsageError

LOG_FILE = "audit.jsonl"
HEAD_FILE = "head.json"
LOCK_FILE = "audit.lock"
HEAD_FORMAT = "ariane.audit-head/1"
_NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True)
class Head:
    """Seq and hash of the last event; (0, zeros) for a log that has none yet."""

    seq: int
    hash: str


EMPTY_HEAD = Head(0, ZERO_HASH)


@dataclass(frozen=True)
class Snapshot:
    """The log file opened at one instant (`file` is None when it does not exist)."""

    file: BinaryIO | None
    size: int
    head: Head | None


def iter_lines(f: BinaryIO | None, size: int) -> Iterator[tuple[int, bytes]]:
    """(line number, line without its newline) for the first `size` bytes of `f`."""
    remaining, lineno = (size if f is not None else 0), 0
    while remaining > 0 and f is not None:
        lineno += 1
        raw = f.readline(min(remaining, MAX_LINE + 1))
        remaining -= len(raw)
        if not raw.endswith(b"\n"):
            if len(raw) > MAX_LINE:
                raise IntegrityError(f"audit log line {lineno} is longer than {MAX_LINE} bytes")
            raise IntegrityError(f"audit log line {lineno} is incomplete: the file is truncated")
        yield lineno, raw[:-1]


class Store:
    def __init__(self, root: Path, workspace_id: str) -> None:
        self.root = root
        self.workspace_id = workspace_id
        self.log_path = root / LOG_FILE
        self.head_path = root / HEAD_FILE
        self.lock_path = root / LOCK_FILE

    def exists(self) -> bool:
        return self.log_path.exists() or self.head_path.exists()

    def ensure_dir(self) -> None:
        if not self.root.is_dir():
            self.root.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
            with contextlib.suppress(FileExistsError):  # a concurrent writer made it first
                self.root.mkdir(mode=PRIVATE_DIR)
                os.chmod(self.root, PRIVATE_DIR)  # mkdir's mode is filtered by the umask

    @contextlib.contextmanager
    def locked(self, exclusive: bool) -> Iterator[None]:
        """flock on audit.lock; a reader of a log never written here (a copy) goes unlocked."""
        if exclusive:
            self.ensure_dir()
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, PRIVATE_FILE)
        else:
            try:
                fd = os.open(self.lock_path, os.O_RDONLY | _NOFOLLOW)
            except FileNotFoundError:
                yield
                return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)  # closing the last descriptor releases the flock

    def read_head(self) -> Head | None:
        try:
            raw = self.head_path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or set(data) != {"format", "workspace_id", "seq", "hash"}:
                raise ValueError
            if data["format"] != HEAD_FORMAT:
                raise ValueError
            head = Head(check_seq(data["seq"]), check_hash("hash", data["hash"]))
        except (ValueError, UsageError):
            raise IntegrityError("audit head.json is malformed") from None
        if data["workspace_id"] != self.workspace_id:
            raise IntegrityError("audit head.json belongs to another workspace")
        return head

    def write_head(self, head: Head) -> None:
        doc = {"format": HEAD_FORMAT, "workspace_id": self.workspace_id,
               "seq": head.seq, "hash": head.hash}  # fmt: skip
        self._replace(self.head_path, [canonical_json(doc)])

    def last_line(self) -> bytes | None:
        """The file's last line (None when empty or missing), read from the end."""
        try:
            f = self.log_path.open("rb")
        except FileNotFoundError:
            return None
        with f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                return None
            start = max(0, size - (MAX_LINE + 2))
            f.seek(start)
            tail = f.read()
        if not tail.endswith(b"\n"):
            raise IntegrityError("audit log ends with an incomplete line: the file is truncated")
        body = tail[:-1]
        cut = body.rfind(b"\n")
        if cut < 0 and start > 0:
            raise IntegrityError(f"audit log's last line is longer than {MAX_LINE} bytes")
        return body[cut + 1 :]

    def append_line(self, line: bytes) -> None:
        created = not self.log_path.exists()
        fd = os.open(
            self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW, PRIVATE_FILE
        )
        try:
            if created:
                os.fchmod(fd, PRIVATE_FILE)  # exactly 0600, whatever the umask
            write_all(fd, line + b"\n")  # one write call in practice: O_APPEND keeps it whole
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.root)

    def replace_log(self, lines: Iterable[bytes]) -> None:
        """Atomically replace audit.jsonl by `lines` (retention)."""
        self._replace(self.log_path, (line + b"\n" for line in lines))

    def _replace(self, path: Path, chunks: Iterable[bytes]) -> None:
        """Write a 0600 sibling, fsync, rename over `path`, fsync the directory."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()  # left by a crashed writer that had our pid; we hold the lock
        fd = open_new_private(tmp)
        try:
            for chunk in chunks:
                write_all(fd, chunk)
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink()
            raise
        os.close(fd)
        os.replace(tmp, path)
        fsync_dir(self.root)

    @contextlib.contextmanager
    def snapshot(self, lock: bool = True) -> Iterator[Snapshot]:
        """Open the file and read the head under the shared lock, then release it: the first
        `size` bytes of the open file cannot change (appends go past them, retention replaces
        the file by rename, which leaves our descriptor on the old one).

        `lock=False` is for a caller that already holds the exclusive lock (flock would block
        on our own lock: it belongs to the open file, not to the process)."""
        f: BinaryIO | None = None
        try:
            with self.locked(exclusive=False) if lock else contextlib.nullcontext():
                with contextlib.suppress(FileNotFoundError):
                    f = self.log_path.open("rb")
                size = os.fstat(f.fileno()).st_size if f is not None else 0
                head = self.read_head()
            yield Snapshot(f, size, head)
        finally:
            if f is not None:
                f.close()
