"""AuditLog: appending, reading, filters, exports, checkpoints that verify, structural limits."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from ariane.audit import REFUSED_COMMAND, AuditLog, Event
from ariane.audit.alerts import (
    AFTER_DELETION_DATE,
    EXTRACT_EXCEEDS_DRY_RUN,
    FAILED_LOGINS,
    deletion_date_alert,
    extract_alert,
    failed_login_alert,
    recent_failures,
)
from ariane.audit.event import ZERO_HASH, event_hash
from ariane.crypto.sign import SigningKey
from ariane.errors import IntegrityError, UsageError

T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
DIGEST = "ab" * 32


def _log(tmp_path: Path) -> AuditLog:
    return AuditLog(tmp_path / "audit", "ws-test")


def _at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def _add(
    log: AuditLog, minutes: int, who: str = "alice", action: str = "extract", **kw: Any
) -> Event:
    return log.append(_at(minutes), who, "alice", "lab-host", action, **kw)


def test_append_chains_events_and_reads_them_back(tmp_path: Path) -> None:
    log = _log(tmp_path)
    first = _add(log, 0, manifest="m-2025", details={"rows": 12, "digest": DIGEST})
    second = _add(log, 1, action="manifest.approve", manifest="m-2025")
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev == ZERO_HASH and second.prev == first.hash
    assert first.hash == event_hash(first.to_dict())
    assert list(log.events()) == [first, second]
    d = first.to_dict()
    assert list(d) == [
        "seq",
        "at",
        "who",
        "os_user",
        "host",
        "action",
        "outcome",
        "manifest",
        "package",
        "details",
        "alert",
        "prev",
        "hash",
    ]
    assert d["at"] == "2025-03-01T09:00:00.000000+00:00"
    assert d["details"] == {"rows": 12, "digest": DIGEST}
    d["details"]["rows"] = 99  # a copy: the event does not change
    assert first.details["rows"] == 12
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.seq = 5  # type: ignore[misc]
    head = json.loads((log.root / "head.json").read_bytes())
    assert head == {
        "format": "ariane.audit-head/1",
        "workspace_id": "ws-test",
        "seq": 2,
        "hash": second.hash,
    }
    report = log.verify({})
    assert (report.events, report.head_seq, report.head_hash) == (2, 2, second.hash)


def test_files_are_owner_only(tmp_path: Path) -> None:
    log = _log(tmp_path)
    _add(log, 0)
    assert stat.S_IMODE(log.root.stat().st_mode) == 0o700
    for name in ("audit.jsonl", "head.json", "audit.lock"):
        assert stat.S_IMODE((log.root / name).stat().st_mode) == 0o600
    assert sorted(p.name for p in log.root.iterdir()) == ["audit.jsonl", "audit.lock", "head.json"]


def test_time_is_stored_in_utc(tmp_path: Path) -> None:
    log = _log(tmp_path)
    paris = dt.timezone(dt.timedelta(hours=1))
    event = log.append(
        dt.datetime(2025, 3, 1, 10, 0, tzinfo=paris), "-", "u", "h", "login", outcome="refused"
    )
    assert event.to_dict()["at"] == "2025-03-01T09:00:00.000000+00:00"
    with pytest.raises(UsageError):
        log.append(dt.datetime(2025, 3, 1), "alice", "u", "h", "login")


@pytest.mark.parametrize(
    "details",
    [
        {"note": "x" * 513},
        {"nested": {"deeper": ["ok", "y" * 600]}},
        {"when": dt.date(2025, 1, 1)},
        {"blob": b"bytes"},
        {"obj": object()},
        {"set": {1, 2}},
        {"nan": float("nan")},
        {"big": 2**60},
        {"a key with spaces": 1},
        {"deep": [[[[[[[[[[1]]]]]]]]]]},
    ],
)
def test_details_that_could_carry_a_value_are_refused(tmp_path: Path, details: Any) -> None:
    log = _log(tmp_path)
    with pytest.raises(UsageError) as err:
        _add(log, 0, details=details)
    assert "x" * 20 not in err.value.message and "y" * 20 not in err.value.message
    assert not (log.root / "audit.jsonl").exists()


def test_details_within_the_limits_are_kept(tmp_path: Path) -> None:
    log = _log(tmp_path)
    details = {
        "id": "x" * 512,
        "counts": {"patient": 3, "result": 10},
        "ratio": 0.5,
        "ok": True,
        "none": None,
        "ids": ["r1", "r2"],
    }
    assert _add(log, 0, details=details).details == details
    assert next(log.events()).details == details


@pytest.mark.parametrize(
    "kw",
    [
        {"who": "alice smith"},
        {"who": "=cmd|calc"},
        {"action": "Extract"},
        {"action": "audit.checkpoint"},
        {"action": "audit.pruned"},
        {"outcome": "maybe"},
        {"manifest": "m 1"},
        {"alert": "Not A Code"},
    ],
)
def test_malformed_fields_are_refused(tmp_path: Path, kw: dict[str, str]) -> None:
    log = _log(tmp_path)
    args: dict[str, object] = {"who": "alice", "action": "extract", **kw}
    with pytest.raises(UsageError):
        log.append(T0, os_user="alice", host="h", **args)  # type: ignore[arg-type]
    assert not (log.root / "audit.jsonl").exists()


def test_refusals_are_alerts_and_alerts_are_listed(tmp_path: Path) -> None:
    log = _log(tmp_path)
    _add(log, 0)
    refused = _add(log, 1, action="manifest.approve", outcome="refused")
    assert refused.alert == REFUSED_COMMAND
    failed = log.append(_at(2), "-", "bob", "h", "login", outcome="refused", alert=FAILED_LOGINS)
    assert failed.alert == FAILED_LOGINS
    assert [e.seq for e in log.alerts()] == [2, 3]
    assert [e.seq for e in log.alerts(since=_at(2))] == [3]
    assert log.verify({}).alerts == 2


def test_show_filters_by_person_manifest_period_and_action(tmp_path: Path) -> None:
    log = _log(tmp_path)
    _add(log, 0, who="olga", action="manifest.submit", manifest="m1")
    _add(log, 1, who="claire", action="manifest.approve", manifest="m1")
    _add(log, 2, who="olga", action="extract", manifest="m1", package="p1")
    _add(log, 3, who="olga", action="manifest.submit", manifest="m2")
    _add(log, 4, who="rita", action="load", manifest="m2", package="p1")

    def seqs(events: list[Event]) -> list[int]:
        return [e.seq for e in events]

    assert seqs(log.show()) == [1, 2, 3, 4, 5]
    assert seqs(log.show(who="olga")) == [1, 3, 4]
    assert seqs(log.show(manifest="m1")) == [1, 2, 3]
    assert seqs(log.show(since=_at(1), until=_at(3))) == [2, 3]
    assert seqs(log.show(action="manifest")) == [1, 2, 4]
    assert seqs(log.show(action="manifest.submit", who="olga", manifest="m2")) == [4]
    assert seqs(log.show(action="manifes")) == []
    with pytest.raises(UsageError):
        log.show(since=dt.datetime(2025, 1, 1))


def test_exports_round_trip(tmp_path: Path) -> None:
    log = _log(tmp_path)
    for i in range(7):
        _add(log, i, manifest="m1" if i % 2 else None, details={"rows": i, "ids": ["a", "b"]})
    events = list(log.events())
    assert log.export_json(tmp_path / "audit.json") == 7
    doc = json.loads((tmp_path / "audit.json").read_text("utf-8"))
    assert doc["format"] == "ariane.audit-export/1" and doc["workspace_id"] == "ws-test"
    assert doc["count"] == 7 and doc["events"] == [e.to_dict() for e in events]
    assert log.export_csv(tmp_path / "audit.csv") == 7
    with (tmp_path / "audit.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 7
    assert [r["hash"] for r in rows] == [e.hash for e in events]
    assert [json.loads(r["details"]) for r in rows] == [e.details for e in events]
    assert rows[0]["manifest"] == "" and rows[1]["manifest"] == "m1"
    assert log.export_csv(tmp_path / "some.csv", log.show(manifest="m1")) == 3
    for name in ("audit.json", "audit.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    with pytest.raises(UsageError):  # an export never overwrites
        log.export_json(tmp_path / "audit.json")


def test_log_with_checkpoints_verifies(tmp_path: Path) -> None:
    log = _log(tmp_path)
    claire, olga = SigningKey.generate(), SigningKey.generate()
    _add(log, 0, who="olga")
    cp1 = log.checkpoint(_at(1), "claire", "claire", "h", "claire", claire)
    assert cp1.action == "audit.checkpoint"
    assert cp1.details["head_seq"] == 1 and cp1.details["head_hash"] == cp1.prev
    assert cp1.details["public_key"] == claire.public_b64 and cp1.details["signer"] == "claire"
    _add(log, 2, who="olga")
    log.checkpoint(_at(3), "olga", "olga", "h", "olga", olga)
    _add(log, 4, who="rita")
    report = log.verify({"claire": claire.public_b64, "olga": olga.public_b64})
    assert report.checkpoints == 2 and report.last_checkpoint_seq == 4
    assert report.signers == ("claire", "olga")
    assert report.unsigned_tail == 1 and report.head_seq == 5


def test_checkpoint_arguments_are_checked(tmp_path: Path) -> None:
    log = _log(tmp_path)
    key = SigningKey.generate()
    with pytest.raises(UsageError):
        log.checkpoint(T0, "claire", "c", "h", "Claire Dupont", key)
    with pytest.raises(UsageError):
        log.checkpoint(T0, "claire", "c", "h", "claire", "not a key")  # type: ignore[arg-type]
    log.checkpoint(T0, "claire", "c", "h", "claire", key)
    with pytest.raises(UsageError):  # a malformed trusted key is the caller's configuration
        log.verify({"claire": "not base64"})


def test_verify_without_a_log_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        _log(tmp_path).verify({})
    assert list(_log(tmp_path).events()) == []
    with pytest.raises(UsageError):
        AuditLog(tmp_path, "bad id with spaces")


def test_head_of_another_workspace_is_refused(tmp_path: Path) -> None:
    _add(_log(tmp_path), 0)
    other = AuditLog(tmp_path / "audit", "ws-other")
    with pytest.raises(IntegrityError, match="another workspace"):
        other.verify({})
    with pytest.raises(IntegrityError):
        other.append(T0, "alice", "a", "h", "extract")


def test_alert_helpers() -> None:
    events = [
        Event(
            i,
            _at(i),
            "bob",
            "b",
            "h",
            "login",
            "refused",
            None,
            None,
            {},
            REFUSED_COMMAND,
            ZERO_HASH,
            ZERO_HASH,
        )
        for i in (1, 10, 20)
    ]
    assert recent_failures(events, "bob", _at(21)) == 2  # the one at minute 1 is too old
    assert recent_failures(events, "eve", _at(21)) == 0
    assert failed_login_alert(1) == REFUSED_COMMAND and failed_login_alert(2) == FAILED_LOGINS
    assert extract_alert({"patient": 10}, {"patient": 10}) is None
    assert extract_alert({"patient": 10}, {"patient": 11}) == EXTRACT_EXCEEDS_DRY_RUN
    assert extract_alert({"patient": 10}, {"result": 1}) == EXTRACT_EXCEEDS_DRY_RUN
    assert deletion_date_alert(T0, dt.date(2025, 3, 1)) is None
    assert deletion_date_alert(T0, dt.date(2025, 2, 28)) == AFTER_DELETION_DATE
