"""Alert codes, and the small decisions that pick one, so that every caller decides alike.

An alert is an ordinary event whose `alert` field is set; `AuditLog.alerts()` lists them for the
top of `ariane status`. A refused outcome is always an alert (REFUSED_COMMAND unless the caller
names a more specific code), so a caller cannot forget one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from ariane.audit.event import Event, format_at

FAILED_LOGINS = "failed-logins"
REFUSED_COMMAND = "refused-command"
EXTRACT_EXCEEDS_DRY_RUN = "extract-exceeds-dry-run"
AFTER_DELETION_DATE = "after-deletion-date"
CONCURRENT_USE = "concurrent-use"
AGREEMENT_OVERRIDE = "agreement-override"  # a controller approves without a complete agreement
KNOWN_ALERTS = frozenset(
    {
        FAILED_LOGINS,
        REFUSED_COMMAND,
        EXTRACT_EXCEEDS_DRY_RUN,
        AFTER_DELETION_DATE,
        CONCURRENT_USE,
        AGREEMENT_OVERRIDE,
    }
)

FAILED_LOGIN_THRESHOLD = 3
FAILED_LOGIN_WINDOW = dt.timedelta(minutes=15)


def recent_failures(
    events: Iterable[Event], who: str, now: dt.datetime,
    window: dt.timedelta = FAILED_LOGIN_WINDOW, action: str = "login",
) -> int:  # fmt: skip
    """Refused `action` events by `who` within `window` before `now`."""
    since = dt.datetime.fromisoformat(format_at(now)) - window
    return sum(
        1 for e in events
        if e.action == action and e.who == who and e.outcome == "refused" and e.at >= since
    )  # fmt: skip


def failed_login_alert(previous_failures: int, threshold: int = FAILED_LOGIN_THRESHOLD) -> str:
    """The alert for one more failed login: FAILED_LOGINS from the threshold on."""
    return FAILED_LOGINS if previous_failures + 1 >= threshold else REFUSED_COMMAND


def extract_alert(dry_run_rows: Mapping[str, int], extracted_rows: Mapping[str, int]) -> str | None:
    """EXTRACT_EXCEEDS_DRY_RUN when any entity extracted more rows than its dry run counted
    (an entity absent from the dry run counts as zero)."""
    over = any(n > dry_run_rows.get(entity, 0) for entity, n in extracted_rows.items())
    return EXTRACT_EXCEEDS_DRY_RUN if over else None


def deletion_date_alert(now: dt.datetime, delete_by: dt.date) -> str | None:
    """AFTER_DELETION_DATE for any access on a UTC day after the manifest's `delete_by`."""
    today = dt.datetime.fromisoformat(format_at(now)).date()
    return AFTER_DELETION_DATE if today > delete_by else None
