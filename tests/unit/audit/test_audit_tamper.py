"""Every way of altering the log by hand is refused by verify, naming where it went wrong."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from ariane.audit import AuditLog
from ariane.audit.checkpoint import checkpoint_message
from ariane.audit.event import event_hash
from ariane.crypto.digest import canonical_json
from ariane.crypto.sign import SigningKey, signature_to_text
from ariane.errors import IntegrityError

T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
KEY = SigningKey.generate()
TRUSTED = {"claire": KEY.public_b64}


def _log(tmp_path: Path, n: int = 6, checkpoint_after: int | None = None) -> AuditLog:
    log = AuditLog(tmp_path / "audit", "ws-test")
    for i in range(n):
        log.append(
            T0 + dt.timedelta(minutes=i),
            "olga",
            "olga",
            "h",
            "extract",
            manifest="m1",
            details={"rows": i, "entity": "result"},
        )
        if checkpoint_after == i + 1:
            log.checkpoint(
                T0 + dt.timedelta(minutes=i, seconds=30), "claire", "claire", "h", "claire", KEY
            )
    return log


def _read(log: AuditLog) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (log.root / "audit.jsonl").read_bytes().splitlines()]


def _write(log: AuditLog, events: list[dict[str, Any]]) -> None:
    (log.root / "audit.jsonl").write_bytes(b"".join(canonical_json(e) + b"\n" for e in events))


def _rehash(event: dict[str, Any]) -> dict[str, Any]:
    event["hash"] = event_hash(event)
    return event


def _write_head(log: AuditLog, last: dict[str, Any]) -> None:
    head = {
        "format": "ariane.audit-head/1",
        "workspace_id": "ws-test",
        "seq": last["seq"],
        "hash": last["hash"],
    }
    (log.root / "head.json").write_bytes(canonical_json(head))


def _refused(log: AuditLog, *words: str) -> str:
    with pytest.raises(IntegrityError) as err:
        log.verify(TRUSTED)
    for word in words:
        assert word in err.value.message
    return err.value.message


def test_untouched_log_verifies(tmp_path: Path) -> None:
    assert _log(tmp_path, checkpoint_after=3).verify(TRUSTED).events == 7


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("who", "olgb"),
        ("at", "2025-03-01T09:02:00.000001+00:00"),
        ("action", "extracu"),
        ("outcome", "error"),
        ("manifest", "m2"),
        ("details", {"rows": 3, "entity": "result"}),
        ("alert", "refused-command"),
        ("prev", "1" * 64),
        ("hash", "2" * 64),
    ],
)
def test_edited_field_is_named_by_seq(tmp_path: Path, field: str, value: object) -> None:
    log = _log(tmp_path)
    events = _read(log)
    events[2][field] = value  # seq 3; still valid, canonical JSON
    _write(log, events)
    _refused(log, "seq 3", "edited")


def test_edited_seq_is_named_by_its_line(tmp_path: Path) -> None:
    log = _log(tmp_path)
    events = _read(log)
    events[2]["seq"] = 30
    _write(log, events)
    _refused(log, "line 3 (seq 30)", "edited")


def test_one_flipped_byte_is_found(tmp_path: Path) -> None:
    log = _log(tmp_path)
    raw = (log.root / "audit.jsonl").read_bytes()
    offset = raw.index(b'"rows":0') + len(b'"rows":')  # in the first line
    (log.root / "audit.jsonl").write_bytes(raw[:offset] + b"7" + raw[offset + 1 :])
    _refused(log, "line 1 (seq 1)", "edited")


def test_non_canonical_rewrite_is_an_edit(tmp_path: Path) -> None:
    log = _log(tmp_path)
    lines = (log.root / "audit.jsonl").read_bytes().splitlines()
    lines[1] = json.dumps(json.loads(lines[1]), indent=None).encode()  # same content, spaces
    (log.root / "audit.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    _refused(log, "line 2 (seq 2)", "canonical")


def test_edit_with_recomputed_hash_breaks_the_next_link(tmp_path: Path) -> None:
    log = _log(tmp_path)
    events = _read(log)
    events[2]["details"]["rows"] = 1000
    _rehash(events[2])
    _write(log, events)
    _refused(log, "seq 4", "prev")


def test_edit_of_the_last_event_with_recomputed_hash_breaks_the_head(tmp_path: Path) -> None:
    log = _log(tmp_path)
    events = _read(log)
    events[-1]["who"] = "mallory"
    _rehash(events[-1])
    _write(log, events)
    _refused(log, "seq 6", "head.json")


def test_deleted_line(tmp_path: Path) -> None:
    log = _log(tmp_path)
    events = _read(log)
    del events[2]
    _write(log, events)
    _refused(log, "line 3 (seq 4)", "seq 3 is missing", "deleted")


def test_deleted_first_line(tmp_path: Path) -> None:
    log = _log(tmp_path)
    _write(log, _read(log)[1:])
    _refused(log, "line 1 (seq 2)", "deleted")


def test_inserted_forged_line(tmp_path: Path) -> None:
    log = _log(tmp_path)
    events = _read(log)
    forged = dict(events[2], seq=3, prev=events[1]["hash"], who="mallory", details={})
    events.insert(2, _rehash(forged))
    _write(log, events)
    _refused(log, "line 4 (seq 3)", "inserted")


def test_inserted_line_with_the_whole_tail_rechained_breaks_the_head(tmp_path: Path) -> None:
    log = _log(tmp_path)
    events = _read(log)
    events.insert(2, dict(events[2], who="mallory"))
    for i in range(2, len(events)):  # renumber and re-chain everything after the insertion
        events[i]["seq"], events[i]["prev"] = i + 1, events[i - 1]["hash"]
        _rehash(events[i])
    _write(log, events)
    _refused(log, "seq 7", "head")


def test_swapped_lines(tmp_path: Path) -> None:
    log = _log(tmp_path)
    events = _read(log)
    events[2], events[3] = events[3], events[2]
    _write(log, events)
    _refused(log, "line 3 (seq 4)", "reordered")


def test_hand_appended_line_without_head_update(tmp_path: Path) -> None:
    log = _log(tmp_path)
    events = _read(log)
    extra = dict(events[-1], seq=7, prev=events[-1]["hash"], who="mallory")
    events.append(_rehash(extra))  # a perfect link: only head.json knows it is not ours
    _write(log, events)
    _refused(log, "seq 7", "appended by hand")
    with pytest.raises(IntegrityError, match="nothing appended"):
        log.append(T0, "olga", "olga", "h", "extract")  # nothing is buried under new events


def test_last_line_removed(tmp_path: Path) -> None:
    log = _log(tmp_path)
    _write(log, _read(log)[:-1])
    _refused(log, "truncated", "seq 6", "seq 5")
    with pytest.raises(IntegrityError):
        log.append(T0, "olga", "olga", "h", "extract")


def test_half_a_line(tmp_path: Path) -> None:
    log = _log(tmp_path)
    raw = (log.root / "audit.jsonl").read_bytes()
    (log.root / "audit.jsonl").write_bytes(raw[: len(raw) - 40])
    _refused(log, "line 6", "truncated")
    with pytest.raises(IntegrityError, match="truncated"):
        log.append(T0, "olga", "olga", "h", "extract")


def test_emptied_or_removed_file(tmp_path: Path) -> None:
    log = _log(tmp_path)
    (log.root / "audit.jsonl").write_bytes(b"")
    _refused(log, "truncated", "empty")
    (log.root / "audit.jsonl").unlink()
    _refused(log, "truncated")


def test_removed_head(tmp_path: Path) -> None:
    log = _log(tmp_path)
    (log.root / "head.json").unlink()
    _refused(log, "head.json is missing")


def test_full_rewrite_before_a_checkpoint_is_found(tmp_path: Path) -> None:
    """Whoever rewrites every hash and head.json still cannot re-sign the checkpoint."""
    log = _log(tmp_path, checkpoint_after=4)
    events = _read(log)
    events[1]["who"] = "mallory"
    for i in range(1, len(events)):
        events[i]["prev"] = events[i - 1]["hash"]
        if events[i]["action"] == "audit.checkpoint":
            events[i]["details"]["head_hash"] = events[i]["prev"]
        _rehash(events[i])
    _write(log, events)
    _write_head(log, events[-1])
    _refused(log, "seq 5", "checkpoint", "forged")


def test_full_rewrite_after_the_last_checkpoint_is_not_found(tmp_path: Path) -> None:
    """The documented limit: without a checkpoint key, the unsigned tail can be rewritten.
    The report says how long that tail is."""
    log = _log(tmp_path, checkpoint_after=4)
    events = _read(log)
    events[-1]["who"] = "mallory"
    _rehash(events[-1])
    _write(log, events)
    _write_head(log, events[-1])
    report = log.verify(TRUSTED)
    assert report.last_checkpoint_seq == 5 and report.unsigned_tail == 2


def _checkpoint(log: AuditLog) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    events = _read(log)
    return events, next(e for e in events if e["action"] == "audit.checkpoint")


def test_checkpoint_signed_by_another_key(tmp_path: Path) -> None:
    log = _log(tmp_path, checkpoint_after=3)
    events, cp = _checkpoint(log)
    msg = checkpoint_message("ws-test", cp["seq"] - 1, cp["prev"])
    cp["details"]["signature"] = signature_to_text(SigningKey.generate().sign(msg))
    _rehash(cp)  # the attacker recomputes the line hash; chain and head then fail first...
    _write(log, events)
    with pytest.raises(IntegrityError):
        log.verify(TRUSTED)
    # ...so fix the chain and head too: what remains is the signature
    for i in range(cp["seq"], len(events)):
        events[i]["prev"] = events[i - 1]["hash"]
        _rehash(events[i])
    _write(log, events)
    _write_head(log, events[-1])
    _refused(log, "seq 4", "signature does not verify", "forged")


def test_checkpoint_with_a_flipped_signature_byte(tmp_path: Path) -> None:
    log = _log(tmp_path, checkpoint_after=6)
    events, cp = _checkpoint(log)
    sig = cp["details"]["signature"]
    cp["details"]["signature"] = ("B" if sig[0] == "A" else "A") + sig[1:]
    _rehash(cp)
    _write(log, events)
    _write_head(log, cp)
    _refused(log, "seq 7", "forged")


def test_checkpoint_replayed_from_another_workspace(tmp_path: Path) -> None:
    log = _log(tmp_path, checkpoint_after=6)
    events, cp = _checkpoint(log)
    msg = checkpoint_message("ws-other", cp["seq"] - 1, cp["prev"])
    cp["details"]["signature"] = signature_to_text(KEY.sign(msg))
    _rehash(cp)
    _write(log, events)
    _write_head(log, cp)
    _refused(log, "seq 7", "forged")


def test_checkpoint_by_an_untrusted_signer(tmp_path: Path) -> None:
    log = _log(tmp_path, checkpoint_after=2)
    with pytest.raises(IntegrityError, match=r"seq 3.*not a trusted key"):
        log.verify({"olga": SigningKey.generate().public_b64})  # signed by claire
    with pytest.raises(IntegrityError, match="not a trusted key"):
        log.verify({})


def test_checkpoint_under_a_trusted_name_with_another_key(tmp_path: Path) -> None:
    mallory = SigningKey.generate()
    log = AuditLog(tmp_path / "audit", "ws-test")
    log.append(T0, "olga", "olga", "h", "extract")
    log.checkpoint(T0, "mallory", "m", "h", "claire", mallory)  # claims to be claire
    _refused(log, "seq 2", "not the trusted key")


def test_checkpoint_that_signs_another_head(tmp_path: Path) -> None:
    log = _log(tmp_path, checkpoint_after=6)
    events, cp = _checkpoint(log)
    cp["details"]["head_seq"] = 3  # a real signature over an older head, moved later
    msg = checkpoint_message("ws-test", 3, events[2]["hash"])
    cp["details"]["head_hash"] = events[2]["hash"]
    cp["details"]["signature"] = signature_to_text(KEY.sign(msg))
    _rehash(cp)
    _write(log, events)
    _write_head(log, cp)
    _refused(log, "seq 7", "does not sign the event before it")


def test_forged_checkpoint_written_through_append_is_refused(tmp_path: Path) -> None:
    log = _log(tmp_path)
    with pytest.raises(Exception, match="written by the audit log itself"):
        log.append(T0, "olga", "o", "h", "audit.checkpoint", details={"signer": "claire"})


def test_garbage_line(tmp_path: Path) -> None:
    log = _log(tmp_path)
    raw = (log.root / "audit.jsonl").read_bytes().splitlines()
    raw[3] = b'{"seq": 4, "seq": 4}'
    (log.root / "audit.jsonl").write_bytes(b"\n".join(raw) + b"\n")
    _refused(log, "line 4", "not valid JSON")
