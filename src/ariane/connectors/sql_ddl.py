"""The canonical model as SQL tables, for SQLite and PostgreSQL.

One table per entity, named after it; one column per canonical field; the entity key is the
primary key. No foreign keys: a manifest may transfer results without their patients, and such a
partial transfer is legitimate. Timestamps carry no time zone, as in the canonical model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pyarrow as pa

from ariane.connectors.duck import quote_ident
from ariane.model.entities import DATE, ENTITIES, FLOAT, ORDER, STRING, TIMESTAMP, Entity


@dataclass(frozen=True)
class Dialect:
    name: str  # "sqlite" | "postgresql"
    schema: str  # where the tables live, as DuckDB sees the attached database
    types: dict[pa.DataType, str]
    qualify: bool  # prefix table names with the schema in the DDL

    def table(self, entity: str) -> str:
        """The table's name inside the target database (not through DuckDB)."""
        name = quote_ident(entity)
        return f"{quote_ident(self.schema)}.{name}" if self.qualify else name

    def create_table(self, ent: Entity) -> str:
        cols = []
        for f in ent.fields:
            # SQLite lets a TEXT primary key be NULL unless told otherwise.
            extra = " NOT NULL PRIMARY KEY" if f.name == ent.key else ""
            cols.append(f"    {quote_ident(f.name)} {self.types[f.type]}{extra}")
        body = ",\n".join(cols)
        return f"CREATE TABLE IF NOT EXISTS {self.table(ent.name)} (\n{body}\n)"

    def statements(self) -> list[str]:
        return [self.create_table(ENTITIES[name]) for name in ORDER]

    def ddl(self) -> str:
        parts = [f"-- Ariane canonical laboratory model, {self.name} dialect"]
        for name in ORDER:
            ent = ENTITIES[name]
            parts.append(f"\n-- {ent.name}: {ent.description} (key {ent.key})")
            parts.append(self.create_table(ent) + ";")
        return "\n".join(parts) + "\n"


SQLITE: Final = Dialect(
    "sqlite",
    "main",
    # DATE and TIMESTAMP are declared so that DuckDB, Python's sqlite3 and other tools read the
    # ISO text back as dates; REAL is SQLite's 8-byte IEEE double.
    {STRING: "TEXT", DATE: "DATE", TIMESTAMP: "TIMESTAMP", FLOAT: "REAL"},
    qualify=False,
)

POSTGRESQL: Final = Dialect(
    "postgresql",
    "public",
    {
        STRING: "TEXT",
        DATE: "DATE",
        TIMESTAMP: "TIMESTAMP WITHOUT TIME ZONE",
        FLOAT: "DOUBLE PRECISION",
    },
    qualify=True,
)

# What DuckDB reports for a canonical column it reads from either backend.
DUCKDB_TYPES: Final[dict[pa.DataType, str]] = {
    STRING: "VARCHAR",
    DATE: "DATE",
    TIMESTAMP: "TIMESTAMP",
    FLOAT: "DOUBLE",
}
