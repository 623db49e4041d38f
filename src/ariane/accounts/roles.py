"""The five roles of DESIGN §2 and the rules on combining them.

`admin` manages accounts and roles and has no access to data, so it is never combined with
another role on the same account: an administrator who could also operate, approve or load
could grant themselves what they then use.
"""

from __future__ import annotations

from collections.abc import Iterable

from ariane.errors import PolicyError, UsageError

ROLES: tuple[str, ...] = ("controller", "operator", "recipient", "auditor", "admin")

# Roles whose account must have a second factor (issue 3): they approve, extract or manage.
SECOND_FACTOR_ROLES: frozenset[str] = frozenset({"controller", "operator", "admin"})


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
    return role


def check_roles(roles: Iterable[str]) -> frozenset[str]:
    """A non-empty set of known roles, `admin` alone; UsageError / PolicyError otherwise."""
    if isinstance(roles, str):
        raise UsageError("roles must be a collection of role names, not one string")
    chosen = frozenset(check_role(r) for r in roles)
    if not chosen:
        raise UsageError("an account needs at least one role")
    if "admin" in chosen and len(chosen) > 1:
        raise PolicyError("role admin cannot be combined with another role (no access to data)")
    return chosen


def needs_second_factor(roles: Iterable[str]) -> bool:
    return any(r in SECOND_FACTOR_ROLES for r in roles)
