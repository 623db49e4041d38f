"""Append-only, hash-chained, signed audit log of a workspace (issue 3, items 5 and 6).

```
<root>/audit.jsonl   one RFC 8785 canonical JSON event per line:
                     {seq, at, who, os_user, host, action, outcome, manifest, package,
                      details, alert, prev, hash}
                     prev = hash of the event before (64 zeros for seq 1),
                     hash = SHA-256 of the canonical JSON of the event without `hash`
<root>/head.json     {format, workspace_id, seq, hash} of the last event, rewritten atomically
<root>/audit.lock    flock target serialising writers
```
Checkpoints (`audit.checkpoint`) carry an Ed25519 signature over {format, workspace_id,
head_seq, head_hash}; retention (`audit.prune` + an `audit.pruned` header) is in `retention`.
"""

from ariane.audit.alerts import (
    AFTER_DELETION_DATE,
    CONCURRENT_USE,
    EXTRACT_EXCEEDS_DRY_RUN,
    FAILED_LOGINS,
    KNOWN_ALERTS,
    REFUSED_COMMAND,
)
from ariane.audit.chain import VerifyReport
from ariane.audit.event import ANONYMOUS, Event
from ariane.audit.log import AuditLog
from ariane.audit.retention import DEFAULT_KEEP

__all__ = [
    "AFTER_DELETION_DATE",
    "ANONYMOUS",
    "CONCURRENT_USE",
    "DEFAULT_KEEP",
    "EXTRACT_EXCEEDS_DRY_RUN",
    "FAILED_LOGINS",
    "KNOWN_ALERTS",
    "REFUSED_COMMAND",
    "AuditLog",
    "Event",
    "VerifyReport",
]
