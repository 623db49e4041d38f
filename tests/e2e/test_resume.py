"""Interrupted at any moment, nothing lost: resume after a crash during extraction and load.

An in-process fault (the writer's clean-up disabled, as a killed process would leave it) and a
real `kill -9` of a subprocess; then the same command again finishes the job and the target
reconciles exactly: no row lost, none duplicated, no plaintext left behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from ariane.connectors.targets import open_target
from ariane.demo.run import RECIPIENT_KEY, SENDER_KEY
from ariane.engine import procedure
from ariane.package.layout import partial_dir
from ariane.package.writer import PackageWriter
from flows import (
    OP,
    RCPT,
    RECIPIENT_PASS,
    SENDER_PASS,
    approved,
    at,
    load_package,
    new_workspace,
    write_manifest,
)


class Crash(BaseException):
    """Stands for the process dying: no clean-up handler runs."""


def _extracted(lab, keys, tmp_path):
    ws = new_workspace(tmp_path / "ws", keys)
    write_manifest(ws, tmp_path / "m.yaml")
    mid = approved(ws, tmp_path / "m.yaml", lab)
    return ws, mid, procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(3))


def _partial_files(ws, mid):
    run = ws.state(mid)["extracting"]
    partial = partial_dir(Path(run["package"]))
    return partial, sorted(p.name for p in partial.rglob("*") if p.is_file())


def test_extraction_resumes_after_a_crash(lab, keys, tmp_path, monkeypatch):
    ws = new_workspace(tmp_path / "ws", keys)
    write_manifest(ws, tmp_path / "m.yaml")
    mid = approved(ws, tmp_path / "m.yaml", lab)
    original = PackageWriter.write_entity

    def dying(self, entity, *args, **kwargs):
        if entity == "request":
            raise Crash()
        return original(self, entity, *args, **kwargs)

    monkeypatch.setattr(PackageWriter, "write_entity", dying)
    monkeypatch.setattr(PackageWriter, "abort", lambda self: None)  # a dead process cleans nothing
    with pytest.raises(Crash):
        procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(3))
    partial, files = _partial_files(ws, mid)
    assert "progress.json" in files and any(f.startswith("patient-") for f in files)
    assert all(f.endswith(".age") or f in ("progress.json", "manifest.json") for f in files)
    monkeypatch.undo()

    result = procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(4))
    assert not partial.exists()
    last = [e for e in ws.audit.events() if e.action == "extract"][-1]
    assert last.outcome == "ok" and last.details.get("resumed") is True
    _load_and_reconcile(ws, result, tmp_path)


def test_load_resumes_after_a_crash(lab, keys, tmp_path, monkeypatch):
    from ariane.connectors.sql_target import SqlTarget

    ws, mid, result = _extracted(lab, keys, tmp_path)
    original = SqlTarget.load_parts

    def dying(self, entity, schema, parts, *rest):
        if entity == "result":
            raise Crash()
        return original(self, entity, schema, parts, *rest)

    monkeypatch.setattr(SqlTarget, "load_parts", dying)
    target = f"sqlite:{tmp_path / 't.db'}"
    with pytest.raises(Crash):
        _crashing_load(ws, result, target)
    progress = json.loads((ws.migration_dir(mid) / "load-progress.json").read_text())
    assert set(progress["entities"]) == {"patient", "practitioner", "request"}
    monkeypatch.undo()
    _load_and_reconcile(ws, result, tmp_path, target)


def _load_and_reconcile(ws, result, tmp_path, target=None):
    target = target or f"sqlite:{tmp_path / 'target.db'}"
    sender = ws.keys.public(SENDER_KEY)
    load_package(ws, result.package, target, 5)
    report = procedure.reconcile(
        ws, result.package, open_target(target, at(5)), RCPT, sender, at(6)
    )
    assert report["ok"]
    for name, e in report["entities"].items():
        assert e["target_rows"] == e["expected_rows"] == result.counts[name]["transferred"]


KILLER = """
import sys, pathlib
sys.path.insert(0, {tests!r})
from flows import OP, SENDER_PASS, at
from ariane.engine import procedure
from ariane.engine.workspace import Workspace
from flows import TEST_COST
ws = Workspace.open(pathlib.Path({ws!r}), cost=TEST_COST)
procedure.extract(ws, {mid!r}, {lab!r}, OP, SENDER_PASS, at(3), batch_rows=500, part_rows=1000)
"""


def _clear_values_in(root, lab):
    """Files under `root` holding a patient's name, NIR or e-mail in clear (there must be none)."""
    import sqlite3

    con = sqlite3.connect(f"file:{lab}?mode=ro", uri=True)
    rows = con.execute("SELECT PAT_NOM, PAT_NIR, PAT_MAIL FROM PAT_PATIENT").fetchall()
    con.close()
    values = {v.encode() for r in rows for v in r if v and len(v) >= 8}
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(v in data for v in values):
                found.append(str(path.relative_to(root)))
    return found


