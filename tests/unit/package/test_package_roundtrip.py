"""A package written, verified and opened: content, layout, and no clear data on disk."""

from __future__ import annotations

import datetime as dt
import stat
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from ariane.crypto.digest import canonical_digest
from ariane.crypto.keys import UnlockedKeys, generate_keys
from ariane.package.reader import open_package, verify_package
from ariane.package.writer import PackageWriter

MARKER = "ZZMARKERZZ"
CREATED = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
MANIFEST = {"id": "m-2025-001", "purpose": "LIS change", "entities": ["patient", "result"]}
APPROVALS = [{"by": "dr.martin", "role": "controller", "digest": canonical_digest(MANIFEST)}]

PATIENT = pa.schema(
    [("patient_id", pa.string()), ("family_name", pa.string()), ("birth_date", pa.date32())]
)
RESULT = pa.schema(
    [("result_id", pa.string()), ("value", pa.float64()), ("collected_at", pa.timestamp("us"))]
)
COMMENT = pa.schema([("comment_id", pa.string()), ("text", pa.string())])


def patient_batches(n: int = 2500, size: int = 700) -> Iterator[pa.RecordBatch]:
    for start in range(0, n, size):
        ids = range(start, min(n, start + size))
        yield pa.record_batch(
            [
                pa.array([f"P{i:06d}" for i in ids]),
                pa.array([f"{MARKER}{i}" if i % 3 else None for i in ids]),
                pa.array([dt.date(1950, 1, 1) + dt.timedelta(days=i) for i in ids]),
            ],
            schema=PATIENT,
        )


def result_batches(n: int = 1000, size: int = 300) -> Iterator[pa.RecordBatch]:
    base = dt.datetime(2020, 1, 1)
    for start in range(0, n, size):
        ids = range(start, min(n, start + size))
        yield pa.record_batch(
            [
                pa.array([f"R{i}" for i in ids]),
                pa.array([i / 7 for i in ids]),
                pa.array([base + dt.timedelta(minutes=i) for i in ids], type=pa.timestamp("us")),
            ],
            schema=RESULT,
        )


@pytest.fixture(scope="module")
def sender() -> UnlockedKeys:
    return generate_keys("processor")


@pytest.fixture(scope="module")
def recipient() -> UnlockedKeys:
    return generate_keys("vendor-b")


@pytest.fixture(scope="module")
def package(
    tmp_path_factory: pytest.TempPathFactory, sender: UnlockedKeys, recipient: UnlockedKeys
) -> Path:
    out = tmp_path_factory.mktemp("roundtrip") / "pkg"
    with PackageWriter(
        out,
        manifest=MANIFEST,
        manifest_digest=canonical_digest(MANIFEST),
        approvals=APPROVALS,
        recipient=recipient.public,
        sender=sender,
        created_at=CREATED,
        package_id="pkg-0001",
        part_rows=1000,
    ) as writer:
        writer.write_entity("patient", PATIENT, patient_batches(), {"rows": 2500})
        writer.write_entity("result", RESULT, result_batches(), {"digest": {"value": "abc"}})
        writer.write_entity("comment", COMMENT, [], {})
        writer.finish()
    return out


def test_layout_and_permissions(package: Path) -> None:
    files = sorted(str(p.relative_to(package)) for p in package.rglob("*"))
    assert files == [
        "index.json",
        "index.sig",
        "manifest.json",
        "parts",
        "parts/comment-00000.parquet.age",
        "parts/patient-00000.parquet.age",
        "parts/patient-00001.parquet.age",
        "parts/patient-00002.parquet.age",
        "parts/result-00000.parquet.age",
    ]
    assert stat.S_IMODE(package.stat().st_mode) == 0o700
    for p in package.rglob("*"):
        assert stat.S_IMODE(p.stat().st_mode) == (0o700 if p.is_dir() else 0o600)
        if p.suffix == ".age":
            assert p.read_bytes().startswith(b"age-encryption.org/v1\n")
    assert not package.with_name("pkg.partial").exists()


