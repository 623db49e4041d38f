"""Verifying and opening a sealed package (DESIGN §6).

`verify_package` needs no secret: anyone holding the package can check that the index is signed,
that the manifest is the one the index names, and that every part is present and unaltered.
`open_package` then decrypts parts one at a time, in memory, with the recipient's keys.

Every refusal is an IntegrityError naming the first problem by file name, never by content.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ariane.crypto.digest import Sha256, canonical_digest, sha256_hex
from ariane.crypto.keys import PublicKeys, UnlockedKeys
from ariane.crypto.sign import signature_from_text, verify_signature
from ariane.errors import InputError, IntegrityError, KeyMaterialError, UsageError
from ariane.package.index import EntityEntry, PackageIndex, Part
from ariane.package.layout import INDEX_FILE, MANIFEST_FILE, PARTS_DIR, SIGNATURE_FILE

DEFAULT_BATCH_ROWS = 64 * 1024
_CHUNK = 1 << 20


def _open_regular(path: Path, missing: str, irregular: str) -> int:
    """A descriptor on a regular file. O_NONBLOCK: opening a FIFO must not wait for a writer;
    the type is checked before fdopen, which raises IsADirectoryError on a directory."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        raise IntegrityError(missing) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise IntegrityError(irregular)
    return fd


def _read(root: Path, name: str) -> bytes:
    """A package file's bytes; missing or not a regular file is an integrity failure."""
    fd = _open_regular(
        root / name, f"{name} is missing from the package", f"{name} is not a regular file"
    )
    with os.fdopen(fd, "rb") as f:
        return f.read()


def _listed_files(root: Path) -> set[str]:
    """Relative paths of everything in the package; only parts/ may be a directory."""
    found: set[str] = set()
    for entry in root.iterdir():
        if entry.name == PARTS_DIR and entry.is_dir() and not entry.is_symlink():
            for sub in entry.iterdir():
                found.add(f"{PARTS_DIR}/{sub.name}")
        else:
            found.add(entry.name)
    return found


def _check_signature(root: Path, raw_index: bytes, index: PackageIndex) -> None:
    try:
        text = _read(root, SIGNATURE_FILE).decode("ascii")
    except UnicodeDecodeError:
        raise IntegrityError(f"{SIGNATURE_FILE} is malformed") from None
    try:
        signature = signature_from_text(text)
    except IntegrityError:
        raise IntegrityError(f"{SIGNATURE_FILE} is malformed") from None
    try:
        verify_signature(index.sender.ed25519_public, raw_index, signature)
    except InputError:
        raise IntegrityError(f"{INDEX_FILE} names a malformed sender key") from None
    except IntegrityError:
        raise IntegrityError(f"{SIGNATURE_FILE} does not verify {INDEX_FILE}") from None


def _check_manifest(raw: bytes, index: PackageIndex) -> tuple[dict[str, Any], list[Any]]:
    if sha256_hex(raw) != index.manifest_file_sha256:
        raise IntegrityError(f"{MANIFEST_FILE} does not match the index")
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        raise IntegrityError(f"{MANIFEST_FILE} is malformed") from None
    if (
        not isinstance(doc, dict)
        or set(doc) != {"manifest", "approvals"}
        or not isinstance(doc["manifest"], dict)
        or not isinstance(doc["approvals"], list)
    ):
        raise IntegrityError(f"{MANIFEST_FILE} is malformed")
    if canonical_digest(doc["manifest"]) != index.manifest_digest:
        raise IntegrityError(f"{MANIFEST_FILE}: manifest digest does not match the index")
    return doc["manifest"], doc["approvals"]


def check_part_file(root: Path, part: Part) -> None:
    fd = _open_regular(
        root / part.file, f"part {part.file} is missing", f"part {part.file} is not a regular file"
    )
    digest = Sha256()
    with os.fdopen(fd, "rb") as f:
        if os.fstat(fd).st_size != part.ciphertext_size:
            raise IntegrityError(f"part {part.file} has the wrong size")
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    if digest.size != part.ciphertext_size or digest.hexdigest() != part.ciphertext_sha256:
        raise IntegrityError(f"part {part.file} does not match its hash")


@dataclass(frozen=True)
class _Verified:
    index: PackageIndex
    manifest: dict[str, Any]
    approvals: list[Any]


def _verify(path: Path, sender: PublicKeys | None) -> _Verified:
    if path.is_symlink() or not path.is_dir():
        raise UsageError(f"no package directory at {path.name}")
    raw_index = _read(path, INDEX_FILE)
    index = PackageIndex.from_bytes(raw_index)
    if sender is not None and index.sender.ed25519_public != sender.ed25519_public:
        raise IntegrityError("package is signed by an unexpected key")
    _check_signature(path, raw_index, index)
    # From here on the index is the sender's word: check the files against it.
    expected = {INDEX_FILE, SIGNATURE_FILE, MANIFEST_FILE}
    expected.update(p.file for entry in index.entities.values() for p in entry.parts)
    unexpected = sorted(_listed_files(path) - expected)
    if unexpected:
        raise IntegrityError(f"unexpected file in package: {unexpected[0]}")
    manifest, approvals = _check_manifest(_read(path, MANIFEST_FILE), index)
    for entry in index.entities.values():
        for part in entry.parts:
            check_part_file(path, part)
    return _Verified(index, manifest, approvals)


