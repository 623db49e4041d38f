"""Account names: one person, one account, so names that invite sharing are refused.

A name is `^[a-z][a-z0-9._-]{2,40}$`. Generic names (admin, root, migration, shared, test, the
role names...) and those names followed only by digits (admin1, test-42) are refused: in the
incident, the server was reached through accounts shared by several employees.
"""

from __future__ import annotations

import re

from ariane.errors import UsageError

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{2,40}$")

GENERIC_NAMES: frozenset[str] = frozenset(
    {
        "admin",
        "administrator",
        "root",
        "migration",
        "shared",
        "test",
        "demo",
        "user",
        "guest",
        "operator",
        "controller",
        "recipient",
        "auditor",
        "service",
        "system",
        "support",
        "lab",
        "labo",
    }
)

_TRAILING_DIGITS = re.compile(r"[._-]?[0-9]+$")  # admin1, admin.1, test-42


def check_name_syntax(name: str) -> str:
    """UsageError unless `name` matches the pattern (also keeps it safe as a file name)."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise UsageError("account name must match ^[a-z][a-z0-9._-]{2,40}$")
    return name


def check_new_name(name: str) -> str:
    """A name acceptable for a new account: the syntax, and not a generic or shared name."""
    check_name_syntax(name)
    if _TRAILING_DIGITS.sub("", name) in GENERIC_NAMES:
        raise UsageError(f"account name {name} is generic: one account per person, by name")
    return name
