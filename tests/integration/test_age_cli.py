"""Interoperability: a package part opens with the standard `age` tool (DESIGN §6).

Skipped only on a developer machine without `age`; in CI (CI=true) a missing tool fails.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ariane.crypto.digest import canonical_digest, sha256_hex
from ariane.crypto.keys import KeyStore, generate_keys
from ariane.package.reader import verify_package
from ariane.package.writer import PackageWriter

AGE = shutil.which("age")
pytestmark = pytest.mark.skipif(
    AGE is None and os.environ.get("CI") != "true",
    reason="the age tool is not installed (scripts/setup-system.sh installs it)",
)

PASS = "interop passphrase"
MANIFEST = {"id": "m-interop"}
SCHEMA = pa.schema([("patient_id", pa.string()), ("value", pa.float64())])


def test_age_cli_decrypts_a_part(tmp_path: Path) -> None:
    assert AGE is not None, "age must be installed in CI"
    store = KeyStore(tmp_path / "keys")
    recipient = store.create("vendor-b", PASS)
    sender = generate_keys("processor")
    table = pa.table(
        {"patient_id": [f"P{i}" for i in range(2500)], "value": [i / 3 for i in range(2500)]},
        schema=SCHEMA,
    )
    out = tmp_path / "pkg"
    with PackageWriter(
        out,
        manifest=MANIFEST,
        manifest_digest=canonical_digest(MANIFEST),
        approvals=[{"by": "dr.martin"}],
        recipient=recipient,
        sender=sender,
        created_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        package_id="pkg-interop",
        part_rows=1000,
    ) as writer:
        writer.write_entity("patient", SCHEMA, table.to_batches(max_chunksize=700), {})
        writer.finish()
    index = verify_package(out, sender.public)

    identity = tmp_path / "identity.txt"
    fd = os.open(identity, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(store.export_identity("vendor-b", PASS) + "\n")

    tables = []
    for part in index.entities["patient"].parts:
        plain = tmp_path / "out.parquet"
        with plain.open("wb") as sink:
            subprocess.run(
                [AGE, "-d", "-i", str(identity), str(out / part.file)], stdout=sink, check=True
            )
        assert sha256_hex(plain.read_bytes()) == part.plaintext_sha256
        tables.append(pq.read_table(plain))
        plain.unlink()
    assert pa.concat_tables(tables).equals(table)

    # And the other way: a wrong identity is refused by the tool too.
    other = tmp_path / "other.txt"
    other.write_text(generate_keys("intruder").identity_str + "\n")
    refused = subprocess.run(
        [AGE, "-d", "-i", str(other), str(out / index.entities["patient"].parts[0].file)],
        capture_output=True,
    )
    assert refused.returncode != 0
    assert refused.stdout == b""
