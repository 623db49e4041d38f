"""Data-category taxonomy (DESIGN.md §4).

A category says how personal a field (or a result row) is. Scope rules, dry-run reports and the
compliance documents all speak in these terms, never in source column names.
"""

from __future__ import annotations

from typing import Final

IDENTIFIER: Final = "identifier"  # technical key linking records (patient id, request number)
IDENTITY_DIRECT: Final = "identity.direct"  # names, NIR/INS
IDENTITY_QUASI: Final = "identity.quasi"  # birth date, sex, postal code
CONTACT: Final = "contact"  # address, phone, e-mail
PROFESSIONAL: Final = "professional"  # a practitioner's identity (names, RPPS)
HEALTH_CONTEXT: Final = "health.context"  # dates, sites, statuses around an analysis
HEALTH_RESULT: Final = "health.result"  # an analyte result
FREE_TEXT: Final = "free_text"  # comments: may hold anything
CREDENTIAL: Final = "credential"  # passwords, hashes: never migratable

SENSITIVE_PREFIX: Final = "health.sensitive."
SENSITIVE_CLASSES: Final = (
    "hiv",
    "sti",
    "hepatitis",
    "genetic",
    "prenatal",
    "oncology",
    "toxicology",
)

FIELD_CATEGORIES: Final = frozenset(
    {
        IDENTIFIER,
        IDENTITY_DIRECT,
        IDENTITY_QUASI,
        CONTACT,
        PROFESSIONAL,
        HEALTH_CONTEXT,
        HEALTH_RESULT,
        FREE_TEXT,
        CREDENTIAL,
    }
)

SENSITIVE_CATEGORIES: Final = frozenset(SENSITIVE_PREFIX + c for c in SENSITIVE_CLASSES)

ALL_CATEGORIES: Final = FIELD_CATEGORIES | SENSITIVE_CATEGORIES

# Categories that the manifest draft never selects: someone must ask for them explicitly.
SENSITIVE_BY_DEFAULT: Final = frozenset(
    {IDENTITY_DIRECT, CONTACT, FREE_TEXT, CREDENTIAL} | SENSITIVE_CATEGORIES
)


def is_category(name: str) -> bool:
    return name in ALL_CATEGORIES


def sensitive(cls: str) -> str:
    """`hiv` -> `health.sensitive.hiv`."""
    return SENSITIVE_PREFIX + cls
