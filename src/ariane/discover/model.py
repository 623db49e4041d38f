"""The discovery's records: schema, in-memory column samples, findings and the data map.

A `ColumnSample` holds sampled values and lives only in memory; every other record carries
names, categories, confidences and counts, so that it can be written without carrying a value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str  # the engine's type name, e.g. VARCHAR, BIGINT, DOUBLE, DATE
    primary_key: bool = False


@dataclass(frozen=True)
class Link:
    """`table.column` holds values of `ref_table.ref_column` (a key), inferred from the values."""

    table: str
    column: str
    ref_table: str
    ref_column: str


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: tuple[ColumnInfo, ...]
    rows: int
    primary_key: tuple[str, ...] = ()

    def column(self, name: str) -> ColumnInfo:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


@dataclass(frozen=True)
class SourceSchema:
    kind: str  # sqlite | postgres | csv
    location: str  # printable (passwords masked)
    tables: tuple[TableInfo, ...]

    def table(self, name: str) -> TableInfo:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)


@dataclass(frozen=True)
class ColumnSample:
    """Sampled values of one column, as text. Memory only: never written, never logged."""

    table: str
    name: str
    type: str
    rows_sampled: int
    values: tuple[str, ...]  # non-empty values, in sample order, plus any top-up values
    aligned: tuple[str | None, ...] = ()  # the sampled rows' values, row-aligned across columns

    @cached_property
    def counts(self) -> Counter[str]:
        return Counter(self.values)

    def count(self, predicate: Callable[[str], object]) -> int:
        """How many sampled values satisfy `predicate`, judging each distinct value once."""
        return sum(n for v, n in self.counts.items() if predicate(v))

    def rejects(self, predicate: Callable[[str], object], share: float, probe: int = 64) -> bool:
        """True when the first `probe` distinct values are clearly below `share`: skip the rest."""
        head = list(self.counts)[:probe]
        if len(head) < probe:
            return False
        return sum(1 for v in head if predicate(v)) < (share - 0.3) * len(head)

    @property
    def nulls(self) -> int:
        return max(0, self.rows_sampled - len(self.values))

    @property
    def numeric_type(self) -> bool:
        t = self.type.upper()
        return any(k in t for k in ("INT", "DOUBLE", "FLOAT", "REAL", "DECIMAL", "NUMERIC"))

    @property
    def temporal_type(self) -> bool:
        t = self.type.upper()
        return t.startswith(("DATE", "TIMESTAMP", "TIME"))


@dataclass(frozen=True)
class Finding:
    """What one detector saw in one column: a kind, its category, a confidence, and counts."""

    kind: str  # e.g. nir, person_name, phone, credential, loinc, free_text
    category: str  # a data category of ariane.model.categories
    confidence: float  # 0..1
    evidence: dict[str, int]  # counts only: matched, checked, corsica, ...
    classes: dict[str, int] = field(default_factory=dict)  # sensitivity class -> count
    detail: str = ""  # a short label, never a value (e.g. "bcrypt", "YYYYMMDD")


@dataclass(frozen=True)
class ColumnResult:
    table: str
    column: str
    type: str
    category: str
    kind: str
    confidence: float
    evidence: dict[str, int]
    classes: dict[str, int]
    detail: str
    hint: str  # the kind the column's name suggested, or ""
    references: str = ""  # "table.column" when the column points to another table's key
    others: tuple[tuple[str, float], ...] = ()  # runner-up (kind, confidence) pairs

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "table": self.table,
            "column": self.column,
            "type": self.type,
            "category": self.category,
            "kind": self.kind,
            "confidence": round(self.confidence, 2),
            "evidence": dict(self.evidence),
        }
        if self.classes:
            out["sensitivity_classes"] = dict(self.classes)
        if self.detail:
            out["detail"] = self.detail
        if self.hint:
            out["name_hint"] = self.hint
        if self.references:
            out["references"] = self.references
        return out
