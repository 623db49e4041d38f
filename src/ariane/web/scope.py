"""Words for the pages: entity and data-category labels, and the scope in plain English.

The scope's wording is the procedure report's (`compliance.plain`), so that the controller reads
on screen exactly what the report will say; it masks literals compared with identity fields.
"""

from __future__ import annotations

from ariane.compliance.draft import CATEGORY_TEXT, SENSITIVE_TEXT
from ariane.compliance.plain import ScopeText, scope_text
from ariane.manifest.schema import Manifest
from ariane.model import categories as cat

ENTITY_LABELS = {
    "patient": "Patients",
    "practitioner": "Practitioners",
    "request": "Requests",
    "result": "Results",
    "comment": "Comments",
}


def category_label(name: str) -> str:
    if name.startswith(cat.SENSITIVE_PREFIX):
        cls = name.removeprefix(cat.SENSITIVE_PREFIX)
        return SENSITIVE_TEXT[cls][0] if cls in SENSITIVE_TEXT else name
    return CATEGORY_TEXT[name][0] if name in CATEGORY_TEXT else name


def describe_scope(manifest: Manifest) -> ScopeText:
    return scope_text(manifest)


def short_category(name: str) -> str:
    """For chart axes: 'health.sensitive.hiv' -> 'sensitive: hiv'."""
    if name.startswith(cat.SENSITIVE_PREFIX):
        return "sensitive: " + name.removeprefix(cat.SENSITIVE_PREFIX)
    return {cat.HEALTH_RESULT: "ordinary results"}.get(name, name)
