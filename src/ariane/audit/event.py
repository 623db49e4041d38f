"""One audit event: its fields, their structural limits, and its canonical line and hash.

The limits are the log's structural guard against personal data: callers put ids, counts and
digests in `details`, and anything shaped like a value (a long string, an arbitrary object) is
refused rather than written. Bad arguments raise UsageError; a stored line that breaks the same
rules was not written by this code, so `parse_line` reports it as an IntegrityError.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from ariane.crypto.digest import canonical_json, sha256_hex
from ariane.errors import InputError, IntegrityError, UsageError

ZERO_HASH = "0" * 64
OUTCOMES = ("ok", "refused", "error")
CHECKPOINT_ACTION = "audit.checkpoint"
PRUNED_ACTION = "audit.pruned"  # the header line that stands for a pruned prefix
PRUNE_ACTION = "audit.prune"  # the chained record of a prune, at the end of the log
RESERVED_ACTIONS = frozenset({CHECKPOINT_ACTION, PRUNED_ACTION, PRUNE_ACTION})
ANONYMOUS = "-"

MAX_STRING = 512
MAX_DEPTH = 8
MAX_LINE = 64 * 1024
MAX_INT = 2**53 - 1  # beyond this, JSON numbers lose precision in other readers

FIELDS = (
    "seq", "at", "who", "os_user", "host", "action", "outcome",
    "manifest", "package", "details", "alert", "prev", "hash",
)  # fmt: skip

# Identifiers start with a letter, digit or '_' (a lone '-' means "unknown"): besides being
# names, that keeps a CSV export free of cells a spreadsheet would run as a formula (=, +, -, @).
_WHO = re.compile(r"^(-|[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63})$")
_ORIGIN = re.compile(r"^(-|[A-Za-z0-9_][A-Za-z0-9_.@$:+-]{0,127})$")  # os user, host
_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:+-]{0,127}$")  # manifest and package ids
_ACTION = re.compile(r"^[a-z][a-z0-9_-]{0,31}(\.[a-z][a-z0-9_-]{0,31}){0,5}$")
_ALERT = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:/@+-]{0,127}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _bad(what: str) -> NoReturn:
    raise UsageError(f"audit event: {what}")


def check_text(name: str, value: object, pattern: re.Pattern[str]) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        _bad(f"{name} is malformed (see ariane.audit.event for the allowed form)")
    return value


def check_optional(name: str, value: object, pattern: re.Pattern[str]) -> str | None:
    return None if value is None else check_text(name, value, pattern)


def check_hash(name: str, value: object) -> str:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        _bad(f"{name} must be 64 lowercase hex digits")
    return value


def check_seq(value: object) -> int:
    if type(value) is not int or not 1 <= value <= MAX_INT:
        _bad("seq must be a positive integer")
    return value


def format_at(now: dt.datetime) -> str:
    """The one textual form of a time in the log: UTC, microseconds, '+00:00'."""
    if not isinstance(now, dt.datetime) or now.tzinfo is None or now.utcoffset() is None:
        _bad("time must be an aware datetime")
    return now.astimezone(dt.UTC).isoformat(timespec="microseconds")


def parse_at(text: object) -> dt.datetime:
    if not isinstance(text, str):
        _bad("at must be a string")
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        _bad("at is not an ISO 8601 time")
    if at.tzinfo is None or format_at(at) != text:
        _bad("at is not in the log's UTC form")
    return at


def check_details(details: object, path: str = "details", depth: int = 0) -> Any:
    """Return a JSON copy of `details` after checking its shape; refuse what looks like a value."""
    if depth > MAX_DEPTH:
        _bad(f"{path} is nested deeper than {MAX_DEPTH} levels")
    if details is None or isinstance(details, bool):
        return details
    if isinstance(details, int):
        if abs(details) > MAX_INT:
            _bad(f"{path} is an integer beyond 2**53")
        return details
    if isinstance(details, float):
        if details != details or details in (float("inf"), float("-inf")):
            _bad(f"{path} is not a finite number")
        return details
    if isinstance(details, str):
        if len(details) > MAX_STRING:
            _bad(f"{path} is a string longer than {MAX_STRING} characters")
        return details
    if isinstance(details, list | tuple):
        return [check_details(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(details)]
    if isinstance(details, Mapping):
        out: dict[str, Any] = {}
        for key, value in details.items():
            if not isinstance(key, str) or not _KEY.fullmatch(key):
                _bad(f"{path} has a key that is not a short identifier")
            out[key] = check_details(value, f"{path}.{key}", depth + 1)
        return out
    # Objects, bytes, dates...: the log holds ids, counts and digests, nothing else.
    _bad(f"{path} holds a {type(details).__name__}, not a JSON scalar, list or object")


def event_hash(body: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the event without its `hash` key."""
    return sha256_hex(canonical_json({k: v for k, v in body.items() if k != "hash"}))


