"""The dry run: what the manifest would transfer and what it leaves out, as counts only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ariane.model.entities import ENTITIES, ORDER
from ariane.scope.plan import TRANSFERRED
from ariane.scope.session import ScopeSession


@dataclass
class EntityCounts:
    entity: str
    source_rows: int = 0
    transferred: int = 0
    excluded: dict[str, int] = field(default_factory=dict)  # reason -> rows
    by_category: dict[str, int] = field(default_factory=dict)  # transferred rows per category
    excluded_by_category: dict[str, int] = field(default_factory=dict)
    fields_by_category: dict[str, list[str]] = field(default_factory=dict)

    def balanced(self) -> bool:
        return self.transferred + sum(self.excluded.values()) == self.source_rows

    def to_json(self) -> dict[str, Any]:
        return {
            "source_rows": self.source_rows,
            "transferred": self.transferred,
            "excluded": dict(sorted(self.excluded.items())),
            "by_category": dict(sorted(self.by_category.items())),
            "excluded_by_category": dict(sorted(self.excluded_by_category.items())),
            "fields_by_category": self.fields_by_category,
        }


def partition(session: ScopeSession) -> dict[str, EntityCounts]:
    """Count, per entity, the rows transferred and the rows left out by reason."""
    return {name: partition_entity(session, name) for name in ORDER}


def partition_entity(session: ScopeSession, name: str) -> EntityCounts:
    rows = session.query(session.plan.partition_sql(name), f"counting {name}").fetchall()
    return entity_counts(session, name, rows)


def entity_counts(
    session: ScopeSession, name: str, rows: Iterable[tuple[str, str | None, int]]
) -> EntityCounts:
    """EntityCounts from (reason, category, rows) triples, as the partition query gives them."""
    counts = EntityCounts(name)
    for f in session.plan.entities[name].fields:
        cat = ENTITIES[name].field(f).category
        counts.fields_by_category.setdefault(cat, []).append(f)
    for reason, category, n in rows:
        n = int(n)
        counts.source_rows += n
        if reason == TRANSFERRED:
            counts.transferred += n
            if category is not None:
                counts.by_category[category] = counts.by_category.get(category, 0) + n
        else:
            counts.excluded[reason] = counts.excluded.get(reason, 0) + n
            if category is not None and reason == "excluded category":
                counts.excluded_by_category[category] = (
                    counts.excluded_by_category.get(category, 0) + n
                )
    return counts


def partition_json(counts: dict[str, EntityCounts]) -> dict[str, Any]:
    return {name: c.to_json() for name, c in counts.items()}
