"""Keyed pseudonymisation, one identifier domain at a time.

HMAC costs about a microsecond per value, so each distinct in-scope identifier is pseudonymised
once, into a mapping table inside the scope session, and extraction queries join that table: the
same identifier gets the same pseudonym in every entity, so links between entities hold. A map
holds only in-scope identifiers, so a value without a pseudonym points outside the scope.
"""

from __future__ import annotations

import pyarrow as pa

from ariane.connectors.duck import quote_ident
from ariane.crypto.secret import pseudonyms
from ariane.model.entities import ENTITIES
from ariane.profiles.compile import view_name
from ariane.scope.plan import SCOPE_BOUND, SCOPE_REQUEST, Plan, map_table
from ariane.scope.session import ScopeSession

MAP_BATCH = 100_000


def _domain_sources(plan: Plan, domain: str) -> list[tuple[str | None, str]]:
    """Where in-scope rows can carry a value of `domain`: (column of the in-scope requests the
    values are bound to, or None; the SQL that selects them as `v`)."""
    parts: list[tuple[str | None, str]] = []
    for name, ep in plan.entities.items():
        if not ep.selected:
            continue
        for f in ENTITIES[name].fields:
            if f.domain != domain or f.name not in ep.fields:
                continue
            bound = SCOPE_BOUND.get(name, {}).get(f.name)
            if bound is not None:
                # A superset of the values the entity carries, still all in scope.
                parts.append((bound, f"SELECT {quote_ident(bound)} AS v FROM {SCOPE_REQUEST}"))
            else:
                parts.append(
                    (
                        None,
                        f"SELECT x.{quote_ident(f.name)} AS v FROM {view_name(name)} x "
                        f"WHERE {ep.where()}",
                    )
                )
    return list(dict.fromkeys(parts))  # two fields bound to the same column: read it once


def _domain_values_sql(plan: Plan, domain: str) -> str:
    """Every value of `domain` that in-scope rows can carry, from wherever it occurs."""
    parts = [sql for _, sql in _domain_sources(plan, domain)]
    if not parts:
        return f"SELECT request_id AS v FROM {SCOPE_REQUEST} WHERE FALSE"
    return f"SELECT DISTINCT v FROM ({' UNION ALL '.join(parts)}) WHERE v IS NOT NULL"


def exact_maps(plan: Plan) -> dict[str, str]:
    """Mapping tables holding exactly the (non-null) values of one column of the in-scope
    requests: table -> that column. Membership of that column is then a match in the map."""
    out = {}
    for domain in plan.manifest.transforms.pseudonymise:
        columns = {column for column, _ in _domain_sources(plan, domain)}
        if len(columns) == 1:
            (column,) = columns
            if column is not None:
                out[map_table(domain)] = column
    return out


def build_maps(session: ScopeSession, secret: bytes) -> dict[str, dict[str, str]]:
    """Create one mapping table per pseudonymised domain; return entity -> field -> table."""
    plan = session.plan
    domains = plan.manifest.transforms.pseudonymise
    for domain in domains:
        table = map_table(domain)
        session.con.execute(f"CREATE TABLE {table} (src VARCHAR, pseudo VARCHAR)")
        # Streamed: what Python holds is one batch of identifiers, whatever the scope's size.
        for batch in session.stream(
            _domain_values_sql(plan, domain), f"collecting the {domain} identifiers", MAP_BATCH
        ):
            values = batch.column("v")
            rows = pa.table({"src": values, "pseudo": pseudonyms(secret, domain, values)})
            session.con.register("_pmap_arrow", rows)
            try:
                session.query(f"INSERT INTO {table} SELECT * FROM _pmap_arrow", "mapping")
            finally:
                session.con.unregister("_pmap_arrow")
    out: dict[str, dict[str, str]] = {}
    for name, ep in plan.entities.items():
        fields = {}
        for f in ENTITIES[name].fields:
            if f.domain in domains and f.name in ep.fields:
                fields[f.name] = map_table(f.domain)
        out[name] = fields
    return out