@dataclass(frozen=True)
class Event:
    """One line of the log. Build events through `AuditLog`; read them through `parse_line`."""

    seq: int
    at: dt.datetime
    who: str
    os_user: str
    host: str
    action: str
    outcome: str
    manifest: str | None
    package: str | None
    details: Mapping[str, Any] = field(hash=False)
    alert: str | None
    prev: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        """The event as stored (a fresh copy: changing it changes nothing in the event)."""
        data: dict[str, Any] = {
            "seq": self.seq, "at": format_at(self.at), "who": self.who,
            "os_user": self.os_user, "host": self.host, "action": self.action,
            "outcome": self.outcome, "manifest": self.manifest, "package": self.package,
            "details": json.loads(json.dumps(self.details)), "alert": self.alert,
            "prev": self.prev, "hash": self.hash,
        }  # fmt: skip
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """Check every field (UsageError) and build the event; `hash` is not recomputed here."""
        if not isinstance(data, Mapping) or set(data) != set(FIELDS):
            _bad("missing or unknown fields")
        outcome = data["outcome"]
        if outcome not in OUTCOMES:
            _bad("outcome must be ok, refused or error")
        details = data["details"]
        if not isinstance(details, Mapping):
            _bad("details must be an object")
        return cls(
            seq=check_seq(data["seq"]),
            at=parse_at(data["at"]),
            who=check_text("who", data["who"], _WHO),
            os_user=check_text("os_user", data["os_user"], _ORIGIN),
            host=check_text("host", data["host"], _ORIGIN),
            action=check_text("action", data["action"], _ACTION),
            outcome=outcome,
            manifest=check_optional("manifest", data["manifest"], _ID),
            package=check_optional("package", data["package"], _ID),
            details=check_details(details),
            alert=check_optional("alert", data["alert"], _ALERT),
            prev=check_hash("prev", data["prev"]),
            hash=check_hash("hash", data["hash"]),
        )


def seal_event(body: Mapping[str, Any]) -> tuple[Event, bytes]:
    """Add the hash to an event body (all fields but `hash`); return the event and its line."""
    data = {**body, "hash": ZERO_HASH}
    Event.from_dict(data)  # validate before hashing: a bad field is the caller's error
    data["hash"] = event_hash(data)
    line = canonical_json(data)
    if len(line) > MAX_LINE:
        _bad(f"event is longer than {MAX_LINE} bytes")
    # Re-read what will be stored, so the returned event equals what `events()` yields later.
    return Event.from_dict(json.loads(line)), line


def _no_constant(name: str) -> NoReturn:
    raise ValueError(name)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate key")
    return out


def parse_line(line: bytes, lineno: int | None) -> Event:
    """Parse and check one stored line: strict JSON, canonical form, valid fields, right hash.

    `lineno` names the line in errors (None: the file's last line, read from its end)."""
    label = f"audit log line {lineno}" if lineno is not None else "audit log's last line"
    try:
        data = json.loads(line, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError):
        raise IntegrityError(f"{label} is not valid JSON") from None
    seq = data.get("seq") if isinstance(data, dict) else None
    where = label + (f" (seq {seq})" if type(seq) is int else "")
    try:
        event = Event.from_dict(data)
    except UsageError as exc:
        raise IntegrityError(f"{where} is malformed: {exc.message}") from None
    try:
        canonical = canonical_json(data)
    except InputError:  # e.g. a lone surrogate: not something this code writes
        canonical = b""
    if canonical != line:
        raise IntegrityError(f"{where} is not in canonical form: edited")
    if event_hash(data) != event.hash:
        raise IntegrityError(f"{where}: hash does not match its content: edited")
    return event
