"""Retention: pruning old events keeps the log verifiable, and never hides tampering."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from ariane.audit import DEFAULT_KEEP, AuditLog
from ariane.audit.event import event_hash
from ariane.audit.storage import Store
from ariane.crypto.digest import canonical_json
from ariane.crypto.sign import SigningKey
from ariane.errors import IntegrityError, UsageError

T0 = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)
KEY = SigningKey.generate()
TRUSTED = {"claire": KEY.public_b64}
WHO: dict[str, Any] = {"who": "dpo", "os_user": "dpo", "host": "h"}


def _day(n: int) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def _log(tmp_path: Path, days: int = 10) -> AuditLog:
    """One event a day for `days` days, a checkpoint on day 5."""
    log = AuditLog(tmp_path / "audit", "ws-test")
    for d in range(days):
        log.append(_day(d), "olga", "olga", "h", "extract", details={"day": d})
        if d == 5:
            log.checkpoint(_day(d), "claire", "claire", "h", "claire", KEY)
    return log


def _read(log: AuditLog) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (log.root / "audit.jsonl").read_bytes().splitlines()]


def _write(log: AuditLog, events: list[dict[str, Any]]) -> None:
    (log.root / "audit.jsonl").write_bytes(b"".join(canonical_json(e) + b"\n" for e in events))


def test_default_retention_is_one_year() -> None:
    assert dt.timedelta(days=365) == DEFAULT_KEEP


def test_prune_removes_old_events_and_still_verifies(tmp_path: Path) -> None:
    log = _log(tmp_path)  # seqs 1-6 days 0-5, 7 checkpoint day 5, 8-11 days 6-9
    before = {e.seq: e for e in log.events()}
    assert log.prune(_day(10), keep=dt.timedelta(days=7), **WHO) == 3  # days 0, 1, 2
    events = list(log.events())
    header, record = events[0], events[-1]
    assert header.action == "audit.pruned" and header.seq == 3
    assert header.details == {
        "pruned_count": 3,
        "last_pruned_seq": 3,
        "last_pruned_hash": before[3].hash,
        "cutoff": "2024-01-04T12:00:00.000000+00:00",
    }
    assert record.action == "audit.prune" and record.details == header.details
    assert record.who == "dpo" and record.seq == 12
    assert [e.seq for e in events[1:-1]] == list(range(4, 12))
    assert events[1:-1] == [before[s] for s in range(4, 12)]  # kept events are untouched
    report = log.verify(TRUSTED)
    assert (report.first_seq, report.pruned_through, report.head_seq) == (3, 3, 12)
    assert report.checkpoints == 1 and report.events == 10
    log.append(_day(11), "olga", "olga", "h", "load")  # the log goes on
    assert log.verify(TRUSTED).head_seq == 13


def test_prune_with_nothing_old_enough_changes_nothing(tmp_path: Path) -> None:
    log = _log(tmp_path, days=3)
    raw = (log.root / "audit.jsonl").read_bytes()
    assert log.prune(_day(3), **WHO) == 0
    assert (log.root / "audit.jsonl").read_bytes() == raw
    assert AuditLog(tmp_path / "empty", "ws-test").prune(_day(3)) == 0


def test_prune_twice_and_prune_everything(tmp_path: Path) -> None:
    log = _log(tmp_path)
    assert log.prune(_day(10), keep=dt.timedelta(days=7), **WHO) == 3
    assert log.prune(_day(12), keep=dt.timedelta(days=7), **WHO) == 2  # days 3 and 4
    assert log.verify(TRUSTED).pruned_through == 5
    removed = log.prune(_day(400), **WHO)  # everything, the earlier prune record included
    assert removed == 8
    events = list(log.events())
    assert [e.action for e in events] == ["audit.pruned", "audit.prune"]
    report = log.verify(TRUSTED)
    assert report.events == 2 and report.checkpoints == 0 and report.head_seq == 14


def test_prune_without_a_named_person_is_recorded_as_unknown(tmp_path: Path) -> None:
    log = _log(tmp_path)
    assert log.prune(_day(10), keep=dt.timedelta(days=7)) == 3  # e.g. a scheduled retention
    record = list(log.events())[-1]
    assert (record.who, record.os_user, record.host) == ("-", "-", "-")
    log.verify(TRUSTED)


def test_pruned_log_with_an_edited_line_still_fails(tmp_path: Path) -> None:
    log = _log(tmp_path)
    log.prune(_day(10), keep=dt.timedelta(days=7), **WHO)
    events = _read(log)
    events[2]["details"]["day"] = 99
    _write(log, events)
    with pytest.raises(IntegrityError, match=r"seq 5.*edited"):
        log.verify(TRUSTED)


def test_pruned_log_whose_header_is_removed_fails(tmp_path: Path) -> None:
    log = _log(tmp_path)
    log.prune(_day(10), keep=dt.timedelta(days=7), **WHO)
    _write(log, _read(log)[1:])
    with pytest.raises(IntegrityError, match="does not start at seq 1"):
        log.verify(TRUSTED)


def test_cutting_more_than_the_prune_did_fails(tmp_path: Path) -> None:
    """A forged header for a shorter log (hash recomputed) matches no chained prune record."""
    log = _log(tmp_path)
    log.prune(_day(10), keep=dt.timedelta(days=7), **WHO)
    events = _read(log)
    header, cut = events[0], events[3:]  # also drop seqs 4 and 5
    last = events[2]
    header["seq"], header["prev"] = last["seq"], last["prev"]
    header["details"].update(last_pruned_seq=last["seq"], last_pruned_hash=last["hash"])
    header["hash"] = event_hash(header)
    _write(log, [header, *cut])
    with pytest.raises(IntegrityError, match=r"matches no audit\.prune record"):
        log.verify(TRUSTED)


def test_a_pruned_header_inside_the_log_fails(tmp_path: Path) -> None:
    log = _log(tmp_path)
    log.prune(_day(10), keep=dt.timedelta(days=7), **WHO)
    events = _read(log)
    events[0], events[1] = events[1], events[0]
    _write(log, events)
    with pytest.raises(IntegrityError):
        log.verify(TRUSTED)


def test_a_broken_log_is_never_pruned(tmp_path: Path) -> None:
    log = _log(tmp_path)
    events = _read(log)
    events[0]["details"]["day"] = 42  # the edit lies in what a prune would remove
    _write(log, events)
    raw = (log.root / "audit.jsonl").read_bytes()
    with pytest.raises(IntegrityError, match="seq 1"):
        log.prune(_day(10), keep=dt.timedelta(days=7), **WHO)
    assert (log.root / "audit.jsonl").read_bytes() == raw  # the evidence is still there


def test_prune_checks_signatures_when_given_keys(tmp_path: Path) -> None:
    log = _log(tmp_path)
    with pytest.raises(IntegrityError, match="not a trusted key"):
        log.prune(_day(10), keep=dt.timedelta(days=7), trusted_keys={}, **WHO)
    assert log.prune(_day(10), keep=dt.timedelta(days=7), trusted_keys=TRUSTED, **WHO) == 3


def test_retention_must_be_positive(tmp_path: Path) -> None:
    log = _log(tmp_path, days=2)
    for keep in (dt.timedelta(0), dt.timedelta(days=-1)):
        with pytest.raises(UsageError):
            log.prune(_day(3), keep=keep)


def test_a_crash_before_the_rewrite_leaves_a_verifiable_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _log(tmp_path)

    def crash(self: Store, lines: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(Store, "replace_log", crash)
    with pytest.raises(OSError):
        log.prune(_day(10), keep=dt.timedelta(days=7), **WHO)
    monkeypatch.undo()
    report = log.verify(TRUSTED)  # the full log plus the prune record
    assert report.first_seq == 1 and report.head_seq == 12
    assert log.prune(_day(10), keep=dt.timedelta(days=7), **WHO) == 3  # and it can be redone
    assert log.verify(TRUSTED).pruned_through == 3
