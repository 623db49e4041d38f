"""Compile a profile into one DuckDB view per canonical entity over the attached source.

Each view exposes every canonical field with its canonical type; fields the profile does not map
are typed NULLs. Scope queries are then written once, in canonical terms, over these views, and
DuckDB pushes projections down: a source column no query names is never read.
"""

from __future__ import annotations

from ariane.connectors.duck import quote_ident
from ariane.errors import ScopeError
from ariane.model import categories
from ariane.model.entities import ENTITIES, TYPE_NAMES, Entity
from ariane.profiles.expressions import Catalog, Table, compile_expression, resolve_table
from ariane.profiles.schema import EntityMapping, Profile

SQL_TYPES = {"string": "VARCHAR", "date": "DATE", "timestamp": "TIMESTAMP", "float": "DOUBLE"}
LOINC_TABLE = "_ariane_loinc"
LOCAL_TABLE = "_ariane_local_codes"


def view_name(entity: str) -> str:
    return f"c_{entity}"


def compile_view(profile: Profile, entity: Entity, catalog: Catalog, source: str = "src") -> str:
    """The SELECT defining the canonical view of `entity` (raises ScopeError naming the problem)."""
    mapping = profile.entities.get(entity.name)
    if mapping is None:
        raise ScopeError(f"profile {profile.name} does not map entity {entity.name}")
    tables, from_sql = _from_clause(profile, entity, mapping, catalog, source)
    columns = []
    for field in entity.fields:
        if field.name == "sensitivity":
            continue
        sql_type = SQL_TYPES[TYPE_NAMES[field.type]]
        text = mapping.fields.get(field.name)
        if text is None:
            value = "NULL"
        else:
            where = f"profile {profile.name}, {entity.name}.{field.name}"
            value = compile_expression(text, tables, mapping.alias, where).sql(dialect="duckdb")
        columns.append(f"CAST({value} AS {sql_type}) AS {quote_ident(field.name)}")
    base = f"SELECT {', '.join(columns)} FROM {from_sql}"
    if entity.name != "result":
        return base
    # A result's sensitivity comes from its LOINC code, else from the profile's local codes.
    return (
        f"SELECT b.*, COALESCE(l.category, k.category, '{categories.HEALTH_RESULT}') "
        f"AS sensitivity FROM ({base}) b "
        f"LEFT JOIN {LOINC_TABLE} l ON l.code = b.loinc_code "
        f"LEFT JOIN {LOCAL_TABLE} k ON k.code = b.local_code"
    )


def _from_clause(
    profile: Profile, entity: Entity, mapping: EntityMapping, catalog: Catalog, source: str
) -> tuple[dict[str, Table], str]:
    where = f"profile {profile.name}, {entity.name}"
    base = resolve_table(catalog, mapping.table, where)
    tables = {mapping.alias: base}
    parts = [f"{source}.{quote_ident(base.name)} AS {quote_ident(mapping.alias)}"]
    for join in mapping.joins:
        if join.alias in tables:
            raise ScopeError(f"{where}: alias {join.alias!r} is used twice")
        tables[join.alias] = resolve_table(catalog, join.table, where)
        on = compile_expression(
            join.condition, tables, mapping.alias, f"{where}, join {join.alias}"
        )
        kind = "LEFT JOIN" if join.kind == "left" else "JOIN"
        parts.append(
            f"{kind} {source}.{quote_ident(tables[join.alias].name)} AS {quote_ident(join.alias)} "
            f"ON {on.sql(dialect='duckdb')}"
        )
    return tables, " ".join(parts)


def mapped_fields(profile: Profile, entity: str) -> set[str]:
    mapping = profile.entities.get(entity)
    if mapping is None:
        return set()
    fields = set(mapping.fields)
    if entity == "result" and ({"loinc_code", "local_code"} & fields):
        fields.add("sensitivity")
    return fields


def check_profile(profile: Profile, catalog: Catalog) -> None:
    """Compile every entity's view; any unknown table, column or construct raises ScopeError."""
    for name in profile.entities:
        compile_view(profile, ENTITIES[name], catalog)
