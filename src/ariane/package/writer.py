"""Writing a sealed package (DESIGN §6).

Parts are built as Parquet in memory and sealed to the recipient as they are written: no
plaintext byte reaches the disk. The package is assembled in `<out_dir>.partial` and published
by a rename once the signed index is in place, so `out_dir` exists only when it is complete.
Any failure destroys the partial directory; a killed process leaves it checkpointed after each
sealed part (see `progress.py`), and a writer opened with `resume=True` carries on from there.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc
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
from ariane.crypto.seal import encrypt_bytes, encrypt_stream
from ariane.crypto.shred import destroy_file
from ariane.crypto.sign import signature_to_text
from ariane.errors import InputError, IntegrityError, PolicyError, UsageError
from ariane.package.index import Column, EntityEntry, PackageIndex, Part, Recipient, Sender
from ariane.package.layout import (
    ENTITY_PATTERN,
    FORMAT,
    INDEX_FILE,
    MANIFEST_FILE,
    PARTS_DIR,
    RESUME_DIR,
    SIGNATURE_FILE,
    part_file,
    partial_dir,
)
from ariane.package.progress import (
    PROGRESS_FILE,
    KeysFile,
    Unfinished,
    keys_file,
    record_progress,
    resume_partial,
)
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

    def __init__(self, schema: pa.Schema, key: str | None = None) -> None:
        self._schema = schema
        self._sink = pa.BufferOutputStream()
        self._writer = pq.ParquetWriter(self._sink, schema, compression="zstd")
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._key = key
        self.keys: list[pa.Array] = []  # the key column of every row added, for the checkpoint
        self.rows = 0

    def add(self, batch: pa.RecordBatch) -> None:
        if self._key is not None:
            self.keys.append(batch.column(self._key))
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
        self._unfinished: Unfinished | None = None
        self._head = {
            "package_id": package_id,
            "created_at": created_at.isoformat(),
            "manifest_id": manifest_id,
            "manifest_digest": manifest_digest,
            "manifest_file_sha256": sha256_hex(manifest_bytes),
        }
        self._state = "open"
        if resume and (self._partial / PROGRESS_FILE).is_file():
            # A run killed mid-way left parts sealed and recorded: keep what verifies.
            self._entities, self._unfinished = resume_partial(
                self._partial, manifest_bytes, self._head
            )
            (self._partial / RESUME_DIR).mkdir(mode=0o700, exist_ok=True)
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
            make_private_dir(self._partial / RESUME_DIR)
            write_new_file(self._partial / MANIFEST_FILE, manifest_bytes)
        except BaseException:
            self.abort()
            raise

    def entry(self, entity: str) -> EntityEntry:
        return self._entities[entity]

    def resumed_keys(self, entity: str) -> pa.Array | None:
        """Keys of the rows of `entity` an interrupted run already sealed (None: start afresh).

        The caller leaves these rows out of what it passes to `write_entity`.
        """
        if self._unfinished is None or self._unfinished.entity != entity:
            return None
        chunks = []
        for kf, part in zip(self._unfinished.keys, self._unfinished.parts, strict=True):
            data = (self._partial / kf.file).read_bytes()
            plain = self._sender.decrypt(data, what=f"key list {kf.file}")
            keys = ipc.open_stream(plain).read_all().column(0)
            # Anyone may seal to the sender's public key: a list must hold one key per row of
            # its part, or rows would be skipped (or sealed twice) without the counts noticing.
            if len(keys) != part.rows:
                raise IntegrityError(f"{kf.file} does not list the rows of {part.file}")
            chunks.append(keys)
        return pa.chunked_array(chunks).combine_chunks()

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
        key: str | None = None,
    ) -> None:
        """Seal all rows of one entity into parts of at most `part_rows` rows.

        With `key` (a column of `schema`), each part is checkpointed with its keys, so that a
        resumed run can carry on after the last sealed part (see `resumed_keys`).
        """
        self._check_open()
        try:
            self._entities[entity] = self._write_entity(entity, schema, batches, stats, key)
            done, self._unfinished = self._unfinished, None
            record_progress(self._partial, self._head, self._entities)
            for kf in done.keys if done is not None else ():
                destroy_file(self._partial / kf.file)  # the entity is complete: not needed
        except BaseException:
            self.abort()
            raise

    def _write_entity(
        self,
        entity: str,
        schema: pa.Schema,
        batches: Iterable[pa.RecordBatch],
        stats: dict[str, Any] | Callable[[], dict[str, Any]],
        key: str | None,
    ) -> EntityEntry:
        if not isinstance(entity, str) or not ENTITY_PATTERN.fullmatch(entity):
            raise UsageError("entity name must match ^[a-z][a-z0-9_]{0,62}$")
        if entity in self._entities:
            raise UsageError(f"entity {entity} written twice")
        if len(schema) == 0:
            raise UsageError(f"entity {entity} has no column")
        if self._unfinished is not None and self._unfinished.entity != entity:
            raise UsageError(f"entity {self._unfinished.entity} was interrupted: write it first")
        if key is not None and key not in schema.names:
            raise UsageError(f"entity {entity} has no key column {key}")
        schema = schema.remove_metadata()
        resumed = self._unfinished
        parts: list[Part] = list(resumed.parts) if resumed else []
        keys: list[KeysFile] = list(resumed.keys) if resumed else []
        builder: _PartBuilder | None = None

        def seal(b: _PartBuilder) -> None:
            number = len(parts)
            parts.append(self._seal_part(entity, number, b))
            if key is not None:
                keys.append(self._seal_keys(entity, number, b.keys, schema.field(key).type))
                self._unfinished = Unfinished(entity=entity, parts=tuple(parts), keys=tuple(keys))
                record_progress(self._partial, self._head, self._entities, self._unfinished)

        for batch in batches:
            if not batch.schema.equals(schema):
                raise UsageError(f"a batch of entity {entity} does not match its schema")
            offset = 0
            while offset < batch.num_rows:
                if builder is None:
                    builder = _PartBuilder(schema, key)
                take = min(self._part_rows - builder.rows, batch.num_rows - offset)
                builder.add(batch.slice(offset, take))
                offset += take
                if builder.rows == self._part_rows:
                    seal(builder)
                    builder = None
        if builder is not None or not parts:
            # An empty entity still gets one (empty) part so that its schema travels.
            seal(builder or _PartBuilder(schema, key))
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

    def _seal_keys(
        self, entity: str, number: int, chunks: list[pa.Array], key_type: pa.DataType
    ) -> KeysFile:
        """The part's keys, sealed to the sender alone: only a resumed run of theirs reads them."""
        column = pa.chunked_array(chunks, type=key_type)
        sink = pa.BufferOutputStream()
        table = pa.table({"key": column})
        with ipc.new_stream(sink, table.schema) as out:
            out.write_table(table)
        sealed = encrypt_bytes(sink.getvalue().to_pybytes(), self._sender.public.age_recipient)
        name = keys_file(entity, number)
        write_new_file(self._partial / name, sealed)
        return KeysFile(file=name, sha256=sha256_hex(sealed))

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
        resume_dir = self._partial / RESUME_DIR
        if resume_dir.is_dir():
            for path in sorted(resume_dir.iterdir()):
                destroy_file(path)
            resume_dir.rmdir()
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
