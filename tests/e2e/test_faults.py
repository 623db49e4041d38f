"""Faults during a migration: each gives a clear error and a state from which a retry works.

A full disk while sealing, a read-only PostgreSQL target, a PostgreSQL connection dropped in the
middle of a load. Wrong passphrases and corrupted parts are in tests/e2e/test_governance.py.
"""

from __future__ import annotations

import errno

import psycopg
import pytest

from ariane.connectors.targets import open_target
from ariane.demo.run import SENDER_KEY
from ariane.engine import procedure
from ariane.errors import StorageError, TargetError
from ariane.package import writer as writer_mod
from ariane.package.reader import OpenedPackage
from flows import (
    OP,
    RCPT,
    SENDER_PASS,
    approved,
    at,
    load_package,
    new_workspace,
    write_manifest,
)


@pytest.fixture
def ready(lab, keys, tmp_path):
    ws = new_workspace(tmp_path / "ws", keys)
    write_manifest(ws, tmp_path / "m.yaml")
    mid = approved(ws, tmp_path / "m.yaml", lab)
    return ws, mid, lab


def test_full_disk_while_sealing_then_retry(ready, monkeypatch):
    ws, mid, lab = ready
    original = writer_mod.encrypt_stream
    calls = {"n": 0}

    def full_disk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(*args, **kwargs)

    monkeypatch.setattr(writer_mod, "encrypt_stream", full_disk)
    with pytest.raises(StorageError, match="No space left on device"):
        procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(3))
    packages = ws.root / "packages"
    assert not packages.exists() or list(packages.iterdir()) == [], "nothing half-written stays"
    assert ws.state(mid)["state"] == "approved"
    monkeypatch.undo()
    result = procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(4))
    assert result.package.exists()


def _load(ws, result, target, when):
    return load_package(ws, result.package, target, when)


def _reconcile_ok(ws, result, target):
    report = procedure.reconcile(
        ws, result.package, open_target(target), RCPT, ws.keys.public(SENDER_KEY), at(9)
    )
    assert report["ok"]
    for name, e in report["entities"].items():
        assert e["target_rows"] == result.counts[name]["transferred"]


@pytest.mark.postgres
def test_read_only_target_then_retry(ready, pg_db):
    ws, mid, lab = ready
    result = procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(3))
    with psycopg.connect(pg_db, autocommit=True) as con:
        name = con.execute("SELECT current_database()").fetchone()[0]
        con.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    with pytest.raises(TargetError) as info:
        _load(ws, result, pg_db, 4)
    secret = pg_db.split(":")[2].split("@")[0]
    assert secret not in info.value.message and "read-only" in info.value.message
    with psycopg.connect(pg_db, autocommit=True) as con:
        con.execute("SET default_transaction_read_only = off")
        con.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off')
    _load(ws, result, pg_db, 5)
    _reconcile_ok(ws, result, pg_db)


@pytest.mark.postgres
def test_connection_dropped_mid_load_then_resume(ready, pg_db, monkeypatch):
    ws, mid, lab = ready
    from ariane.package.writer import PackageWriter

    init = PackageWriter.__init__

    def small_parts(self, *args, **kwargs):  # several parts, so the drop falls between two
        init(self, *args, **{**kwargs, "part_rows": 500})

    with monkeypatch.context() as m:
        m.setattr(PackageWriter, "__init__", small_parts)
        result = procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(3))
    from ariane.connectors.sql_target import SqlTarget

    original = OpenedPackage.plain_parts
    insert = SqlTarget._insert_part
    inserted = []

    def insert_then_drop(self, con, ent, schema, expected, data):
        n = insert(self, con, ent, schema, expected, data)
        inserted.append(ent.name)
        if inserted.count("result") == 2:
            # The server goes away inside the transaction of the result table's second part.
            with psycopg.connect(pg_db, autocommit=True) as pg:
                pg.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        return n

    monkeypatch.setattr(SqlTarget, "_insert_part", insert_then_drop)
    with pytest.raises(TargetError) as info:
        _load(ws, result, pg_db, 4)
    assert "interrupted" in info.value.message and "1 part(s) committed" in info.value.message
    monkeypatch.undo()
    with psycopg.connect(pg_db) as con:
        # Part 0 is in, with its checkpoint, committed together; part 1 was rolled back.
        assert con.execute("SELECT count(*) FROM result").fetchone()[0] == 500
        assert con.execute(
            "SELECT part, rows FROM ariane_load_progress WHERE entity = 'result' ORDER BY part"
        ).fetchall() == [(-1, 0), (0, 500)]
    opened = []
    with monkeypatch.context() as m:
        m.setattr(
            OpenedPackage,
            "plain_parts",
            lambda self, entity, start=0: (
                opened.append((entity, start)) or original(self, entity, start)
            ),
        )
        _load(ws, result, pg_db, 5)  # resumes: patients, practitioners, requests are not reloaded
    assert opened == [("result", 1)]  # and result carries on from its second part
    _reconcile_ok(ws, result, pg_db)
    with psycopg.connect(pg_db) as con:
        assert con.execute("SELECT to_regclass('ariane_load_progress')").fetchone() == (None,)
        keys = con.execute(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'p' "
            "AND conrelid = 'result'::regclass"
        ).fetchone()
        assert keys == (1,)  # the primary key set aside for the load is back


def test_extraction_spills_only_into_its_encrypted_area(ready, monkeypatch):
    """The engine may spill (tests/unit/connectors/test_spill.py shows it is ciphertext), but
    only into a private area of the workspace, encrypted, and removed when the run ends."""
    from ariane.scope import extract as extract_mod

    ws, mid, lab = ready
    seen = []
    original = extract_mod.stream_entity

    def spying(session, *args, **kwargs):
        settings = dict(
            session.con.execute(
                "SELECT name, value FROM duckdb_settings() "
                "WHERE name IN ('temp_directory', 'temp_file_encryption')"
            ).fetchall()
        )
        seen.append(settings)
        return original(session, *args, **kwargs)

    monkeypatch.setattr(procedure, "stream_entity", spying)
    result = procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(3))
    assert seen
    for settings in seen:
        assert settings["temp_file_encryption"] == "true"
        area = settings["temp_directory"]
        assert area.startswith(str(ws.root / "spill") + "/")
    assert list((ws.root / "spill").iterdir()) == []  # removed with the run
    _load(ws, result, f"sqlite:{ws.root.parent / 'spilled.db'}", 5)


def test_too_little_memory_is_a_clear_error_and_a_retry_works(ready, monkeypatch):
    """Spills are encrypted and bounded; when even they do not fit, the error says what to do."""
    from ariane.errors import SourceError

    ws, mid, lab = ready
    monkeypatch.setenv("ARIANE_MEMORY_LIMIT", "8MB")
    with pytest.raises(SourceError) as info:
        procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(3))
    assert "ran out of memory" in info.value.message
    assert "ARIANE_MEMORY_LIMIT" in info.value.message
    packages = ws.root / "packages"
    assert not packages.exists() or not any(packages.iterdir()), "nothing half-written is left"
    monkeypatch.delenv("ARIANE_MEMORY_LIMIT")
    result = procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(4))
    _load(ws, result, f"sqlite:{ws.root.parent / 'after-oom.db'}", 5)
