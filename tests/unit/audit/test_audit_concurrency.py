"""Two processes appending at once: the lock keeps one chain, no event lost or duplicated."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from pathlib import Path

from ariane.audit import AuditLog

T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
PER_PROCESS = 200


def _writer(root: str, who: str) -> None:
    log = AuditLog(Path(root), "ws-test")
    for i in range(PER_PROCESS):
        log.append(T0 + dt.timedelta(seconds=i), who, who, "h", "extract", details={"i": i})


def test_two_processes_append_200_events_each(tmp_path: Path) -> None:
    root = tmp_path / "audit"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(root), who)) for who in ("olga", "rita")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    log = AuditLog(root, "ws-test")
    report = log.verify({})
    assert report.events == 2 * PER_PROCESS and report.head_seq == 2 * PER_PROCESS
    events = list(log.events())
    assert [e.seq for e in events] == list(range(1, 2 * PER_PROCESS + 1))
    for who in ("olga", "rita"):  # each writer's events in its own order, none lost
        assert [e.details["i"] for e in events if e.who == who] == list(range(PER_PROCESS))