def verify_package(path: Path, sender: PublicKeys | None = None) -> PackageIndex:
    """Check signature, manifest, parts and completeness; raise on the first problem.

    With `sender`, the index must also be signed by exactly that (trusted) key; without it, the
    signature is checked against the key the index itself names, which proves integrity but
    not origin.
    """
    return _verify(path, sender).index


class OpenedPackage:
    """A verified package and the keys to read it; parts are decrypted on demand, in memory."""

    def __init__(self, path: Path, keys: UnlockedKeys, verified: _Verified) -> None:
        self._path = path
        self._keys = keys
        self.index = verified.index
        self._manifest = json.dumps(verified.manifest)
        self._approvals = json.dumps(verified.approvals)
        self._schemas: dict[str, pa.Schema] = {}

    @property
    def manifest(self) -> dict[str, Any]:
        """The approved manifest (a fresh copy on each access)."""
        value: dict[str, Any] = json.loads(self._manifest)
        return value

    @property
    def approvals(self) -> list[dict[str, Any]]:
        value: list[dict[str, Any]] = json.loads(self._approvals)
        return value

    @property
    def entities(self) -> tuple[str, ...]:
        return tuple(self.index.entities)

    def _entry(self, entity: str) -> EntityEntry:
        try:
            return self.index.entities[entity]
        except KeyError:
            raise UsageError(f"package has no entity {entity}") from None

    def _open_part(self, entry: EntityEntry, part: Part) -> pq.ParquetFile:
        return self._checked_parquet(entry, part, self._plaintext(part))

    def plain_parts(self, entity: str, start: int = 0) -> Iterator[tuple[int, bytes]]:
        """Each part of `entity` from number `start` on, as (rows, plaintext Parquet in memory),
        verified like `read`.

        For bulk loaders that read Parquet themselves; one part is in memory at a time.
        """
        entry = self._entry(entity)
        for part in entry.parts[start:]:
            plain = self._plaintext(part)
            parquet = self._checked_parquet(entry, part, plain)
            self._schemas.setdefault(entity, parquet.schema_arrow.remove_metadata())
            del parquet
            yield part.rows, plain

    def _plaintext(self, part: Part) -> bytes:
        ciphertext = _read(self._path, part.file)
        # Re-checked here: the file may have changed since verify_package read it.
        if (
            len(ciphertext) != part.ciphertext_size
            or sha256_hex(ciphertext) != part.ciphertext_sha256
        ):
            raise IntegrityError(f"part {part.file} does not match its hash")
        plain = self._keys.decrypt(ciphertext, what=f"part {part.file}")
        del ciphertext
        if sha256_hex(plain) != part.plaintext_sha256:
            raise IntegrityError(f"part {part.file} does not match its plaintext hash")
        return plain

    def _checked_parquet(self, entry: EntityEntry, part: Part, plain: bytes) -> pq.ParquetFile:
        try:
            parquet = pq.ParquetFile(pa.BufferReader(plain))
        except (pa.ArrowException, OSError, ValueError):  # a non-UTF-8 name: UnicodeDecodeError
            raise IntegrityError(f"part {part.file} is not a Parquet file") from None
        schema = parquet.schema_arrow
        columns = [(f.name, str(f.type)) for f in schema]
        if columns != [(c.name, c.type) for c in entry.columns]:
            raise IntegrityError(f"part {part.file} does not have the columns the index lists")
        if parquet.metadata.num_rows != part.rows:
            raise IntegrityError(f"part {part.file} does not have the rows the index lists")
        return parquet

    def schema(self, entity: str) -> pa.Schema:
        """The entity's Arrow schema, read from its first part (every entity has one)."""
        if entity not in self._schemas:
            entry = self._entry(entity)
            parquet = self._open_part(entry, entry.parts[0])
            self._schemas[entity] = parquet.schema_arrow.remove_metadata()
        return self._schemas[entity]

    def read(self, entity: str, batch_rows: int = DEFAULT_BATCH_ROWS) -> Iterator[pa.RecordBatch]:
        """Every row of `entity`, part after part; only one part is in memory at a time."""
        entry = self._entry(entity)
        for part in entry.parts:
            parquet = self._open_part(entry, part)
            self._schemas.setdefault(entity, parquet.schema_arrow.remove_metadata())
            rows = 0
            try:
                for batch in parquet.iter_batches(batch_size=batch_rows):
                    rows += batch.num_rows
                    yield batch
            except (pa.ArrowException, OSError, ValueError):
                raise IntegrityError(f"part {part.file} is not a valid Parquet file") from None
            if rows != part.rows:
                raise IntegrityError(f"part {part.file} does not have the rows the index lists")

    def __repr__(self) -> str:
        return f"OpenedPackage(package_id={self.index.package_id!r})"


def open_package(path: Path, keys: UnlockedKeys, sender: PublicKeys | None) -> OpenedPackage:
    """Verify the package (see verify_package), then make it readable with `keys`."""
    verified = _verify(path, sender)
    if verified.index.recipient.age_recipient != keys.public.age_recipient:
        raise KeyMaterialError(
            f"package is sealed to key {verified.index.recipient.name}, not to {keys.public.name}"
        )
    return OpenedPackage(path, keys, verified)