def test_index(package: Path, sender: UnlockedKeys, recipient: UnlockedKeys) -> None:
    index = verify_package(package, sender.public)
    assert index.format == "ariane.package/1"
    assert index.package_id == "pkg-0001"
    assert index.created_at == "2025-03-01T12:00:00+00:00"
    assert index.manifest_id == "m-2025-001"
    assert index.manifest_digest == canonical_digest(MANIFEST)
    assert index.sender.ed25519_public == sender.public.ed25519_public
    assert index.recipient.age_recipient == recipient.public.age_recipient
    assert {e: v.rows for e, v in index.entities.items()} == {
        "patient": 2500,
        "result": 1000,
        "comment": 0,
    }
    assert [p.rows for p in index.entities["patient"].parts] == [1000, 1000, 500]
    assert [p.rows for p in index.entities["result"].parts] == [1000]  # no empty trailing part
    assert [p.rows for p in index.entities["comment"].parts] == [0]
    assert [(c.name, c.type) for c in index.entities["result"].columns] == [
        ("result_id", "string"),
        ("value", "double"),
        ("collected_at", "timestamp[us]"),
    ]
    assert index.entities["result"].stats == {"digest": {"value": "abc"}}


def test_read_back_everything(package: Path, sender: UnlockedKeys, recipient: UnlockedKeys) -> None:
    opened = open_package(package, recipient, sender.public)
    assert opened.entities == ("comment", "patient", "result")  # sorted: canonical JSON
    assert opened.manifest == MANIFEST
    assert opened.approvals == APPROVALS
    expected = pa.Table.from_batches(list(patient_batches()), schema=PATIENT)
    got = pa.Table.from_batches(list(opened.read("patient", batch_rows=400)), schema=PATIENT)
    assert got.equals(expected)
    results = pa.Table.from_batches(list(opened.read("result")), schema=RESULT)
    assert results.equals(pa.Table.from_batches(list(result_batches()), schema=RESULT))
    assert list(opened.read("comment")) == []
    assert opened.schema("comment") == COMMENT
    assert opened.schema("patient") == PATIENT
    assert opened.schema("result") == RESULT


def test_no_clear_data_on_disk(package: Path, recipient: UnlockedKeys) -> None:
    for p in package.rglob("*"):
        if p.is_file():
            assert MARKER.encode() not in p.read_bytes(), p.name
    # The control: the marker is there once decrypted, so the scan above could have failed.
    part = package / "parts" / "patient-00000.parquet.age"
    assert MARKER.encode() in recipient.decrypt(part.read_bytes())


def test_no_clear_data_while_writing(
    tmp_path: Path, sender: UnlockedKeys, recipient: UnlockedKeys
) -> None:
    seen_parts: list[int] = []

    def spying_batches() -> Iterator[pa.RecordBatch]:
        for batch in patient_batches(n=3000, size=500):
            yield batch
            # Between batches, whatever the writer has put on disk so far must be sealed.
            files = [p for p in tmp_path.rglob("*") if p.is_file()]
            seen_parts.append(sum(p.suffix == ".age" for p in files))
            for p in files:
                assert MARKER.encode() not in p.read_bytes()

    with PackageWriter(
        tmp_path / "pkg",
        manifest=MANIFEST,
        manifest_digest=canonical_digest(MANIFEST),
        approvals=APPROVALS,
        recipient=recipient.public,
        sender=sender,
        created_at=CREATED,
        package_id="pkg-spy",
        part_rows=1000,
    ) as writer:
        writer.write_entity("patient", PATIENT, spying_batches(), {})
        writer.finish()
    assert max(seen_parts) >= 2  # parts were indeed written while batches were still coming


def test_batches_of_any_size_give_the_same_content(
    tmp_path: Path, sender: UnlockedKeys, recipient: UnlockedKeys
) -> None:
    big = pa.Table.from_batches(list(patient_batches(n=2500)), schema=PATIENT)
    with PackageWriter(
        tmp_path / "pkg",
        manifest=MANIFEST,
        manifest_digest=canonical_digest(MANIFEST),
        approvals=APPROVALS,
        recipient=recipient.public,
        sender=sender,
        created_at=CREATED,
        package_id="pkg-one-batch",
        part_rows=1000,
    ) as writer:
        writer.write_entity("patient", PATIENT, big.to_batches(max_chunksize=2500), {})
        index = writer.finish()
    assert [p.rows for p in index.entities["patient"].parts] == [1000, 1000, 500]
    opened = open_package(tmp_path / "pkg", recipient, sender.public)
    assert pa.Table.from_batches(list(opened.read("patient")), schema=PATIENT).equals(big)