def _index(package):
    from ariane.package.index import PackageIndex

    return PackageIndex.from_bytes((package / "index.json").read_bytes())


def test_kill_minus_nine_in_the_middle_of_an_entity_then_resume(lab, keys, tmp_path):
    """A real SIGKILL once some parts of an entity are sealed: those parts are kept, not redone."""
    ws = new_workspace(tmp_path / "ws", keys)
    write_manifest(ws, tmp_path / "m.yaml")
    mid = approved(ws, tmp_path / "m.yaml", lab)
    code = KILLER.format(
        tests=str(Path(__file__).parents[1]), ws=str(ws.root), mid=mid, lab=str(lab)
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    unfinished = None
    while time.monotonic() < deadline and proc.poll() is None:
        st = ws.state(mid)
        if "extracting" in st:
            progress = partial_dir(Path(st["extracting"]["package"])) / "progress.json"
            try:
                doc = json.loads(progress.read_text())
            except (OSError, ValueError):
                doc = {}
            if doc.get("unfinished"):
                os.kill(proc.pid, signal.SIGKILL)
                unfinished = doc["unfinished"]
                break
        time.sleep(0.005)
    proc.wait(timeout=60)
    if unfinished is None:
        pytest.fail(f"the extraction ended before it could be killed: {proc.stderr.read()[-500:]}")
    assert ws.state(mid)["state"] == "approved"
    partial, files = _partial_files(ws, mid)
    assert all(f.endswith(".age") or f.endswith(".json") or f.endswith(".tmp") for f in files)
    recorded = json.loads((partial / "progress.json").read_text())["unfinished"]
    assert recorded["entity"] == unfinished["entity"] and recorded["parts"]
    assert _clear_values_in(ws.root, lab) == []  # what the killed run left is ciphertext
    assert _clear_values_in(lab.parent, lab) == ["lis.db"]  # the scan does see clear values
    result = procedure.extract(
        ws, mid, str(lab), OP, SENDER_PASS, at(4), batch_rows=500, part_rows=1000
    )
    assert not partial.exists()
    kept = _index(result.package).entities[recorded["entity"]].parts
    for i, part in enumerate(recorded["parts"]):  # sealed before the kill, kept as they were
        assert kept[i].file == part["file"]
        assert kept[i].ciphertext_sha256 == part["ciphertext_sha256"]
    assert sorted(p.name for p in result.package.iterdir()) == [
        "index.json", "index.sig", "manifest.json", "parts"
    ]  # fmt: skip
    _load_and_reconcile(ws, result, tmp_path)


def _crash_at_result_part(ws, mid, lab, monkeypatch, number):
    """Extraction dies right after sealing result part `number`, before recording it."""
    original = PackageWriter._seal_part

    def dying(self, entity, n, builder):
        part = original(self, entity, n, builder)
        if entity == "result" and n == number:
            raise Crash()
        return part

    with monkeypatch.context() as m:
        m.setattr(PackageWriter, "_seal_part", dying)
        m.setattr(PackageWriter, "abort", lambda self: None)  # a dead process cleans nothing
        with pytest.raises(Crash):
            procedure.extract(
                ws, mid, str(lab), OP, SENDER_PASS, at(3), batch_rows=700, part_rows=2000
            )


def test_extraction_resumes_after_the_last_sealed_part(lab, keys, tmp_path, monkeypatch):
    ws = new_workspace(tmp_path / "ws", keys)
    write_manifest(ws, tmp_path / "m.yaml")
    mid = approved(ws, tmp_path / "m.yaml", lab)
    from ariane.scope.session import ScopeSession

    close, alive = ScopeSession.close, []

    def closing(self):
        alive.extend(t.name for t in threading.enumerate() if t.name == "prefetch")
        close(self)

    with monkeypatch.context() as m:
        m.setattr(ScopeSession, "close", closing)
        _crash_at_result_part(ws, mid, lab, monkeypatch, 3)
    # The stream was stopped before its session closed: no read-ahead thread was left querying
    # a connection being closed (one used to hang there).
    assert alive == []
    partial, files = _partial_files(ws, mid)
    progress = json.loads((partial / "progress.json").read_text())
    assert set(progress["entities"]) == {"patient", "practitioner", "request"}
    before = progress["unfinished"]["parts"]
    assert progress["unfinished"]["entity"] == "result"
    assert [p["file"] for p in before] == [f"parts/result-{i:05d}.parquet.age" for i in range(3)]
    assert "result-00003.parquet.age" in files  # on disk but never recorded: not trusted
    assert [f for f in files if f.endswith(".keys.age")] == [
        f"result-{i:05d}.keys.age" for i in range(3)
    ]

    original = PackageWriter._seal_part
    sealed = []

    def spy(self, entity, n, builder):
        sealed.append((entity, n))
        return original(self, entity, n, builder)

    with monkeypatch.context() as m:
        m.setattr(PackageWriter, "_seal_part", spy)
        result = procedure.extract(
            ws, mid, str(lab), OP, SENDER_PASS, at(4), batch_rows=700, part_rows=2000
        )
    assert sealed[0] == ("result", 3)  # patient..request and result parts 0-2 are not redone
    assert all(e == "result" and n >= 3 for e, n in sealed)
    parts = _index(result.package).entities["result"].parts
    assert len(parts) > 4
    assert [p.ciphertext_sha256 for p in parts[:3]] == [p["ciphertext_sha256"] for p in before]
    assert not partial.exists() and not (result.package / "resume").exists()
    _load_and_reconcile(ws, result, tmp_path)


def test_a_source_changed_since_the_crash_is_refused_on_resume(lab, keys, tmp_path, monkeypatch):
    import shutil
    import sqlite3

    from ariane.errors import IntegrityError

    source = tmp_path / "lis.db"
    shutil.copy(lab, source)
    ws = new_workspace(tmp_path / "ws", keys)
    write_manifest(ws, tmp_path / "m.yaml")
    mid = approved(ws, tmp_path / "m.yaml", source)
    _crash_at_result_part(ws, mid, source, monkeypatch, 2)
    partial, _ = _partial_files(ws, mid)
    con = sqlite3.connect(source)
    con.execute("DELETE FROM RES_RESULTAT")  # the results already sealed are gone
    con.commit()
    con.close()
    with pytest.raises(IntegrityError, match="source changed") as info:
        procedure.extract(ws, mid, str(source), OP, SENDER_PASS, at(4), part_rows=2000)
    assert "extract again" in info.value.message
    assert not partial.exists()  # nothing sealed from the old source is kept


LOAD_KILLER = """
import sys, pathlib
sys.path.insert(0, {tests!r})
from flows import RCPT, RECIPIENT_PASS, TEST_COST, at
from ariane.connectors.targets import open_target
from ariane.demo.run import RECIPIENT_KEY, SENDER_KEY
from ariane.engine import procedure
from ariane.engine.workspace import Workspace
ws = Workspace.open(pathlib.Path({ws!r}), cost=TEST_COST)
procedure.load(ws, pathlib.Path({package!r}), open_target({target!r}), RCPT, RECIPIENT_KEY,
               RECIPIENT_PASS, ws.keys.public(SENDER_KEY), at(4))
"""


def _committed_parts(db):
    import sqlite3

    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute(
            "SELECT part, rows FROM ariane_load_progress WHERE entity = 'result' AND part >= 0 "
            "ORDER BY part"
        ).fetchall()
    except sqlite3.OperationalError:  # no checkpoint table (yet, or any more)
        return []
    finally:
        con.close()


def test_kill_minus_nine_in_the_middle_of_a_load_then_resume(lab, keys, tmp_path):
    """A real SIGKILL while result parts are being committed: the target holds exactly the
    recorded parts, and the resumed load carries on from the next one."""
    import sqlite3

    ws = new_workspace(tmp_path / "ws", keys)
    write_manifest(ws, tmp_path / "m.yaml")
    mid = approved(ws, tmp_path / "m.yaml", lab)
    result = procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(3), part_rows=200)
    db = tmp_path / "target.db"
    code = LOAD_KILLER.format(
        tests=str(Path(__file__).parents[1]),
        ws=str(ws.root),
        package=str(result.package),
        target=f"sqlite:{db}",
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    killed = False
    while time.monotonic() < deadline and proc.poll() is None:
        if len(_committed_parts(db)) >= 2:
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.002)
    proc.wait(timeout=60)
    if not killed:
        pytest.fail(f"the load ended before it could be killed: {proc.stderr.read()[-500:]}")
    recorded = _committed_parts(db)
    assert _clear_values_in(ws.root, lab) == []  # the target holds data by nature, not the rest
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM result").fetchone()[0] == sum(r for _, r in recorded)
    con.close()
    _load_and_reconcile(ws, result, tmp_path, f"sqlite:{db}")
    last = [e for e in ws.audit.events() if e.action == "load"][-1]
    assert last.outcome == "ok" and last.details["resumed_parts"]["result"] == len(recorded)
    assert _committed_parts(db) == []


