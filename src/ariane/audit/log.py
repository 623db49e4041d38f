"""`AuditLog`: the append-only, hash-chained, signed event log of one workspace.

Every command appends one event, success or refusal: who (account, or "-" when unknown), from
which OS user and host, what, on which manifest or package, and ids, counts and digests in
`details` — never a patient value. Each event carries the hash of the one before it; at each
procedure transition the acting person signs a checkpoint over the head with the key they just
unlocked. `verify` finds any edited, deleted, inserted, reordered or truncated event.

The library reads no clock and no environment: the caller passes `now`, the OS user and the host.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ariane.audit import export, retention
from ariane.audit.alerts import REFUSED_COMMAND
from ariane.audit.chain import ChainVerifier, VerifyReport
from ariane.audit.checkpoint import checkpoint_details
from ariane.audit.event import (
    CHECKPOINT_ACTION,
    RESERVED_ACTIONS,
    Event,
    check_details,
    format_at,
    parse_line,
    seal_event,
)
from ariane.audit.storage import EMPTY_HEAD, Head, Store, iter_lines
from ariane.crypto.sign import SigningKey
from ariane.errors import IntegrityError, UsageError

_WORKSPACE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")


def _utc(name: str, value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime) or value.utcoffset() is None:
        raise UsageError(f"{name} must be an aware datetime")
    return value


class AuditLog:
    """The log under `root` (a directory of its own: audit.jsonl, head.json, audit.lock)."""

    def __init__(self, root: Path, workspace_id: str) -> None:
        if not isinstance(workspace_id, str) or not _WORKSPACE_ID.fullmatch(workspace_id):
            raise UsageError("workspace id must be 1-128 letters, digits, '.', '_', ':' or '-'")
        self.root = Path(root)
        self.workspace_id = workspace_id
        self._store = Store(self.root, workspace_id)

    # --- writing ----------------------------------------------------------------------------
    def append(
        self,
        now: dt.datetime,
        who: str,
        os_user: str,
        host: str,
        action: str,
        outcome: str = "ok",
        manifest: str | None = None,
        package: str | None = None,
        details: Mapping[str, Any] | None = None,
        alert: str | None = None,
    ) -> Event:
        """Append one event (fsynced, then head.json rewritten) and return it.

        A refused outcome without an alert code is recorded as a REFUSED_COMMAND alert.
        UsageError for a reserved action or a field outside its structural limits.
        """
        if action in RESERVED_ACTIONS:
            raise UsageError(f"audit action {action} is written by the audit log itself")
        if outcome == "refused" and alert is None:
            alert = REFUSED_COMMAND
        at, body_details = format_at(now), check_details({} if details is None else details)
        if not isinstance(body_details, dict):
            raise UsageError("audit event: details must be a mapping")
        return self._append(
            lambda head: self._body(
                head,
                at,
                action,
                body_details,
                who=who,
                os_user=os_user,
                host=host,
                outcome=outcome,
                manifest=manifest,
                package=package,
                alert=alert,
            )
        )

    def checkpoint(
        self,
        now: dt.datetime,
        who: str,
        os_user: str,
        host: str,
        signer_name: str,
        signing_key: SigningKey,
    ) -> Event:
        """Sign the current head with `signing_key` and append it as an audit.checkpoint event.

        The head is read and signed under the same lock as the append, so the checkpoint always
        covers exactly the event before it.
        """
        if not isinstance(signing_key, SigningKey):
            raise UsageError("checkpoint needs a SigningKey")
        at = format_at(now)

        def build(head: Head) -> dict[str, Any]:
            details = checkpoint_details(
                self.workspace_id, head.seq, head.hash, signer_name, signing_key
            )
            return self._body(
                head, at, CHECKPOINT_ACTION, details, who=who, os_user=os_user, host=host
            )

        return self._append(build)

    def prune(
        self,
        now: dt.datetime,
        keep: dt.timedelta = retention.DEFAULT_KEEP,
        *,
        who: str = "-",
        os_user: str = "-",
        host: str = "-",
        trusted_keys: Mapping[str, str] | None = None,
    ) -> int:
        """Remove the events older than `now - keep` (default 365 days, the upper end of the
        CNIL's 6-month-to-1-year recommendation; see `ariane.audit.retention`) and return how
        many were removed. The log is verified first, checkpoint signatures too when
        `trusted_keys` is given; a broken log is never pruned (IntegrityError)."""
        at = format_at(now)

        def body_of(head: Head, action: str, details: Mapping[str, Any]) -> dict[str, Any]:
            return self._body(head, at, action, dict(details), who=who, os_user=os_user, host=host)

        return retention.prune(
            self._store, self.workspace_id, self._append_locked, body_of, now, keep, trusted_keys
        )

    @staticmethod
    def _body(head: Head, at: str, action: str, details: dict[str, Any], *, who: str,
              os_user: str, host: str, outcome: str = "ok", manifest: str | None = None,
              package: str | None = None, alert: str | None = None) -> dict[str, Any]:  # fmt: skip
        return {
            "seq": head.seq + 1, "at": at, "who": who, "os_user": os_user, "host": host,
            "action": action, "outcome": outcome, "manifest": manifest, "package": package,
            "details": details, "alert": alert, "prev": head.hash,
        }  # fmt: skip

    def _append(self, build: Callable[[Head], dict[str, Any]]) -> Event:
        with self._store.locked(exclusive=True):
            return self._append_locked(build)

    def _append_locked(self, build: Callable[[Head], dict[str, Any]]) -> Event:
        head = self._current_head()
        event, line = seal_event(build(head))
        self._store.append_line(line)
        self._store.write_head(Head(event.seq, event.hash))
        return event

    def _current_head(self) -> Head:
        """The head to chain onto, after checking that the file really ends on it: appending to
        a log that no longer matches its head would bury the evidence under new events."""
        head = self._store.read_head()
        raw = self._store.last_line()
        if raw is None:
            if head is not None:
                raise IntegrityError(
                    f"audit log is truncated: head.json records seq {head.seq}, the log is "
                    "empty; nothing appended"
                )
            return EMPTY_HEAD
        last = parse_line(raw, None)
        if head is None or (last.seq, last.hash) != (head.seq, head.hash):
            raise IntegrityError(
                f"audit log's last event (seq {last.seq}) is not the one head.json records: "
                "run `ariane audit verify`; nothing appended"
            )
        return head

    # --- reading ----------------------------------------------------------------------------
    def events(self) -> Iterator[Event]:
        """Every event in order, each line parsed and hash-checked (the links are not: verify)."""
        with self._store.snapshot() as snap:
            for lineno, line in iter_lines(snap.file, snap.size):
                yield parse_line(line, lineno)

    def verify(self, trusted_keys: Mapping[str, str]) -> VerifyReport:
        """Check the whole log (see `ariane.audit.chain`); raise IntegrityError naming the first
        bad line, or UsageError when there is no log at all. `trusted_keys` maps a signer name
        to its base64 Ed25519 public key."""
        with self._store.snapshot() as snap:
            if snap.file is None and snap.head is None:
                raise UsageError(f"no audit log in {self.root}")
            verifier = ChainVerifier(self.workspace_id, trusted_keys)
            for lineno, line in iter_lines(snap.file, snap.size):
                verifier.feed(line, lineno)
            return verifier.finish(snap.head)

    def show(
        self,
        who: str | None = None,
        manifest: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        action: str | None = None,
    ) -> list[Event]:
        """Events matching every given filter: `since <= at < until`; `action` matches itself
        and its dotted children ("manifest" matches "manifest.approve")."""
        start, end = _utc("since", since), _utc("until", until)
        return [
            e for e in self.events()
            if (who is None or e.who == who)
            and (manifest is None or e.manifest == manifest)
            and (start is None or e.at >= start)
            and (end is None or e.at < end)
            and (action is None or e.action == action or e.action.startswith(action + "."))
        ]  # fmt: skip

    def alerts(self, since: dt.datetime | None = None) -> list[Event]:
        """Events carrying an alert code, oldest first."""
        start = _utc("since", since)
        return [
            e for e in self.events() if e.alert is not None and (start is None or e.at >= start)
        ]

    def export_json(self, path: Path, events: list[Event] | None = None) -> int:
        """Write `events` (default: all) as a JSON document; return the count."""
        return export.write_json(path, self.workspace_id, self._or_all(events))

    def export_csv(self, path: Path, events: list[Event] | None = None) -> int:
        """Write `events` (default: all) as CSV, details as canonical JSON; return the count."""
        return export.write_csv(path, self._or_all(events))

    def _or_all(self, events: list[Event] | None) -> list[Event]:
        return list(self.events()) if events is None else events
