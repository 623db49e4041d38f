"""A draft source profile from the data map, where the mapping to the canonical model is clear.

Tables are mapped by the role the scan gave them (patient, practitioner, request, result,
comment), canonical fields by the kind found in each column, keys and joins by the links between
tables. Text dates get the `strptime` their format needs, sex codes a CASE onto M/F/U. Each entity
is checked against the live source; one that does not compile is left out and reported, so that
the draft always loads with `load_profile` and passes `check_profile`.

The only source values a draft can hold are the local test codes of the analysis catalogue whose
label names a sensitive class (e.g. a karyotype without LOINC code): test codes, not personal
data, and without them the draft manifest could not exclude those results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pydantic

from ariane.connectors import source as src
from ariane.discover.detectors.freetext import health_classes
from ariane.discover.introspect import OpenSource
from ariane.discover.model import ColumnResult, ColumnSample, Link
from ariane.errors import ArianeError
from ariane.model import categories as c
from ariane.model.entities import ENTITIES
from ariane.model.loinc import sensitivity_table
from ariane.profiles.compile import compile_view
from ariane.profiles.load import check_against_model
from ariane.profiles.schema import Profile

_STRPTIME = {
    "YYYY-MM-DD": "%Y-%m-%d",
    "YYYYMMDD": "%Y%m%d",
    "YYYY/MM/DD": "%Y/%m/%d",
    "DD/MM/YYYY": "%d/%m/%Y",
}
_CLOCK = {"": "", " HH:MM": " %H:%M", " HH:MM:SS": " %H:%M:%S"}
_SEX_CASE = (
    "CASE UPPER(TRIM(CAST({c} AS VARCHAR))) WHEN '1' THEN 'M' WHEN 'M' THEN 'M' WHEN 'H' THEN 'M' "
    "WHEN 'MALE' THEN 'M' WHEN 'HOMME' THEN 'M' WHEN '2' THEN 'F' WHEN 'F' THEN 'F' "
    "WHEN 'FEMALE' THEN 'F' WHEN 'FEMME' THEN 'F' ELSE 'U' END"
)
ALIASES = {"patient": "p", "practitioner": "m", "request": "d", "result": "r", "comment": "c"}


@dataclass
class DraftProfile:
    profile: Profile | None
    document: dict[str, Any]
    left_out: dict[str, str] = field(default_factory=dict)  # entity -> reason (no value)
    columns: dict[tuple[str, str], str] = field(default_factory=dict)  # (entity, field) -> col


def _q(alias: str, column: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", column):
        return f"{alias}.{column}"
    return f'{alias}."{column}"'


def _as_text(alias: str, col: ColumnResult) -> str:
    ref = _q(alias, col.column)
    return ref if col.type.upper().startswith("VARCHAR") else f"CAST({ref} AS VARCHAR)"


def _temporal(alias: str, col: ColumnResult, date_only: bool) -> str:
    ref = _q(alias, col.column)
    if col.type.upper().startswith(("DATE", "TIMESTAMP")):
        return f"CAST({ref} AS DATE)" if date_only else ref
    fmt = col.detail
    base = next((k for k in sorted(_STRPTIME, key=len, reverse=True) if fmt.startswith(k)), "")
    pattern = _STRPTIME.get(base, "%Y-%m-%d") + _CLOCK.get(fmt[len(base) :], "")
    parsed = f"strptime(CAST({ref} AS VARCHAR), '{pattern}')"
    return f"CAST({parsed} AS DATE)" if date_only else parsed


class _Builder:
    def __init__(
        self,
        results: list[ColumnResult],
        roles: dict[str, str],
        links: list[Link],
        keys: dict[str, str],
    ) -> None:
        self.by_table: dict[str, list[ColumnResult]] = {}
        for r in results:
            self.by_table.setdefault(r.table, []).append(r)
        self.roles, self.links, self.keys = roles, links, keys
        self.role_table = {}
        for role in ("patient", "practitioner", "request", "result", "comment"):
            tables = [t for t, r in roles.items() if r == role]
            if len(tables) == 1 and tables[0] in keys:
                self.role_table[role] = tables[0]
        self.columns: dict[tuple[str, str], str] = {}

    def kind(self, table: str, kind: str) -> list[ColumnResult]:
        return [r for r in self.by_table.get(table, []) if r.kind == kind]

    def link_to(self, table: str, role: str) -> list[ColumnResult]:
        target = self.role_table.get(role) if role != "catalogue" else None
        out = []
        for r in self.by_table.get(table, []):
            ln = r.references.split(".")[0] if r.references else ""
            if ln and (ln == target or (role == "catalogue" and self.roles.get(ln) == role)):
                out.append(r)
        return out

    def key(self, table: str) -> ColumnResult:
        return next(r for r in self.by_table[table] if r.column == self.keys[table])

    def set(self, fields: dict[str, str], entity: str, name: str, expr: str, col: str) -> None:
        if name not in fields:
            fields[name] = expr
            self.columns[(entity, name)] = col


def _names(b: _Builder, t: str, a: str, fields: dict[str, str], entity: str, birth: bool) -> None:
    people = b.kind(t, "person_name")
    given = [r for r in people if r.detail == "given name"]
    family = [r for r in people if r.detail == "family name"]
    if given:
        b.set(fields, entity, "given_name", _q(a, given[0].column), given[0].column)
    if family:
        b.set(fields, entity, "family_name", _q(a, family[0].column), family[0].column)
    if birth and len(family) > 1:
        b.set(fields, entity, "birth_name", _q(a, family[1].column), family[1].column)


def _first(b: _Builder, t: str, kinds: tuple[str, ...]) -> ColumnResult | None:
    for k in kinds:
        found = b.kind(t, k)
        if found:
            return found[0]
    return None


def _entity(b: _Builder, entity: str, samples: dict[str, list[ColumnSample]]) -> dict[str, Any]:
    t = b.role_table[entity]
    a = ALIASES[entity]
    key = b.key(t)
    fields: dict[str, str] = {}
    joins: list[dict[str, str]] = []
    b.set(fields, entity, ENTITIES[entity].key, _as_text(a, key), key.column)

    def put(name: str, kinds: tuple[str, ...], wrap: str = "") -> None:
        col = _first(b, t, kinds)
        if col is None:
            return
        expr = {
            "date": _temporal(a, col, True),
            "ts": _temporal(a, col, False),
            "sex": _SEX_CASE.format(c=_q(a, col.column)),
        }.get(wrap, _q(a, col.column))
        b.set(fields, entity, name, expr, col.column)

    def link(name: str, role: str, nth: int = 0) -> None:
        found = b.link_to(t, role)
        if len(found) > nth:
            b.set(fields, entity, name, _as_text(a, found[nth]), found[nth].column)

    if entity == "patient":
        _names(b, t, a, fields, entity, birth=True)
        put("nir", ("nir", "ins"))
        put("birth_date", ("birth_date",), "date")
        put("sex", ("sex",), "sex")
        for name, kind in (
            ("address", "address"),
            ("postal_code", "postal_code"),
            ("city", "city"),
            ("phone", "phone"),
            ("email", "email"),
            ("portal_password", "credential"),
        ):
            put(name, (kind,))
    elif entity == "practitioner":
        _names(b, t, a, fields, entity, birth=False)
        put("rpps", ("rpps",))
        put("specialty", ("specialty",))
    elif entity == "request":
        link("patient_id", "patient")
        link("prescriber_id", "practitioner")
        events = b.kind(t, "event_date")
        for name, col in zip(("collected_at", "received_at"), events, strict=False):
            b.set(fields, entity, name, _temporal(a, col, False), col.column)
        site = [r for r in b.by_table[t] if r.kind == "link" and r.category == c.HEALTH_CONTEXT]
        if site:
            b.set(fields, entity, "site", _q(a, site[0].column), site[0].column)
    elif entity == "result":
        link("request_id", "request")
        link("validator_id", "practitioner")
        cat = b.link_to(t, "catalogue")
        if cat:
            ref_table, ref_col = cat[0].references.split(".", 1)
            joins.append(
                {
                    "table": ref_table,
                    "alias": "a",
                    "condition": f"{_q('a', ref_col)} = {_q(a, cat[0].column)}",
                }
            )
            b.set(fields, entity, "local_code", _q(a, cat[0].column), cat[0].column)
            _result_fields(b, ref_table, "a", fields, entity, samples)
        _result_fields(b, t, a, fields, entity, samples)
        put("flag", ("flag",))
        put("status", ("status",))
        put("validated_at", ("event_date",), "ts")
    elif entity == "comment":
        link("request_id", "request")
        link("result_id", "result")
        put("written_at", ("event_date",), "ts")
        put("text", ("free_text",))
    out: dict[str, Any] = {"table": t, "alias": a}
    if joins:
        out["joins"] = joins
    out["fields"] = fields
    return out


def _result_fields(
    b: _Builder,
    t: str,
    a: str,
    fields: dict[str, str],
    entity: str,
    samples: dict[str, list[ColumnSample]],
) -> None:
    for name, kind in (
        ("loinc_code", "loinc"),
        ("label", "analysis_label"),
        ("unit", "unit"),
        ("value_text", "result_text"),
    ):
        col = _first(b, t, (kind,))
        if col is not None:
            b.set(fields, entity, name, _q(a, col.column), col.column)
    numbers = b.kind(t, "measurement")
    if b.roles.get(t) == "catalogue" and len(numbers) >= 2:
        # Reference bounds: the column with the smaller values is the low bound.
        means = {s.name: _mean(s) for s in samples.get(t, [])}
        low, high = sorted(numbers[:2], key=lambda r: means.get(r.column, 0.0))
        b.set(fields, entity, "ref_low", _q(a, low.column), low.column)
        b.set(fields, entity, "ref_high", _q(a, high.column), high.column)
    elif numbers and b.roles.get(t) != "catalogue":
        b.set(fields, entity, "value_num", _q(a, numbers[0].column), numbers[0].column)


def _mean(s: ColumnSample) -> float:
    xs = []
    for v in s.values:
        try:
            xs.append(float(v))
        except ValueError:
            continue
    return sum(xs) / len(xs) if xs else 0.0


def local_codes(
    b: _Builder, source: OpenSource, samples: dict[str, list[ColumnSample]]
) -> dict[str, str]:
    """Catalogue codes without a sensitive LOINC whose label names a sensitive class."""
    out: dict[str, str] = {}
    for t, role in b.roles.items():
        if role != "catalogue" or t not in b.keys:
            continue
        cols = {s.name: s for s in samples[t]}
        code, label = cols.get(b.keys[t]), _first(b, t, ("analysis_label",))
        loinc = _first(b, t, ("loinc",))
        if code is None or label is None or len(code.aligned) != len(code.values):
            continue  # only a catalogue sampled whole, with no empty code
        labels = cols[label.column].aligned
        codes = loinc and cols[loinc.column].aligned
        for i, value in enumerate(code.aligned):
            lab = labels[i]
            if value is None or lab is None or (codes and codes[i] in sensitivity_table()):
                continue
            special = [k for k in health_classes(lab) if k in c.SENSITIVE_CLASSES]
            if special and re.fullmatch(r"[A-Za-z0-9_.\-]{1,20}", value):
                out[value] = special[0]
    return out


def draft_profile(
    name: str,
    source: OpenSource,
    results: list[ColumnResult],
    roles: dict[str, str],
    links: list[Link],
    keys: dict[str, str],
    samples: dict[str, list[ColumnSample]],
) -> DraftProfile:
    b = _Builder(results, roles, links, keys)
    catalog = src.catalog(source.con)
    entities: dict[str, Any] = {}
    left_out: dict[str, str] = {}
    for entity in ("patient", "practitioner", "request", "result", "comment"):
        if entity not in b.role_table:
            left_out[entity] = "no single table with a key plays this role"
            continue
        mapping = _entity(b, entity, samples)
        trial = _profile(
            {"format": "ariane.profile/1", "name": name, "entities": {entity: mapping}}
        )
        try:
            if trial is None:
                raise ArianeError("invalid")
            check_against_model(trial)
            compile_view(trial, ENTITIES[entity], catalog)
        except ArianeError:
            left_out[entity] = "the drafted mapping did not compile against the source"
            continue
        entities[entity] = mapping
    codes = local_codes(b, source, samples) if "result" in entities else {}
    document: dict[str, Any] = {
        "format": "ariane.profile/1",
        "name": name,
        "description": "Drafted by `ariane scan`: review every mapping before use.",
        "entities": entities,
    }
    if codes:
        document["local_codes"] = codes
    cols = {k: v for k, v in b.columns.items() if k[0] in entities}
    # Built from the very document written to profile.yaml, so that the digests agree.
    final = _profile(document) if entities else None
    return DraftProfile(final, document, left_out, cols)


def _profile(document: dict[str, Any]) -> Profile | None:
    try:
        return Profile.model_validate(document)
    except pydantic.ValidationError:
        return None
