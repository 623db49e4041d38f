"""Break a package on purpose, one way at a time, and expect the refusal."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ariane.crypto.digest import canonical_digest, canonical_json, sha256_hex
from ariane.crypto.keys import UnlockedKeys, generate_keys
from ariane.crypto.seal import encrypt_bytes
from ariane.crypto.sign import signature_to_text
from ariane.errors import IntegrityError, KeyMaterialError, UsageError
from ariane.package.reader import open_package, verify_package
from ariane.package.writer import PackageWriter

MARKER = "ZZMARKERZZ"
MANIFEST = {"id": "m-1", "purpose": "test"}
SCHEMA = pa.schema([("patient_id", pa.string()), ("family_name", pa.string())])
PART = "parts/patient-00000.parquet.age"


def _batch(n: int, start: int = 0) -> pa.RecordBatch:
    return pa.record_batch(
        [
            pa.array([f"P{i}" for i in range(start, start + n)]),
            pa.array([f"{MARKER}{i}" for i in range(start, start + n)]),
        ],
        schema=SCHEMA,
    )


@pytest.fixture(scope="module")
def sender() -> UnlockedKeys:
    return generate_keys("processor")


@pytest.fixture(scope="module")
def recipient() -> UnlockedKeys:
    return generate_keys("vendor-b")


@pytest.fixture(scope="module")
def pristine(
    tmp_path_factory: pytest.TempPathFactory, sender: UnlockedKeys, recipient: UnlockedKeys
) -> Path:
    out = tmp_path_factory.mktemp("pristine") / "pkg"
    with PackageWriter(
        out,
        manifest=MANIFEST,
        manifest_digest=canonical_digest(MANIFEST),
        approvals=[{"by": "dr.martin"}],
        recipient=recipient.public,
        sender=sender,
        created_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        package_id="pkg-t",
        part_rows=100,
    ) as writer:
        writer.write_entity("patient", SCHEMA, [_batch(150)], {})
        writer.write_entity("comment", SCHEMA, [], {})
        writer.finish()
    return out


@pytest.fixture
def pkg(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "pkg"
    shutil.copytree(pristine, copy)
    return copy


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0x01
    path.write_bytes(bytes(data))


def _resign(pkg: Path, signer: UnlockedKeys, edit: object) -> None:
    """Rewrite index.json through `edit(dict)` and sign it with `signer`, as a forger would."""
    doc = json.loads((pkg / "index.json").read_bytes())
    edit(doc)  # type: ignore[operator]
    data = canonical_json(doc)
    (pkg / "index.json").write_bytes(data)
    (pkg / "index.sig").write_text(signature_to_text(signer.sign(data)))


def test_pristine_verifies(pkg: Path, sender: UnlockedKeys) -> None:
    verify_package(pkg)
    verify_package(pkg, sender.public)


@pytest.mark.parametrize("offset", [0, 40, 200, -17, -1])
def test_flipped_byte_in_a_part(pkg: Path, sender: UnlockedKeys, offset: int) -> None:
    _flip(pkg / PART, offset)
    with pytest.raises(IntegrityError, match=re.escape(f"part {PART} does not match its hash")):
        verify_package(pkg, sender.public)


@pytest.mark.parametrize("offset", [2, 100, -3])
def test_flipped_byte_in_index_json(pkg: Path, sender: UnlockedKeys, offset: int) -> None:
    _flip(pkg / "index.json", offset)
    with pytest.raises(IntegrityError, match=r"index\."):
        verify_package(pkg, sender.public)
    with pytest.raises(IntegrityError):
        verify_package(pkg)


@pytest.mark.parametrize("offset", [0, 30, 85])
def test_flipped_byte_in_index_sig(pkg: Path, sender: UnlockedKeys, offset: int) -> None:
    _flip(pkg / "index.sig", offset)
    with pytest.raises(IntegrityError, match=r"index\.sig"):
        verify_package(pkg, sender.public)


@pytest.mark.parametrize("offset", [0, 20, -2])
def test_flipped_byte_in_manifest_json(pkg: Path, sender: UnlockedKeys, offset: int) -> None:
    _flip(pkg / "manifest.json", offset)
    with pytest.raises(IntegrityError, match=r"manifest\.json"):
        verify_package(pkg, sender.public)


def test_truncated_part(pkg: Path, sender: UnlockedKeys) -> None:
    data = (pkg / PART).read_bytes()
    (pkg / PART).write_bytes(data[:-1])
    with pytest.raises(IntegrityError, match=re.escape(f"part {PART} has the wrong size")):
        verify_package(pkg, sender.public)


def test_deleted_part(pkg: Path, sender: UnlockedKeys) -> None:
    (pkg / "parts" / "patient-00001.parquet.age").unlink()
    with pytest.raises(IntegrityError, match=re.escape("patient-00001.parquet.age is missing")):
        verify_package(pkg, sender.public)


@pytest.mark.parametrize("name", ["notes.txt", "parts/patient-00002.parquet.age", "parts/x"])
def test_extra_file(pkg: Path, sender: UnlockedKeys, name: str) -> None:
    (pkg / name).write_bytes(b"extra")
    with pytest.raises(IntegrityError, match=re.escape(f"unexpected file in package: {name}")):
        verify_package(pkg, sender.public)


def test_extra_directory(pkg: Path) -> None:
    (pkg / "more").mkdir()
    with pytest.raises(IntegrityError, match=re.escape("unexpected file in package: more")):
        verify_package(pkg)


@pytest.mark.parametrize("name", ["index.json", "index.sig", "manifest.json"])
def test_missing_top_level_file(pkg: Path, name: str) -> None:
    (pkg / name).unlink()
    with pytest.raises(IntegrityError, match=re.escape(name)):
        verify_package(pkg)


def test_signed_by_another_sender(pkg: Path, sender: UnlockedKeys) -> None:
    forger = generate_keys("forger")

    def claim(doc: dict) -> None:  # type: ignore[type-arg]
        doc["sender"] = {"name": "processor", "ed25519_public": forger.public.ed25519_public}

    _resign(pkg, forger, claim)
    verify_package(pkg)  # a consistent signature: integrity holds ...
    with pytest.raises(IntegrityError, match="signed by an unexpected key"):
        verify_package(pkg, sender.public)  # ... but not origin


def test_index_claims_sender_but_signed_by_another(pkg: Path, sender: UnlockedKeys) -> None:
    _resign(pkg, generate_keys("forger"), lambda doc: None)
    with pytest.raises(IntegrityError, match=re.escape("index.sig does not verify index.json")):
        verify_package(pkg, sender.public)


def test_index_edited_to_match_a_swapped_manifest(pkg: Path, sender: UnlockedKeys) -> None:
    # Even the sender's own key cannot make manifest.json say something else than its digest.
    wider = {"manifest": {"id": "m-1", "purpose": "everything"}, "approvals": [{"by": "dr.martin"}]}
    data = canonical_json(wider)
    (pkg / "manifest.json").write_bytes(data)

    def point_to(doc: dict) -> None:  # type: ignore[type-arg]
        doc["manifest_file_sha256"] = sha256_hex(data)

    _resign(pkg, sender, point_to)
    with pytest.raises(IntegrityError, match=re.escape("manifest digest does not match")):
        verify_package(pkg, sender.public)


def test_index_pointing_outside_parts_is_malformed(pkg: Path, sender: UnlockedKeys) -> None:
    def escape(doc: dict) -> None:  # type: ignore[type-arg]
        doc["entities"]["patient"]["parts"][0]["file"] = "../outside.age"

    _resign(pkg, sender, escape)
    with pytest.raises(IntegrityError, match=re.escape("index.json is malformed")):
        verify_package(pkg, sender.public)


def test_part_replaced_and_rehashed_by_the_sender_key(
    pkg: Path, sender: UnlockedKeys, recipient: UnlockedKeys
) -> None:
    # A part swapped for other valid ciphertext, with the index's ciphertext hash fixed and
    # re-signed: the plaintext hash still catches it on opening.
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_batches([_batch(100, start=500)]), sink)
    forged = encrypt_bytes(sink.getvalue().to_pybytes(), recipient.public.age_recipient)
    (pkg / PART).write_bytes(forged)

    def rehash(doc: dict) -> None:  # type: ignore[type-arg]
        part = doc["entities"]["patient"]["parts"][0]
        part["ciphertext_sha256"] = sha256_hex(forged)
        part["ciphertext_size"] = len(forged)

    _resign(pkg, sender, rehash)
    opened = open_package(pkg, recipient, sender.public)
    with pytest.raises(IntegrityError, match=re.escape("does not match its plaintext hash")):
        list(opened.read("patient"))


def test_part_changed_after_verification(
    pkg: Path, sender: UnlockedKeys, recipient: UnlockedKeys
) -> None:
    opened = open_package(pkg, recipient, sender.public)
    _flip(pkg / PART, 300)
    with pytest.raises(IntegrityError, match=re.escape("does not match its hash")):
        list(opened.read("patient"))


def test_wrong_recipient_identity(pkg: Path, sender: UnlockedKeys) -> None:
    with pytest.raises(
        KeyMaterialError, match=re.escape("sealed to key vendor-b, not to intruder")
    ):
        open_package(pkg, generate_keys("intruder"), sender.public)


def test_unknown_entity_and_missing_package(
    pkg: Path, sender: UnlockedKeys, recipient: UnlockedKeys, tmp_path: Path
) -> None:
    opened = open_package(pkg, recipient, sender.public)
    with pytest.raises(UsageError):
        list(opened.read("nope"))
    with pytest.raises(UsageError):
        verify_package(tmp_path / "nowhere")


def test_errors_never_quote_data(pkg: Path, sender: UnlockedKeys) -> None:
    _flip(pkg / PART, 100)
    with pytest.raises(IntegrityError) as err:
        verify_package(pkg, sender.public)
    assert MARKER not in str(err.value)
