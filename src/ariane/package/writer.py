"""Writing a sealed package (DESIGN §6).

Parts are built as Parquet in memory and sealed to the recipient as they are written: no
plaintext byte reaches the disk. The package is assembled in `<out_dir>.partial` and published
by a rename once the signed index is in place, so `out_dir` exists only when it is complete.
Any failure destroys the partial directory.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ariane.crypto.digest import Sha256, canonical_digest, canonical_json, sha256_hex
from ariane.crypto.files import (
    fsync_dir,
    make_private_dir,
    open_new_private,
    write_all,
    write_new_file,
)
from ariane.crypto.keys import PublicKeys, UnlockedKeys
from ariane.crypto.seal import encrypt_stream
from ariane.crypto.sign import signature_to_text
from ariane.errors import InputError, IntegrityError, PolicyError, UsageError
from ariane.package.index import Column, EntityEntry, PackageIndex, Part, Recipient, Sender
from ariane.package.layout import (
    ENTITY_PATTERN,
    FORMAT,
    INDEX_FILE,
    MANIFEST_FILE,
    PARTS_DIR,
    SIGNATURE_FILE,
    part_file,
    partial_dir,
)
from ariane.package.progress import PROGRESS_FILE, record_progress, resume_partial
from ariane.package.purge import purge_package

DEFAULT_PART_ROWS = 500_000
ROW_GROUP_ROWS = 128 * 1024  # batches are buffered up to this before Parquet encodes them


class _HashingFile:
    """The file a part is sealed into; hashes the ciphertext on its way to disk."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self.digest = Sha256()

    def write(self, data: bytes, /) -> int:
        write_all(self._fd, data)
        self.digest.update(data)
        return len(data)


class _PartBuilder:
    """One Parquet file in an in-memory buffer (never a file on disk)."""

    def __init__(self, schema: pa.Schema) -> None:
        self._schema = schema
        self._sink = pa.BufferOutputStream()
        self._writer = pq.ParquetWriter(self._sink, schema, compression="zstd")
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self.rows = 0

    def add(self, batch: pa.RecordBatch) -> None:
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        self.rows += batch.num_rows
        if self._pending_rows >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        # Buffering gives sensible row groups however small the caller's batches are.
        if self._pending:
            table = pa.Table.from_batches(self._pending, schema=self._schema)
            self._writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
            self._pending, self._pending_rows = [], 0

    def finish(self) -> pa.Buffer:
        self._flush()
        self._writer.close()
        return self._sink.getvalue()