def _crashing_load(ws, result, target):
    load_package(ws, result.package, target, 4)


def test_fhir_load_resumes_after_a_crash_mid_entity(lab, keys, tmp_path, monkeypatch):
    from ariane.connectors.fhir_ndjson import FhirNdjsonWriter

    ws, mid, result = _extracted(lab, keys, tmp_path)
    original = FhirNdjsonWriter.write

    def dying(self, entity, batches):
        written = original(self, entity, batches)
        if entity == "result" and written:  # some Observations are on disk, then death
            raise Crash()
        return written

    monkeypatch.setattr(FhirNdjsonWriter, "write", dying)
    folder = tmp_path / "fhir"
    with pytest.raises(Crash):
        _crashing_load(ws, result, f"fhir:{folder}")
    assert (folder / ".result.partial" / "Observation.ndjson").stat().st_size > 0
    assert not (folder / "Observation.ndjson").exists()  # nothing half-written among the final
    progress = json.loads((ws.migration_dir(mid) / "load-progress.json").read_text())
    assert set(progress["entities"]) == {"patient", "practitioner", "request"}
    monkeypatch.undo()
    _load_and_reconcile(ws, result, tmp_path, f"fhir:{folder}")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["Patient.ndjson", "Practitioner.ndjson", "ServiceRequest.ndjson", "Specimen.ndjson",
         "DiagnosticReport.ndjson", "Observation.ndjson"]
    )  # fmt: skip


