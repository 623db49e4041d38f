"""The index model: strict, frozen, and unable to point outside the package."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from ariane.crypto.digest import canonical_json
from ariane.errors import IntegrityError
from ariane.package.index import PackageIndex

H = "a" * 64
GOOD: dict[str, Any] = {
    "format": "ariane.package/1",
    "package_id": "p1",
    "created_at": "2025-01-01T00:00:00+00:00",
    "manifest_id": "m1",
    "manifest_digest": H,
    "manifest_file_sha256": H,
    "sender": {"name": "s", "ed25519_public": "k"},
    "recipient": {"name": "r", "age_recipient": "age1x"},
    "entities": {
        "patient": {
            "rows": 3,
            "columns": [{"name": "patient_id", "type": "string"}],
            "parts": [
                {
                    "file": "parts/patient-00000.parquet.age",
                    "rows": 2,
                    "plaintext_sha256": H,
                    "ciphertext_sha256": H,
                    "ciphertext_size": 10,
                },
                {
                    "file": "parts/patient-00001.parquet.age",
                    "rows": 1,
                    "plaintext_sha256": H,
                    "ciphertext_sha256": H,
                    "ciphertext_size": 10,
                },
            ],
            "stats": {"any": ["json", 1]},
        }
    },
}


def _with(path: str, value: Any) -> bytes:
    doc = copy.deepcopy(GOOD)
    *parents, last = path.split("/")
    target = doc
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    target[int(last) if last.isdigit() else last] = value
    return canonical_json(doc)


def test_round_trip_is_canonical() -> None:
    data = canonical_json(GOOD)
    index = PackageIndex.from_bytes(data)
    assert index.to_bytes() == data
    with pytest.raises(ValidationError):
        index.package_id = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("format", "ariane.package/2"),
        ("extra", 1),
        ("created_at", "2025-01-01T00:00:00"),
        ("created_at", "yesterday"),
        ("manifest_digest", "A" * 64),
        ("entities", {}),
        ("entities/patient/rows", 4),
        ("entities/patient/rows", "3"),
        ("entities/patient/parts/0/file", "../../etc/passwd"),
        ("entities/patient/parts/1/file", "parts/patient-00000.parquet.age"),
        ("entities/patient/parts/0/rows", -1),
        ("entities/patient/parts", []),
        ("entities/patient/columns", []),
        ("entities/patient/columns/0/extra", "x"),
        ("entities/Patient", GOOD["entities"]["patient"]),
    ],
)
def test_malformed(path: str, value: Any) -> None:
    with pytest.raises(IntegrityError, match=r"^index\.json is malformed$"):
        PackageIndex.from_bytes(_with(path, value))


def test_not_json() -> None:
    for bad in (b"", b"{", b"\xff\xfe", b"[]"):
        with pytest.raises(IntegrityError):
            PackageIndex.from_bytes(bad)
