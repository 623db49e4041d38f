"""A scope manifest in plain English: which people, which period, which data, what is left out.

Filters are read from their checked syntax tree, never from text patterns, and a literal compared
with a field that could name a person (identity, contact, free text, credential) is not
reproduced: "family name is one of 3 given values", never the names themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlglot import exp

from ariane.compliance.draft import CATEGORY_TEXT, RULE_TEXT, SENSITIVE_TEXT
from ariane.manifest.schema import Manifest
from ariane.model import categories as c
from ariane.model.entities import ENTITIES, ORDER, Entity
from ariane.scope.filters import parse_filter

# Literals compared with these categories may be a person's value: never shown.
MASKED = frozenset({c.IDENTITY_DIRECT, c.CONTACT, c.FREE_TEXT, c.CREDENTIAL})
_TEMPORAL = {"collected_at", "received_at", "validated_at", "written_at"}
_OPS: dict[type[exp.Expr], tuple[str, str]] = {
    exp.EQ: ("is", "is"),
    exp.NEQ: ("is not", "is not"),
    exp.GT: ("is after", "is more than"),
    exp.GTE: ("is on or after", "is at least"),
    exp.LT: ("is before", "is less than"),
    exp.LTE: ("is on or before", "is at most"),
}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip


@dataclass(frozen=True)
class FieldLine:
    name: str
    description: str
    category: str
    note: str  # pseudonymised, generalised


@dataclass(frozen=True)
class EntityScopeText:
    entity: str
    description: str
    fields: tuple[FieldLine, ...]
    condition: str  # "" when every row of the population is taken
    left_out: tuple[str, ...]  # fields of the model not selected


@dataclass(frozen=True)
class ScopeText:
    population: str
    period: tuple[str, ...]
    entities: tuple[EntityScopeText, ...]
    exclusions: tuple[str, ...]
    transforms: tuple[str, ...]


def day(text: str) -> str:
    """'2023-11-29' or '2023-11-29 08:00:00' -> '29 November 2023' (with the time if not 0:00)."""
    when = dt.datetime.fromisoformat(text)
    out = f"{when.day} {_MONTHS[when.month - 1]} {when.year}"
    return out + (f" {when:%H:%M}" if when.time() != dt.time() else "")


def _literal(entity: Entity, col: str, node: exp.Expr) -> str:
    if entity.field(col).category in MASKED:
        return "a given value"
    if isinstance(node, exp.Cast):
        return day(str(node.this.this))
    if isinstance(node, exp.Neg):
        return f"-{node.this.this}"
    return f"'{node.this}'" if isinstance(node, exp.Literal) and node.is_string else str(node.this)


def _phrase(entity: Entity, node: exp.Expr) -> str:
    """One condition of a (checked) filter in words."""
    if isinstance(node, exp.Paren):
        return _phrase(entity, node.this)
    if isinstance(node, exp.And | exp.Or):
        word = "and" if isinstance(node, exp.And) else "or"
        return f"{_phrase(entity, node.left)} {word} {_phrase(entity, node.right)}"
    if isinstance(node, exp.Not):
        return f"not ({_phrase(entity, node.this)})"
    col = (
        node.this.name
        if isinstance(node, exp.In | exp.Between | exp.Is | exp.Like | exp.ILike)
        else ""
    )
    if isinstance(node, exp.In):
        values = node.expressions
        if entity.field(col).category in MASKED:
            return f"{col} is one of {len(values)} given values"
        return f"{col} is one of " + ", ".join(_literal(entity, col, v) for v in values)
    if isinstance(node, exp.Between):
        low = _literal(entity, col, node.args["low"])
        return f"{col} is between {low} and {_literal(entity, col, node.args['high'])}"
    if isinstance(node, exp.Is):
        return f"{col} is empty"
    if isinstance(node, exp.Like | exp.ILike):
        return f"{col} matches the pattern {_literal(entity, col, node.expression)}"
    left, right = node.this, node.expression  # a comparison
    if isinstance(left, exp.Column) and isinstance(right, exp.Column):
        return f"{left.name} {_OPS[type(node)][1]} {right.name}"
    if isinstance(right, exp.Column):  # literal on the left: read it the other way round
        flipped: dict[type[exp.Expr], type[exp.Expr]] = {
            exp.GT: exp.LT,
            exp.GTE: exp.LTE,
            exp.LT: exp.GT,
            exp.LTE: exp.GTE,
        }
        node = flipped.get(type(node), type(node))(this=right, expression=left)
        left, right = right, left
    temporal = entity.field(left.name).type_name in ("date", "timestamp")
    word = _OPS[type(node)][0 if temporal else 1]
    return f"{left.name} {word} {_literal(entity, left.name, right)}"


def describe_filter(entity_name: str, text: str) -> str:
    entity = ENTITIES[entity_name]
    return _phrase(entity, parse_filter(entity, text).tree)


def _periods(manifest: Manifest) -> tuple[str, ...]:
    out = []
    for name in ORDER:
        scope = manifest.entities.get(name)
        if scope is None or scope.filter is None:
            continue
        tree = parse_filter(ENTITIES[name], scope.filter).tree
        for col in sorted({n.name for n in tree.find_all(exp.Column)} & _TEMPORAL):
            what = ENTITIES[name].field(col).description
            out.append(f"{name}: {what} — {describe_filter(name, scope.filter)}")
            break
    return tuple(out) or ("the whole history: no date condition in the manifest",)


def _population(manifest: Manifest) -> str:
    parts = ["Patients with at least one laboratory request"]
    request, patient = manifest.entities.get("request"), manifest.entities.get("patient")
    if request is not None and request.filter:
        parts.append(f"where {describe_filter('request', request.filter)}")
    if patient is not None and patient.filter:
        parts.append(f"and where the patient's {describe_filter('patient', patient.filter)}")
    text = " ".join(parts)
    if "practitioner" in manifest.entities:
        text += "; and the practitioners (prescribers, validating biologists) they refer to"
    return text + "."


def _entity_text(manifest: Manifest, name: str) -> EntityScopeText:
    entity, scope = ENTITIES[name], manifest.entities[name]
    lines = []
    for field_name in scope.fields:
        f = entity.field(field_name)
        notes = []
        if f.domain and f.domain in manifest.transforms.pseudonymise:
            notes.append("replaced by a keyed pseudonym")
        rule = manifest.transforms.generalise.get(f"{name}.{field_name}")
        if rule:
            notes.append(RULE_TEXT[rule][0])
        lines.append(FieldLine(field_name, f.description, f.category, ", ".join(notes)))
    left_out = tuple(n for n in entity.field_names if n not in scope.fields)
    condition = describe_filter(name, scope.filter) if scope.filter else ""
    return EntityScopeText(name, entity.description, tuple(lines), condition, left_out)


def _exclusions(manifest: Manifest) -> tuple[str, ...]:
    out = []
    for cat in manifest.exclude_categories:
        cls = cat.removeprefix(c.SENSITIVE_PREFIX)
        label = SENSITIVE_TEXT[cls][0] if cls in SENSITIVE_TEXT else CATEGORY_TEXT[cat][0]
        out.append(f"{cat} — {label}: excluded by the controller's instruction")
    for name in ORDER:
        if name not in manifest.entities:
            out.append(f"{name} — {ENTITIES[name].description}: not in the manifest")
            continue
        chosen = manifest.entities[name].fields
        unselected = [f for f in ENTITIES[name].fields if f.name not in chosen]
        for cat in (c.IDENTITY_DIRECT, c.CONTACT, c.FREE_TEXT, c.CREDENTIAL):
            names = ", ".join(f.name for f in unselected if f.category == cat)
            why = "never migratable" if cat == c.CREDENTIAL else "not selected"
            if names:
                out.append(f"{name}.{names} — {CATEGORY_TEXT[cat][0]}: {why}")
    if manifest.free_text == "drop":
        out.append("free text: dropped (free_text: drop)")
    return tuple(out)


def _transforms(manifest: Manifest) -> tuple[str, ...]:
    out = []
    domains = sorted(manifest.transforms.pseudonymise)
    if domains:
        names = " and ".join(
            [", ".join(domains[:-1]), domains[-1]] if len(domains) > 1 else domains
        )
        out.append(
            f"{names} identifiers are replaced by keyed pseudonyms (HMAC-SHA256 under a secret of "
            "this migration, destroyed at purge), consistently wherever they occur"
        )
    out += [f"{k}: {RULE_TEXT[v][0]}" for k, v in sorted(manifest.transforms.generalise.items())]
    return tuple(out) or ("none: identifiers are transferred as they are in the source",)


def scope_text(manifest: Manifest) -> ScopeText:
    return ScopeText(
        population=_population(manifest),
        period=_periods(manifest),
        entities=tuple(_entity_text(manifest, n) for n in ORDER if n in manifest.entities),
        exclusions=_exclusions(manifest),
        transforms=_transforms(manifest),
    )
