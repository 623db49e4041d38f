"""File destruction and its records."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from ariane.crypto.shred import DestroyedFile, destroy_file, destroy_tree
from ariane.errors import UsageError


def test_destroy_file_records_hash_and_size_then_unlinks(tmp_path: Path) -> None:
    f = tmp_path / "part.age"
    f.write_bytes(b"ciphertext" * 1000)
    calls: list[int] = []

    def rand(n: int) -> bytes:
        calls.append(n)
        return b"\xaa" * n

    record = destroy_file(f, rand)
    assert record == DestroyedFile(
        path=str(f), size=10_000, sha256=hashlib.sha256(b"ciphertext" * 1000).hexdigest()
    )
    assert sum(calls) == 10_000  # every byte was overwritten before the unlink
    assert not f.exists()


def test_overwrite_happens_in_place(tmp_path: Path) -> None:
    f = tmp_path / "x"
    f.write_bytes(b"secret")
    keep = tmp_path / "hardlink"
    os.link(f, keep)  # a second name on the same inode shows what the first one was left as
    destroy_file(f, lambda n: b"\x00" * n)
    assert keep.read_bytes() == b"\x00" * 6


def test_destroy_tree(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    (root / "parts").mkdir(parents=True)
    (root / "a.json").write_bytes(b"a")
    (root / "parts" / "p1").write_bytes(b"pp")
    (root / "parts" / "p2").write_bytes(b"")
    records = destroy_tree(root)
    assert sorted(Path(r.path).name for r in records) == ["a.json", "p1", "p2"]
    assert {Path(r.path).name: r.size for r in records} == {"a.json": 1, "p1": 2, "p2": 0}
    assert not root.exists()


def test_symlinks_are_refused_before_anything_is_destroyed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not ours")
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "a").write_bytes(b"a")
    (root / "z-link").symlink_to(outside)
    with pytest.raises(UsageError):
        destroy_tree(root)
    assert (root / "a").read_bytes() == b"a"
    assert outside.read_bytes() == b"not ours"
    with pytest.raises(UsageError):
        destroy_file(root / "z-link")
    assert outside.read_bytes() == b"not ours"


def test_missing_file_and_non_directory(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        destroy_file(tmp_path / "nope")
    (tmp_path / "f").write_bytes(b"")
    with pytest.raises(UsageError):
        destroy_tree(tmp_path / "f")
