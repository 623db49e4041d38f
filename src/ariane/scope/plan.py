"""Compile a checked manifest into the SQL that selects exactly its scope, in canonical terms.

The population is defined once, by the set of in-scope requests: those passing the request filter
whose patient passes the patient filter. Every entity derives from it:
- patient: patients with at least one in-scope request;
- request: the in-scope requests;
- result: results of in-scope requests, passing the result filter, not of an excluded category;
- practitioner: prescribers of in-scope requests and validators of in-scope results;
- comment: comments of in-scope requests, not attached to a result left out.

For every entity the same conditions give both the rows to transfer and, row by row, the reason a
row is left out, so that the dry run and the extraction count the same partition:
`transferred + sum(excluded by reason) == rows in the source`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from ariane.connectors.duck import quote_ident, quote_literal
from ariane.manifest.schema import Manifest
from ariane.model import categories
from ariane.model.entities import ORDER
from ariane.profiles.compile import view_name
from ariane.scope.filters import Filter

SCOPE_REQUEST = "_scope_request"
TRANSFERRED = "transferred"
REASON = "__reason"  # extraction stream: why each source row is kept or left out
CATEGORY = "__category"  # extraction stream: a result's sensitivity class

# Fields whose value, in every transferred row, is a value of a column of the in-scope requests:
# each entity's conditions below require it. Pseudonym maps are built from that small table
# instead of scanning the entity again.
SCOPE_BOUND: dict[str, dict[str, str]] = {
    "patient": {"patient_id": "patient_id"},
    "request": {
        "request_id": "request_id",
        "patient_id": "patient_id",
        "prescriber_id": "prescriber_id",
    },
    "result": {"request_id": "request_id"},
    "comment": {"request_id": "request_id"},
}


def map_table(domain: str) -> str:
    return f"_pmap_{domain}"


@dataclass(frozen=True)
class Condition:
    reason: str  # why a row failing `sql` is left out
    sql: str  # true for rows that stay
    in_stream: bool = True  # cheap enough to re-check on every extracted batch
    # (column, scope column): `sql` is membership of the column in that column of the in-scope
    # requests. The per-batch check then counts misses with an anti-join, which hashes the
    # batch instead of the whole scope for every batch.
    member: tuple[str, str] | None = None


@dataclass(frozen=True)
class EntityPlan:
    entity: str
    fields: tuple[str, ...]  # what the manifest transfers, in its order
    check_fields: tuple[str, ...]  # extra fields fetched only for the in-stream checks
    conditions: tuple[Condition, ...]
    selected: bool  # False: the manifest does not transfer this entity at all

    @property
    def alias(self) -> str:
        return "x"

    def where(self) -> str:
        if not self.conditions:
            return "TRUE"
        return " AND ".join(f"COALESCE(({c.sql}), FALSE)" for c in self.conditions)

    def reason_sql(self) -> str:
        """A CASE naming, for each row, the first condition it fails (or `transferred`)."""
        if not self.selected:
            return quote_literal("entity not in the manifest")
        if not self.conditions:
            return quote_literal(TRANSFERRED)
        whens = " ".join(
            f"WHEN NOT COALESCE(({c.sql}), FALSE) THEN {quote_literal(c.reason)}"
            for c in self.conditions
        )
        return f"CASE {whens} ELSE {quote_literal(TRANSFERRED)} END"


@dataclass(frozen=True)
class Plan:
    manifest: Manifest
    entities: dict[str, EntityPlan]
    scope_request_sql: str

    def stream_sql(
        self,
        entity: str,
        pseudonymised: Mapping[str, str],
        exact: Mapping[str, str] | None = None,
    ) -> str:
        """Every source row once, with the reason it is kept or left out, in one pass.

        Only rows kept (reason `transferred`) carry values: for the others every column is NULL,
        so that nothing left out ever reaches the process. Columns: REASON, CATEGORY, the
        manifest's fields, the check fields, and a `__p_<field>` pseudonym column for each
        field to pseudonymise (`pseudonymised` maps it to its domain's mapping table).
        Counting the reasons gives the partition; the kept rows are the extraction.

        `exact` names the mapping tables that hold exactly the values of one column of the
        in-scope requests (table -> column). A membership condition on a field pseudonymised
        through such a table is then read off the join that brings the pseudonym (a match is
        membership) instead of hashing the scope a second time: the same rows, one hash table
        of the scope's size instead of two. The per-batch re-check still tests membership
        against the in-scope requests themselves (`check_sql`).
        """
        ep = self.entities[entity]
        kept = f"y.{REASON} = {quote_literal(TRANSFERRED)}"
        category = "x.sensitivity" if entity == "result" else "CAST(NULL AS VARCHAR)"
        cols = [f"y.{REASON}", f"y.{CATEGORY}"]
        cols += [
            f"CASE WHEN {kept} THEN y.{quote_ident(f)} END AS {quote_ident(f)}"
            for f in (*ep.fields, *ep.check_fields)
        ]
        joins, pseudo = [], []
        membership: dict[tuple[str, str], str] = {}
        for i, (field, table) in enumerate(sorted(pseudonymised.items())):
            m, carried = f"m{i}", quote_ident(f"__m{i}")
            pseudo.append(f", {m}.pseudo AS {carried}")
            cols.append(f"CASE WHEN {kept} THEN y.{carried} END AS {quote_ident('__p_' + field)}")
            # An equality alone, so that DuckDB hashes the join (any other term nests loops).
            joins.append(f" LEFT JOIN {table} {m} ON {m}.src = x.{quote_ident(field)}")
            if exact is not None and table in exact:
                membership[(field, exact[table])] = f"{m}.src IS NOT NULL"
        stream_plan = replace(
            ep,
            conditions=tuple(
                replace(c, sql=membership[c.member]) if c.member in membership else c
                for c in ep.conditions
            ),
        )
        inner = (
            f"SELECT x.*{''.join(pseudo)}, {stream_plan.reason_sql()} AS {REASON}, "
            f"{category} AS {CATEGORY} FROM {view_name(entity)} x{''.join(joins)}"
        )
        return f"SELECT {', '.join(cols)} FROM ({inner}) y"

    def check_sql(self, entity: str, batch: str) -> str | None:
        """Count, in an extracted batch, the rows that break an in-stream condition."""
        ep = self.entities[entity]
        checks = [c for c in ep.conditions if c.in_stream]
        if not checks:
            return None
        a = ep.alias
        counts = []
        for c in checks:
            if c.member is not None:
                column, scope_column = (quote_ident(n) for n in c.member)
                # Same result as NOT COALESCE(x.col IN (…), FALSE): a NULL matches nothing.
                counts.append(
                    f"(SELECT count(*) FROM {batch} {a} ANTI JOIN {SCOPE_REQUEST} s "
                    f"ON {a}.{column} = s.{scope_column})"
                )
            else:
                counts.append(
                    f"(SELECT count(*) FILTER (WHERE NOT COALESCE(({c.sql}), FALSE)) "
                    f"FROM {batch} {a})"
                )
        return f"SELECT {', '.join(counts)}"

    def partition_sql(self, entity: str) -> str:
        ep = self.entities[entity]
        extra = ", x.sensitivity AS category" if entity == "result" else ", NULL AS category"
        return (
            f"SELECT reason, category, count(*) AS n FROM ("
            f"SELECT {ep.reason_sql()} AS reason{extra} FROM {view_name(entity)} x"
            f") GROUP BY reason, category ORDER BY reason, category"
        )


def _in_scope(reason: str, a: str, column: str, scope_column: str = "request_id") -> Condition:
    """Rows whose `column` is a value of `scope_column` of the in-scope requests."""
    return Condition(
        reason,
        f"{a}.{quote_ident(column)} IN (SELECT {quote_ident(scope_column)} FROM {SCOPE_REQUEST})",
        member=(column, scope_column),
    )


def build_plan(manifest: Manifest, filters: dict[str, Filter]) -> Plan:
    excluded = sorted(set(manifest.exclude_categories) & categories.SENSITIVE_CATEGORIES)
    a = "x"

    def own_filter(entity: str) -> list[Condition]:
        f = filters.get(entity)
        return [Condition(f"fails the {entity} filter", f.sql(a))] if f else []

    result_conditions = [
        _in_scope("request out of scope", a, "request_id"),
        *(
            [
                Condition(
                    "excluded category",
                    f"{a}.sensitivity NOT IN ({', '.join(quote_literal(c) for c in excluded)})",
                )
            ]
            if excluded
            else []
        ),
        *own_filter("result"),
    ]

    def in_scope_results(column: str) -> str:
        return f"SELECT x.{column} FROM {view_name('result')} x WHERE " + " AND ".join(
            f"COALESCE(({c.sql}), FALSE)" for c in result_conditions
        )

    conditions: dict[str, list[Condition]] = {
        "patient": [
            *own_filter("patient"),
            _in_scope("no request in scope", a, "patient_id", "patient_id"),
        ],
        "request": [
            *own_filter("request"),
            _in_scope("patient out of scope", a, "request_id"),
        ],
        "result": result_conditions,
        "practitioner": [
            *own_filter("practitioner"),
            Condition(
                "not referenced by data in scope",
                # UNION (distinct): a few thousand practitioners, not one entry per result, in
                # the hash table this IN builds.
                f"{a}.practitioner_id IN (SELECT prescriber_id FROM {SCOPE_REQUEST} "
                f"UNION {in_scope_results('validator_id')})",
                in_stream=False,
            ),
        ],
        "comment": [
            _in_scope("request out of scope", a, "request_id"),
            Condition(
                "attached to a result left out",
                f"{a}.result_id IS NULL OR {a}.result_id IN ({in_scope_results('result_id')})",
                in_stream=False,
            ),
            *own_filter("comment"),
        ],
    }
    plans: dict[str, EntityPlan] = {}
    for name in ORDER:
        scope = manifest.entities.get(name)
        fields = tuple(scope.fields) if scope else ()
        needed: list[str] = []
        f = filters.get(name)
        if f is not None:
            needed += sorted(f.columns)
        if name == "result":
            needed += ["sensitivity", "request_id"]
        if name in ("request", "comment"):
            needed += ["request_id"]
        if name == "patient":
            needed += ["patient_id"]
        check = tuple(dict.fromkeys(n for n in needed if n not in fields))
        plans[name] = EntityPlan(name, fields, check, tuple(conditions[name]), scope is not None)
    scope_request_sql = _scope_request_sql(filters)
    return Plan(manifest, plans, scope_request_sql)


def _scope_request_sql(filters: dict[str, Filter]) -> str:
    where = []
    join = ""
    if "request" in filters:
        where.append(f"COALESCE(({filters['request'].sql('x')}), FALSE)")
    if "patient" in filters:
        join = f"JOIN {view_name('patient')} p ON p.patient_id = x.patient_id"
        where.append(f"COALESCE(({filters['patient'].sql('p')}), FALSE)")
    return (
        f"CREATE TABLE {SCOPE_REQUEST} AS SELECT x.request_id, x.patient_id, x.prescriber_id "
        f"FROM {view_name('request')} x {join} WHERE {' AND '.join(where) or 'TRUE'}"
    )