class PackageWriter:
    """Build a package for `recipient`, signed by `sender`. Use as a context manager."""

    def __init__(
        self,
        out_dir: Path,
        *,
        manifest: dict[str, Any],
        manifest_digest: str,
        approvals: list[dict[str, Any]],
        recipient: PublicKeys,
        sender: UnlockedKeys,
        created_at: datetime,
        package_id: str,
        part_rows: int = DEFAULT_PART_ROWS,
        manifest_id: str | None = None,
        resume: bool = False,
    ) -> None:
        if out_dir.exists() or out_dir.is_symlink():
            raise UsageError(f"package directory already exists: {out_dir.name}")
        if canonical_digest(manifest) != manifest_digest:
            raise IntegrityError("manifest digest does not match the manifest")
        if not approvals:
            raise PolicyError("a package needs an approved manifest: no approval given")
        if created_at.tzinfo is None:
            raise UsageError("created_at must carry a time zone")
        if not isinstance(part_rows, int) or part_rows < 1:
            raise UsageError("part_rows must be a positive integer")
        if not package_id:
            raise UsageError("package_id must not be empty")
        if manifest_id is None:
            manifest_id = manifest.get("id")
        if not isinstance(manifest_id, str) or not manifest_id:
            raise UsageError("manifest id missing: pass manifest_id or give the manifest an id")
        try:
            manifest_bytes = canonical_json({"manifest": manifest, "approvals": approvals})
        except InputError:
            raise UsageError("manifest and approvals must be JSON documents") from None

        self._out_dir = out_dir
        self._partial = partial_dir(out_dir)
        self._recipient = recipient
        self._sender = sender
        self._part_rows = part_rows
        self._entities: dict[str, EntityEntry] = {}
        self._head = {
            "package_id": package_id,
            "created_at": created_at.isoformat(),
            "manifest_id": manifest_id,
            "manifest_digest": manifest_digest,
            "manifest_file_sha256": sha256_hex(manifest_bytes),
        }
        self._state = "open"
        if resume and (self._partial / PROGRESS_FILE).is_file():
            # A run killed mid-way left entities sealed and recorded: keep what verifies.
            self._entities = resume_partial(self._partial, manifest_bytes, self._head)
            return
        if self._partial.exists() or self._partial.is_symlink():
            if not resume:
                raise UsageError(
                    f"a partial package is in the way: {self._partial.name} (purge it)"
                )
            purge_package(self._partial)
        make_private_dir(self._partial)
        try:
            make_private_dir(self._partial / PARTS_DIR)
            write_new_file(self._partial / MANIFEST_FILE, manifest_bytes)
        except BaseException:
            self.abort()
            raise

    def entry(self, entity: str) -> EntityEntry:
        return self._entities[entity]

    @property
    def completed(self) -> frozenset[str]:
        """Entities already sealed (by this run, or by an interrupted one being resumed)."""
        return frozenset(self._entities)

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> PackageWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.abort()
        elif self._state == "open":
            self.abort()
            raise UsageError("package writer closed without finish(): package discarded")

    def abort(self) -> None:
        """Destroy everything written so far. Safe to call more than once."""
        self._state = "aborted"
        if self._partial.exists():
            purge_package(self._partial)

    def _check_open(self) -> None:
        if self._state != "open":
            raise UsageError(f"package writer is {self._state}")

    # -- content -----------------------------------------------------------------------------

    def write_entity(
        self,
        entity: str,
        schema: pa.Schema,
        batches: Iterable[pa.RecordBatch],
        stats: dict[str, Any] | Callable[[], dict[str, Any]],
    ) -> None:
        """Seal all rows of one entity into parts of at most `part_rows` rows."""
        self._check_open()
        try:
            self._entities[entity] = self._write_entity(entity, schema, batches, stats)
            record_progress(self._partial, self._head, self._entities)
        except BaseException:
            self.abort()
            raise

    def _write_entity(
        self,
        entity: str,
        schema: pa.Schema,
        batches: Iterable[pa.RecordBatch],
        stats: dict[str, Any] | Callable[[], dict[str, Any]],
    ) -> EntityEntry:
        if not isinstance(entity, str) or not ENTITY_PATTERN.fullmatch(entity):
            raise UsageError("entity name must match ^[a-z][a-z0-9_]{0,62}$")
        if entity in self._entities:
            raise UsageError(f"entity {entity} written twice")
        if len(schema) == 0:
            raise UsageError(f"entity {entity} has no column")
        schema = schema.remove_metadata()
        parts: list[Part] = []
        builder: _PartBuilder | None = None
        for batch in batches:
            if not batch.schema.equals(schema):
                raise UsageError(f"a batch of entity {entity} does not match its schema")
            offset = 0
            while offset < batch.num_rows:
                if builder is None:
                    builder = _PartBuilder(schema)
                take = min(self._part_rows - builder.rows, batch.num_rows - offset)
                builder.add(batch.slice(offset, take))
                offset += take
                if builder.rows == self._part_rows:
                    parts.append(self._seal_part(entity, len(parts), builder))
                    builder = None
        if builder is not None or not parts:
            # An empty entity still gets one (empty) part so that its schema travels.
            parts.append(self._seal_part(entity, len(parts), builder or _PartBuilder(schema)))
        # Stats may be a callable: digests computed while the batches streamed are ready now.
        stats = stats() if callable(stats) else stats
        try:
            canonical_json(stats)
        except InputError:
            raise UsageError(f"stats of entity {entity} must be a JSON document") from None
        return EntityEntry(
            rows=sum(p.rows for p in parts),
            columns=tuple(Column(name=f.name, type=str(f.type)) for f in schema),
            parts=tuple(parts),
            stats=stats,
        )

    def _seal_part(self, entity: str, number: int, builder: _PartBuilder) -> Part:
        plain = builder.finish()
        name = part_file(entity, number)
        fd = open_new_private(self._partial / name)
        try:
            out = _HashingFile(fd)
            encrypt_stream(pa.BufferReader(plain), out, self._recipient.age_recipient)
            os.fsync(fd)
        finally:
            os.close(fd)
        return Part(
            file=name,
            rows=builder.rows,
            plaintext_sha256=sha256_hex(memoryview(plain)),
            ciphertext_sha256=out.digest.hexdigest(),
            ciphertext_size=out.digest.size,
        )

    def finish(self) -> PackageIndex:
        """Write and sign the index, then publish the package by renaming it to `out_dir`."""
        self._check_open()
        try:
            index = self._finish()
        except BaseException:
            self.abort()
            raise
        self._state = "finished"
        return index

    def _finish(self) -> PackageIndex:
        if not self._entities:
            raise UsageError("a package needs at least one entity")
        sender = self._sender.public
        index = PackageIndex(
            format=FORMAT,
            sender=Sender(name=sender.name, ed25519_public=sender.ed25519_public),
            recipient=Recipient(
                name=self._recipient.name, age_recipient=self._recipient.age_recipient
            ),
            entities=dict(sorted(self._entities.items())),  # canonical JSON sorts them anyway
            **self._head,
        )
        data = index.to_bytes()
        (self._partial / PROGRESS_FILE).unlink(missing_ok=True)  # a package lists every file
        write_new_file(self._partial / INDEX_FILE, data)
        signature = signature_to_text(self._sender.sign(data)) + "\n"
        write_new_file(self._partial / SIGNATURE_FILE, signature.encode("ascii"))
        fsync_dir(self._partial / PARTS_DIR)
        fsync_dir(self._partial)
        if self._out_dir.exists() or self._out_dir.is_symlink():
            # rename() would silently replace an empty directory created meanwhile.
            raise UsageError(f"package directory already exists: {self._out_dir.name}")
        os.rename(self._partial, self._out_dir)
        fsync_dir(self._out_dir.parent)
        return index