def test_fhir_load_resumes_after_its_last_checkpointed_part(lab, keys, tmp_path, monkeypatch):
    from ariane.connectors.fhir_ndjson import FhirNdjsonWriter

    ws = new_workspace(tmp_path / "ws", keys)
    write_manifest(ws, tmp_path / "m.yaml")
    mid = approved(ws, tmp_path / "m.yaml", lab)
    result = procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(3), part_rows=2000)
    write, sync = FhirNdjsonWriter.write, FhirNdjsonWriter.sync
    synced = []

    def counting(self):
        sizes = sync(self)
        if self._dir.name == ".result.partial":
            synced.append(sizes)
        return sizes

    def dying(self, entity, batches):
        batches = list(batches)
        written = write(self, entity, batches)
        if entity == "result" and len(synced) == 2 and batches:
            raise Crash()  # part 3 is half appended after the checkpoint of part 2
        return written

    monkeypatch.setattr(FhirNdjsonWriter, "sync", counting)
    monkeypatch.setattr(FhirNdjsonWriter, "write", dying)
    folder = tmp_path / "fhir"
    with pytest.raises(Crash):
        _crashing_load(ws, result, f"fhir:{folder}")
    staged = json.loads((folder / ".result.partial" / "checkpoint.json").read_text())
    assert staged["parts"] == 2 and staged["rows"] == 4000
    size = (folder / ".result.partial" / "Observation.ndjson").stat().st_size
    assert size > staged["sizes"]["Observation.ndjson"]  # rows beyond the checkpoint
    monkeypatch.undo()
    _load_and_reconcile(ws, result, tmp_path, f"fhir:{folder}")
    last = [e for e in ws.audit.events() if e.action == "load"][-1]
    assert last.details["resumed_parts"] == {"result": 2}
    assert not (folder / ".result.partial").exists()


