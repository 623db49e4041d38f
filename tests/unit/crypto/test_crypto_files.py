"""Atomic private files."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ariane.crypto.files import make_private_dir, write_atomic, write_new_file
from ariane.errors import UsageError


def test_write_atomic(tmp_path: Path) -> None:
    p = tmp_path / "f.json"
    write_atomic(p, b"one")
    assert p.read_bytes() == b"one"
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    with pytest.raises(UsageError):
        write_atomic(p, b"two")
    assert p.read_bytes() == b"one"
    write_atomic(p, b"two", replace=True)
    assert p.read_bytes() == b"two"
    assert [x.name for x in tmp_path.iterdir()] == ["f.json"]


def test_write_new_file_and_private_dir(tmp_path: Path) -> None:
    d = tmp_path / "a" / "b"
    make_private_dir(d)
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    with pytest.raises(UsageError):
        make_private_dir(d)
    write_new_file(d / "x", b"data")
    assert stat.S_IMODE((d / "x").stat().st_mode) == 0o600
    with pytest.raises(UsageError):
        write_new_file(d / "x", b"again")
