"""Retention: removing events older than the retention window without breaking verification.

The default window is one year. The CNIL's recommendation on logging (délibération n° 2021-122
du 14 octobre 2021 portant adoption d'une recommandation relative à la journalisation, JORF of
30 October 2021) advises keeping access and action logs between six months and one year:
long enough to detect and investigate misuse, short enough not to pile up data about the staff
who are logged. The caller chooses the window; Ariane only refuses a non-positive one.

How a prune keeps the log verifiable, all under the exclusive lock:
1. the whole log is verified first, so that pruning can never launder an edited prefix away;
2. an `audit.prune` event is appended to the chain (who, when, {pruned_count, last_pruned_seq,
   last_pruned_hash, cutoff}), so the prune itself is chained and later checkpoints cover it;
3. the file is atomically replaced by an `audit.pruned` header followed by the kept events. The
   header takes the place of the last pruned event (its seq and prev, different content) and
   repeats the record's details; verification resumes the chain from last_pruned_seq and
   last_pruned_hash, and requires the header to match a chained audit.prune record, so cutting
   more events off the start than a prune did still shows.
A crash between 2 and 3 leaves the full log plus the record: it still verifies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ariane.audit.chain import ChainVerifier
from ariane.audit.event import PRUNE_ACTION, PRUNED_ACTION, Event, format_at, seal_event
from ariane.audit.storage import Head, Store, iter_lines
from ariane.errors import UsageError

DEFAULT_KEEP = dt.timedelta(days=365)

AppendLocked = Callable[[Callable[[Head], dict[str, Any]]], Event]
BodyOf = Callable[[Head, str, Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class _Plan:
    count: int  # events removed (the previous header, if any, is not counted)
    drop_lines: int  # leading lines removed, previous header included
    last: Event  # the last removed event


def _plan(store: Store, workspace_id: str, trusted: Mapping[str, str] | None,
          cutoff: dt.datetime) -> _Plan | None:  # fmt: skip
    """Verify the whole log and find its longest prefix of events older than `cutoff`."""
    verifier = ChainVerifier(workspace_id, trusted)
    count, drop, last, in_prefix = 0, 0, None, True
    with store.snapshot(lock=False) as snap:
        for lineno, line in iter_lines(snap.file, snap.size):
            event = verifier.feed(line, lineno)
            if event.action == PRUNED_ACTION:
                continue  # the previous header goes with the first pruned event
            # A prefix only: the chain stays contiguous even if some clock once went backwards.
            in_prefix = in_prefix and event.at < cutoff
            if in_prefix:
                count, drop, last = count + 1, lineno, event
        if snap.file is not None or snap.head is not None:
            verifier.finish(snap.head)
    return _Plan(count, drop, last) if last is not None else None


def _kept(store: Store, header: bytes, drop_lines: int) -> Iterator[bytes]:
    yield header
    with store.snapshot(lock=False) as snap:
        for lineno, line in iter_lines(snap.file, snap.size):
            if lineno > drop_lines:
                yield line


def prune(
    store: Store,
    workspace_id: str,
    append_locked: AppendLocked,
    body_of: BodyOf,
    now: dt.datetime,
    keep: dt.timedelta,
    trusted_keys: Mapping[str, str] | None,
) -> int:
    """Remove the events older than `now - keep`; return how many were removed."""
    if not isinstance(keep, dt.timedelta) or keep <= dt.timedelta(0):
        raise UsageError("audit retention must be a positive duration")
    cutoff = dt.datetime.fromisoformat(format_at(now)) - keep
    with store.locked(exclusive=True):
        plan = _plan(store, workspace_id, trusted_keys, cutoff)
        if plan is None:
            return 0
        details = {
            "pruned_count": plan.count,
            "last_pruned_seq": plan.last.seq,
            "last_pruned_hash": plan.last.hash,
            "cutoff": format_at(cutoff),
        }
        append_locked(lambda head: body_of(head, PRUNE_ACTION, details))
        standin = Head(plan.last.seq - 1, plan.last.prev)  # the header sits where `last` was
        _, header = seal_event(body_of(standin, PRUNED_ACTION, details))
        store.replace_log(_kept(store, header, plan.drop_lines))
    return plan.count
