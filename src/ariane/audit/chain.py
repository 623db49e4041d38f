"""Verification of the chain, one line at a time, and the report it returns.

Each line must parse, be canonical and carry the hash of its own content (else: edited); its seq
must follow the previous one and its `prev` must be the previous hash (else: deleted, inserted or
reordered); the last event must be the one head.json records (else: truncated, or appended by
hand); each checkpoint must be signed by a trusted key over the event before it (else: forged).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ariane.audit.checkpoint import verify_checkpoint
from ariane.audit.event import (
    CHECKPOINT_ACTION,
    PRUNE_ACTION,
    PRUNED_ACTION,
    ZERO_HASH,
    Event,
    parse_line,
)
from ariane.audit.storage import Head
from ariane.crypto.sign import check_public_b64
from ariane.errors import InputError, IntegrityError, UsageError

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
PRUNE_KEYS = frozenset({"pruned_count", "last_pruned_seq", "last_pruned_hash", "cutoff"})


@dataclass(frozen=True)
class VerifyReport:
    """What a verified log holds. `unsigned_tail` counts the events after the last checkpoint:
    those are protected by the chain and head.json only, not by a signature."""

    events: int
    first_seq: int
    head_seq: int
    head_hash: str
    checkpoints: int
    last_checkpoint_seq: int | None
    signers: tuple[str, ...]
    alerts: int
    pruned_through: int  # events 1..pruned_through were removed by retention (0: none)
    unsigned_tail: int


def _anchor(details: Mapping[str, Any]) -> tuple[int, str] | None:
    """(last_pruned_seq, last_pruned_hash) of prune details, or None when malformed."""
    if set(details) != PRUNE_KEYS:
        return None
    seq, digest, count = (details[k] for k in ("last_pruned_seq", "last_pruned_hash",
                                                  "pruned_count"))  # fmt: skip
    if type(seq) is not int or type(count) is not int or seq < 1 or count < 1:
        return None
    if not isinstance(digest, str) or not _HEX64.fullmatch(digest) or digest == ZERO_HASH:
        return None
    return seq, digest


def _checked_keys(trusted_keys: Mapping[str, str]) -> dict[str, str]:
    """A malformed trusted key is the caller's configuration, not the log's fault."""
    if not isinstance(trusted_keys, Mapping):
        raise UsageError("trusted_keys must map signer names to public keys")
    try:
        return {str(name): check_public_b64(key) for name, key in trusted_keys.items()}
    except InputError:
        raise UsageError("a trusted audit key is not a valid Ed25519 public key") from None


class ChainVerifier:
    """Feed it the lines in order, then `finish` with the head. Without `trusted_keys`, checkpoint
    signatures are not checked (used to refuse pruning a broken log without needing keys)."""

    def __init__(self, workspace_id: str, trusted_keys: Mapping[str, str] | None) -> None:
        self._workspace_id = workspace_id
        self._trusted = None if trusted_keys is None else _checked_keys(trusted_keys)
        self._next_seq = 1
        self._next_prev = ZERO_HASH
        self._last: Event | None = None
        self._first_seq = 0
        self._lines = 0
        self._checkpoints = 0
        self._last_checkpoint: int | None = None
        self._signers: set[str] = set()
        self._alerts = 0
        self._header: tuple[int, str] | None = None
        self._prune_records: set[tuple[int, str]] = set()

    def feed(self, line: bytes, lineno: int) -> Event:
        event = parse_line(line, lineno)
        where = f"audit log line {lineno} (seq {event.seq})"
        self._lines += 1
        if event.action == PRUNED_ACTION:
            self._start_after_header(event, lineno, where)
        else:
            self._check_link(event, lineno, where)
            if event.action == CHECKPOINT_ACTION:
                self._checkpoints += 1
                self._last_checkpoint = event.seq
                if self._trusted is not None:
                    name = verify_checkpoint(event, self._workspace_id, self._trusted, where)
                    self._signers.add(name)
            elif event.action == PRUNE_ACTION:
                anchor = _anchor(event.details)
                if anchor is None:
                    raise IntegrityError(f"{where}: audit.prune details are malformed")
                self._prune_records.add(anchor)
        if lineno == 1:
            self._first_seq = event.seq
        if event.alert is not None:
            self._alerts += 1
        self._last = event
        return event

    def _start_after_header(self, event: Event, lineno: int, where: str) -> None:
        """A retention header stands for the pruned prefix: the chain resumes from its anchor."""
        if lineno != 1:
            raise IntegrityError(f"{where}: an audit.pruned header inside the log: inserted")
        anchor = _anchor(event.details)
        if anchor is None or anchor[0] != event.seq:
            raise IntegrityError(f"{where}: audit.pruned header is malformed")
        self._header = anchor
        self._next_seq, self._next_prev = anchor[0] + 1, anchor[1]

    def _check_link(self, event: Event, lineno: int, where: str) -> None:
        if lineno == 1 and event.seq != 1:
            raise IntegrityError(
                f"{where}: the log does not start at seq 1 and has no audit.pruned header: "
                "events deleted"
            )
        if event.seq > self._next_seq:
            raise IntegrityError(
                f"{where}: seq {self._next_seq} is missing: event deleted or lines reordered"
            )
        if event.seq < self._next_seq:
            raise IntegrityError(
                f"{where}: expected seq {self._next_seq}: event inserted or lines reordered"
            )
        if event.prev != self._next_prev:
            raise IntegrityError(
                f"{where}: prev is not the hash of the event before it: "
                "event inserted, replaced or reordered"
            )
        self._next_seq, self._next_prev = event.seq + 1, event.hash

    def finish(self, head: Head | None) -> VerifyReport:
        last = self._last
        if self._header is not None and self._header not in self._prune_records:
            # The header must repeat a chained audit.prune record: otherwise anyone could cut
            # the start of the log and write a header for what is left.
            raise IntegrityError(
                f"audit log line 1 (seq {self._header[0]}): audit.pruned header matches no "
                "audit.prune record in the chain: events deleted"
            )
        if last is None:
            if head is not None:
                raise IntegrityError(
                    f"audit log is truncated: head.json records seq {head.seq}, the log is empty"
                )
            raise IntegrityError("audit log is empty and has no head.json")
        if head is None:
            raise IntegrityError(f"audit head.json is missing (the log ends at seq {last.seq})")
        if head.seq > last.seq:
            raise IntegrityError(
                f"audit log is truncated: head.json records seq {head.seq}, "
                f"the log ends at seq {last.seq}"
            )
        if head.seq < last.seq:
            raise IntegrityError(
                f"audit log seq {head.seq + 1}: events after the recorded head "
                f"(seq {head.seq}): appended by hand, or the writer stopped before updating it"
            )
        if head.hash != last.hash:
            raise IntegrityError(f"audit log seq {last.seq}: not the event head.json records")
        signed_through = self._last_checkpoint or 0
        return VerifyReport(
            events=self._lines,
            first_seq=self._first_seq,
            head_seq=last.seq,
            head_hash=last.hash,
            checkpoints=self._checkpoints,
            last_checkpoint_seq=self._last_checkpoint,
            signers=tuple(sorted(self._signers)),
            alerts=self._alerts,
            pruned_through=self._header[0] if self._header else 0,
            unsigned_tail=last.seq - signed_through if signed_through else self._lines,
        )
