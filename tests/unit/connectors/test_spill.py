"""The engine's spill files hold only ciphertext, and are gone when the connection is."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import pytest

from ariane.connectors import duck, spill
from ariane.errors import SourceError

MARK = b"ZQXPATIENTMARK"


def _spilling_query(con: duckdb.DuckDBPyConnection, watch: Path) -> tuple[int, bool]:
    """Run a sort far larger than the memory limit; return (bytes seen on disk, mark seen)."""
    seen = {"bytes": 0, "mark": False}
    done = threading.Event()

    def scan() -> None:
        while not done.is_set():
            for path in watch.rglob("*"):
                try:
                    data = path.read_bytes() if path.is_file() else b""
                except OSError:
                    continue
                seen["bytes"] = max(int(seen["bytes"]), len(data))
                seen["mark"] = bool(seen["mark"]) or MARK in data
            done.wait(0.02)

    watcher = threading.Thread(target=scan)
    watcher.start()
    try:
        con.execute(
            f"CREATE TABLE big AS SELECT i, '{MARK.decode()}' || i::VARCHAR || repeat('x', 40) "
            "AS s FROM range(1500000) t(i)"
        )
        row = con.execute("SELECT count(*) FROM (SELECT s FROM big ORDER BY s DESC)").fetchone()
        assert row == (1500000,)
    finally:
        done.set()
        watcher.join()
    return int(seen["bytes"]), bool(seen["mark"])


def test_spilled_files_are_ciphertext_and_removed_on_close(tmp_path):
    area = spill.SpillArea(tmp_path)
    con = duck.connect("48MB", threads=1, spill=area)
    try:
        spilled, mark = _spilling_query(con, area.path)
    finally:
        con.close()
        area.close()
    assert spilled > 10_000_000, "the query must really have spilled for this test to mean much"
    assert not mark, "a spilled file held a value in clear"
    assert not area.path.exists()
    assert (tmp_path / spill.SPILL_DIR).stat().st_mode & 0o077 == 0


def test_the_same_spill_without_encryption_would_show_the_values(tmp_path):
    """The watcher above can see clear values: an unencrypted spill is caught by it."""
    plain = tmp_path / "plain"
    plain.mkdir()
    con = duckdb.connect(
        ":memory:", config={"memory_limit": "48MB", "threads": 1, "temp_directory": str(plain)}
    )
    try:
        spilled, mark = _spilling_query(con, plain)
    finally:
        con.close()
    assert spilled > 0 and mark


def test_without_a_spill_area_the_engine_never_writes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    con = duck.connect("48MB", threads=1)
    try:
        with pytest.raises(duckdb.OutOfMemoryException):
            _spilling_query(con, tmp_path)
    finally:
        con.close()
    assert list(tmp_path.iterdir()) == []


def test_areas_of_dead_processes_are_cleared_and_live_ones_kept(tmp_path):
    base = tmp_path / spill.SPILL_DIR
    dead = base / "999999999-0011223344556677"  # beyond pid_max: no such process
    mine = base / f"{os.getpid()}-aabbccddeeff0011"
    other = base / "not-a-spill-dir"
    for d in (dead, mine, other):
        (d / "tmp").mkdir(parents=True)
        (d / "tmp" / "f").write_bytes(b"\0" * 10)
    area = spill.SpillArea(tmp_path)
    try:
        assert not dead.exists()
        assert mine.exists() and other.exists()
        assert area.path.parent == base and area.path.name.startswith(f"{os.getpid()}-")
    finally:
        area.close()


def test_a_failed_set_up_is_a_clear_error_and_leaves_no_connection(tmp_path, monkeypatch):
    area = spill.SpillArea(tmp_path)
    monkeypatch.setattr(duck, "_extension_file", lambda package: str(tmp_path / "missing.ext"))
    with pytest.raises(SourceError) as info:
        duck.connect("48MB", spill=area)
    assert "encrypted spill area" in info.value.message
    area.close()
