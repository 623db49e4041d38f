"""Purging packages, published or partial."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from ariane.crypto.digest import canonical_digest, sha256_hex
from ariane.crypto.keys import generate_keys
from ariane.errors import UsageError
from ariane.package.purge import purge_package
from ariane.package.writer import PackageWriter

MANIFEST = {"id": "m-1"}
SCHEMA = pa.schema([("patient_id", pa.string())])


def _writer(out: Path) -> PackageWriter:
    return PackageWriter(
        out,
        manifest=MANIFEST,
        manifest_digest=canonical_digest(MANIFEST),
        approvals=[{"by": "dr.martin"}],
        recipient=generate_keys("vendor-b").public,
        sender=generate_keys("processor"),
        created_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        package_id="pkg-p",
        part_rows=2,
    )


def _batch() -> pa.RecordBatch:
    return pa.record_batch([pa.array(["a", "b", "c"])], schema=SCHEMA)


def test_purge_published_package(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    with _writer(out) as writer:
        writer.write_entity("patient", SCHEMA, [_batch()], {})
        writer.finish()
    before = {str(p): sha256_hex(p.read_bytes()) for p in out.rglob("*") if p.is_file()}
    records = purge_package(out)
    assert {r.path: r.sha256 for r in records} == before
    assert len(records) == 5  # index, signature, manifest, two parts
    assert list(tmp_path.iterdir()) == []


def test_purge_partial_package(tmp_path: Path) -> None:
    writer = _writer(tmp_path / "pkg")
    writer.write_entity("patient", SCHEMA, [_batch()], {})
    partial = tmp_path / "pkg.partial"
    records = purge_package(partial)  # e.g. after a crash
    assert sorted(Path(r.path).name for r in records) == [
        "manifest.json",
        "patient-00000.parquet.age",
        "patient-00001.parquet.age",
        "progress.json",  # the resume checkpoint written after each sealed entity
    ]
    assert list(tmp_path.iterdir()) == []


def test_purge_tampered_package_with_stray_file(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    with _writer(out) as writer:
        writer.write_entity("patient", SCHEMA, [_batch()], {})
        writer.finish()
    (out / "stray.txt").write_bytes(b"x")
    assert any(Path(r.path).name == "stray.txt" for r in purge_package(out))
    assert not out.exists()


def test_purge_refuses_what_is_not_a_package(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "docs").mkdir(parents=True)
    (home / "keep.txt").write_bytes(b"keep")
    with pytest.raises(UsageError, match="not a package directory"):
        purge_package(home)
    assert (home / "keep.txt").exists()
    (home / "docs").rmdir()
    (home / "parts" / "deeper").mkdir(parents=True)
    with pytest.raises(UsageError, match="not a package directory"):
        purge_package(home)
    with pytest.raises(UsageError):
        purge_package(tmp_path / "missing")