def test_message_load_resumes_after_a_crash_while_writing(lab, keys, tmp_path, monkeypatch):
    from ariane.connectors.hl7v2_write import Hl7v2Writer

    ws, mid, result = _extracted(lab, keys, tmp_path)
    original = Hl7v2Writer.write

    def dying(self, tables):
        original(self, tables)  # every message file written, then the process dies
        raise Crash()

    monkeypatch.setattr(Hl7v2Writer, "write", dying)
    folder = tmp_path / "hl7"
    with pytest.raises(Crash):
        _crashing_load(ws, result, f"hl7v2:{folder}")
    assert any((folder / ".ariane.partial").iterdir())
    assert not [p for p in folder.iterdir() if not p.name.startswith(".")]
    # Nothing was recorded as loaded: message targets write everything at the end.
    progress = json.loads((ws.migration_dir(mid) / "load-progress.json").read_text())
    assert progress["entities"] == {}  # the load is known to be under way, nothing done
    monkeypatch.undo()
    _load_and_reconcile(ws, result, tmp_path, f"hl7v2:{folder}")
    assert not (folder / ".ariane.partial").exists()


def test_ariane_resume_finishes_an_interrupted_extraction_then_load(
    lab, keys, tmp_path, monkeypatch
):
    """The `ariane resume` command: it finds what was interrupted and asks for what it needs."""
    from typer.testing import CliRunner

    from ariane.cli import main as cli_main
    from ariane.connectors.sql_target import SqlTarget

    ws = new_workspace(tmp_path / "ws", keys)
    write_manifest(ws, tmp_path / "m.yaml")
    mid = approved(ws, tmp_path / "m.yaml", lab)
    who = {"actor": OP}
    # Authentication has its own tests: here the logged-in person is given.
    monkeypatch.setattr(cli_main, "_me", lambda _ws: who["actor"])
    monkeypatch.setattr(cli_main, "_now", lambda: at(10))
    monkeypatch.setattr(cli_main, "_workspace", lambda path, create=False: ws)

    def ariane(*args, passphrase=SENDER_PASS):
        env = {"ARIANE_PASSPHRASE": passphrase, "COLUMNS": "160"}
        return CliRunner().invoke(cli_main.app, [*args, "--workspace", str(ws.root)], env=env)

    assert ariane("resume", mid).exit_code == 2  # nothing interrupted yet
    original = PackageWriter.write_entity

    def dying(self, entity, *args, **kwargs):
        if entity == "result":
            raise Crash()
        return original(self, entity, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(PackageWriter, "write_entity", dying)
        m.setattr(PackageWriter, "abort", lambda self: None)
        with pytest.raises(Crash):
            procedure.extract(ws, mid, str(lab), OP, SENDER_PASS, at(3))

    out = ariane("resume", mid)
    assert out.exit_code == 2 and "--source" in out.output
    out = ariane("resume", mid, "--source", str(lab))
    assert out.exit_code == 0, out.output
    assert "resuming the extraction" in out.output and "sealed package" in out.output
    assert ws.state(mid)["state"] == "extracted"

    package = ws.state(mid)["package"]
    target = f"sqlite:{tmp_path / 'resumed.db'}"
    who["actor"] = RCPT
    load_original = SqlTarget.load_parts

    def dying_load(self, entity, schema, parts, *rest):
        if entity == "request":
            raise Crash()
        return load_original(self, entity, schema, parts, *rest)

    with monkeypatch.context() as m:
        m.setattr(SqlTarget, "load_parts", dying_load)
        with pytest.raises(Crash):
            _crashing_load(ws, SimpleNamespace(package=Path(package)), target)

    out = ariane("resume", mid, "--target", target)
    assert out.exit_code == 2 and "--key" in out.output and "--sender-key" in out.output
    keys_args = ["--key", RECIPIENT_KEY, "--sender-key", SENDER_KEY]
    other = f"sqlite:{tmp_path / 'other.db'}"
    out = ariane("resume", mid, "--target", other, *keys_args, passphrase=RECIPIENT_PASS)
    assert out.exit_code == 2 and "was into" in out.output
    out = ariane("resume", mid, "--target", target, *keys_args, passphrase=RECIPIENT_PASS)
    assert out.exit_code == 0, out.output
    assert "already committed: patient, practitioner" in out.output
    report = procedure.reconcile(
        ws, Path(package), open_target(target), RCPT,
        ws.keys.public(SENDER_KEY), at(11),
    )  # fmt: skip
    assert report["ok"]
    assert ariane("resume", mid).exit_code == 2  # done: nothing left to resume
