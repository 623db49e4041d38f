"""From findings to one category per column: content first, then keys, links and table roles.

Each column's values go through every detector; the most specific kind that fired wins (a NIR
is more specific than a 15-character identifier, an address more than free text), and the name
hint only breaks ties, names an otherwise empty column, or flags a credential on its own. What the
values cannot tell, the structure can: keys and links are identifiers, a practitioners' table is
professional data, and a small table referenced from results is part of the result.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ariane.discover import hints
from ariane.discover.detectors import (
    contact,
    credential,
    dates,
    freetext,
    loinc,
    names,
    nir,
    professional,
    results,
)
from ariane.discover.detectors.text import fold, shape, words
from ariane.discover.model import ColumnResult, ColumnSample, Finding, Link
from ariane.model import categories as c

Detector = Callable[[ColumnSample], Finding | None]

# Most specific first: the first kind that fired wins unless the name hints at another that fired.
DETECTORS: tuple[Detector, ...] = (
    nir.detect,
    contact.email,
    contact.phone,
    professional.rpps,
    loinc.detect,
    credential.detect,
    dates.date_column,
    contact.postal_code,
    names.sex,
    contact.address,
    professional.specialty,
    names.person_name,
    results.unit,
    results.flag,
    results.status,
    results.qualitative,
    results.analysis_label,
    results.measurement,
    freetext.detect,
)

KIND_CATEGORY: dict[str, str] = {
    "nir": c.IDENTITY_DIRECT,
    "ins": c.IDENTITY_DIRECT,
    "person_name": c.IDENTITY_DIRECT,
    "birth_date": c.IDENTITY_QUASI,
    "sex": c.IDENTITY_QUASI,
    "postal_code": c.IDENTITY_QUASI,
    "city": c.IDENTITY_QUASI,
    "address": c.CONTACT,
    "phone": c.CONTACT,
    "email": c.CONTACT,
    "rpps": c.PROFESSIONAL,
    "specialty": c.PROFESSIONAL,
    "credential": c.CREDENTIAL,
    "loinc": c.HEALTH_RESULT,
    "unit": c.HEALTH_RESULT,
    "flag": c.HEALTH_RESULT,
    "result_text": c.HEALTH_RESULT,
    "measurement": c.HEALTH_RESULT,
    "analysis_label": c.HEALTH_RESULT,
    "status": c.HEALTH_CONTEXT,
    "event_date": c.HEALTH_CONTEXT,
    "free_text": c.FREE_TEXT,
}

PERSON_KINDS = frozenset(
    {"nir", "ins", "person_name", "birth_date", "sex", "address", "phone", "email", "postal_code"}
)
RESULT_KINDS = frozenset({"loinc", "measurement", "result_text", "flag", "unit"})
ENTITY_ROLES = frozenset(
    {"patient", "practitioner", "request", "result", "comment", "wide", "other"}
)
ROLE_DEFAULT: dict[str, str] = {
    "patient": c.IDENTITY_QUASI,
    "practitioner": c.PROFESSIONAL,
    "request": c.HEALTH_CONTEXT,
    "result": c.HEALTH_RESULT,
    "comment": c.HEALTH_CONTEXT,
    "catalogue": c.HEALTH_RESULT,
    "wide": c.HEALTH_RESULT,
    "other": c.HEALTH_CONTEXT,
}


@dataclass
class ColumnView:
    """One column during classification: its sample, findings, hint and chosen kind."""

    sample: ColumnSample
    findings: list[Finding]
    hint: str
    chosen: Finding | None = None
    link: Link | None = None
    extra: dict[str, int] = field(default_factory=dict)


def detect(col: ColumnSample) -> ColumnView:
    hint = hints.hint(col.name)
    found = [f for f in (d(col) for d in DETECTORS) if f is not None]
    if col.numeric_type and hint != "postal_code":
        # Small integers (ids 1000-9999) look like postal codes that lost their leading zero.
        found = [f for f in found if f.kind != "postal_code"]
    if hint != "nir":
        # A NIR without its key is only a shape, which barcodes share: the name must say NIR.
        found = [f for f in found if not (f.kind == "nir" and f.detail == "without key")]
    view = ColumnView(col, found, hint)
    view.chosen = _choose(found, view.hint)
    return view


def _choose(found: list[Finding], hint: str) -> Finding | None:
    if not found:
        return None
    for f in found:
        if f.kind == hint:
            return f
    return found[0]


def link_candidate(view: ColumnView) -> bool:
    """Columns whose values could be another table's key: identifier-shaped, no stronger kind."""
    col = view.sample
    if col.temporal_type or not col.values or view.chosen is not None:
        return False
    if any(" " in v.strip() for v in col.values[:200]):
        return False
    return len({shape(v) for v in col.values}) <= 3 and len(set(col.values)) >= 2


def find_cities(views: list[ColumnView]) -> None:
    """A city depends on the postal code: rows sharing a postal code share the city."""
    postal = [v for v in views if v.chosen and v.chosen.kind == "postal_code"]
    if not postal:
        return
    codes = postal[0].sample.aligned
    for v in views:
        if v is postal[0] or (v.chosen and v.chosen.kind not in ("person_name",)):
            continue
        col = v.sample
        pairs = [(p, x) for p, x in zip(codes, col.aligned, strict=False) if p and x]
        if len(pairs) < 20 or any(any(ch.isdigit() for ch in x) for _, x in pairs):
            continue
        groups: dict[str, Counter[str]] = {}
        for p, x in pairs:
            groups.setdefault(p, Counter())[fold(x)] += 1
        shared = [g for g in groups.values() if sum(g.values()) >= 2]
        rows = sum(sum(g.values()) for g in shared)
        if len(shared) < 3 or rows < 10:
            continue
        agree = sum(g.most_common(1)[0][1] for g in shared)
        distinct = len({fold(x) for _, x in pairs})
        if agree / rows >= 0.9 and distinct >= 2:
            ev = {"checked": len(pairs), "postal_groups": len(shared), "agreeing_rows": agree}
            v.chosen = Finding("city", c.IDENTITY_QUASI, 0.8, ev, detail="follows the postal code")


def assign_roles(
    tables: dict[str, list[ColumnView]], keys: dict[str, str], links: list[Link]
) -> dict[str, str]:
    kinds = {t: {v.chosen.kind for v in vs if v.chosen} for t, vs in tables.items()}
    roles: dict[str, str] = {}
    for t, ks in kinds.items():
        person = len(ks & PERSON_KINDS)
        if ks & {"rpps", "specialty"} and "nir" not in ks:
            roles[t] = "practitioner"
        elif "nir" in ks or person >= 2:
            roles[t] = "wide" if len(ks & RESULT_KINDS) >= 2 else "patient"
    out_links: dict[str, set[str]] = {}
    for ln in links:
        out_links.setdefault(ln.table, set()).add(ln.ref_table)
    referenced = {ln.ref_table for ln in links}
    for t, ks in kinds.items():
        if t in roles:
            continue
        if "loinc" in ks and not out_links.get(t):
            roles[t] = "catalogue"
    changed = True
    while changed:  # requests point to patients, results and comments to requests
        changed = False
        for t, ks in kinds.items():
            if t in roles:
                continue
            targets = {roles.get(r) for r in out_links.get(t, set())}
            role = None
            if "free_text" in ks and not ks & RESULT_KINDS and targets & {"request", "result"}:
                role = "comment"
            elif targets & {"request"} or (targets & {"catalogue"} and ks & RESULT_KINDS):
                role = "result"
            elif targets & {"patient"}:
                role = "request"
            if role:
                roles[t] = role
                changed = True
    for t in kinds:
        if t not in roles:
            roles[t] = "reference" if t in referenced and t not in out_links else "other"
    return roles


def _reference_category(table: str, links: list[Link], roles: dict[str, str]) -> str:
    """A reference table takes the category of the columns that point to it."""
    for ln in links:
        if ln.ref_table == table:
            return ROLE_DEFAULT.get(roles.get(ln.table, "other"), c.HEALTH_CONTEXT)
    return c.HEALTH_CONTEXT


def finalise(
    tables: dict[str, list[ColumnView]],
    keys: dict[str, str],
    links: list[Link],
    roles: dict[str, str],
) -> list[ColumnResult]:
    link_of = {(ln.table, ln.column): ln for ln in links}
    out = []
    for t, views in tables.items():
        role = roles[t]
        default = (
            _reference_category(t, links, roles) if role == "reference" else ROLE_DEFAULT[role]
        )
        for v in views:
            out.append(
                _result(v, role, default, keys.get(t), link_of.get((t, v.sample.name)), roles)
            )
    return out


def _result(
    v: ColumnView,
    role: str,
    default: str,
    key: str | None,
    link: Link | None,
    roles: dict[str, str],
) -> ColumnResult:
    col, f = v.sample, v.chosen
    kind, category, conf = "", default, 0.3
    evidence: dict[str, int] = {"sampled_rows": col.rows_sampled, "non_empty": len(col.values)}
    classes: dict[str, int] = {}
    detail = ""
    references = ""
    if f is not None:
        kind, category, conf = f.kind, KIND_CATEGORY[f.kind], f.confidence
        evidence.update(f.evidence)
        classes, detail = dict(f.classes), f.detail
    if v.hint == "credential" and kind != "credential":
        kind, category, conf = "credential", c.CREDENTIAL, max(conf, 0.8)
        detail = detail or "by column name"
    elif kind == "credential":
        pass
    elif col.name == key:
        kind, conf = "key", 0.9
        category = c.IDENTIFIER if role in ENTITY_ROLES else default
    elif link is not None:
        references = f"{link.ref_table}.{link.ref_column}"
        target = roles.get(link.ref_table, "other")
        kind, conf = "link", 0.85
        category = (
            c.IDENTIFIER
            if target in ENTITY_ROLES
            else (c.HEALTH_RESULT if target == "catalogue" else default)
        )
    elif f is None:
        if _id_like(col):
            kind, category, conf = "identifier", c.IDENTIFIER, 0.6
        elif v.hint and v.hint in KIND_CATEGORY and col.values == ():
            kind, category, conf = v.hint, KIND_CATEGORY[v.hint], 0.4
            detail = "by column name only (no value sampled)"
    if role == "practitioner" and category not in (c.IDENTIFIER, c.CREDENTIAL):
        category = c.PROFESSIONAL
    elif kind == "person_name" and _titled_doctor(col):
        category, detail = c.PROFESSIONAL, "practitioner (titled Dr/Pr)"
    others = tuple((x.kind, round(x.confidence, 2)) for x in v.findings if x is not f)
    return ColumnResult(
        col.table,
        col.name,
        col.type,
        category,
        kind or "unclassified",
        conf,
        evidence,
        classes,
        detail,
        v.hint,
        references,
        others,
    )


def _id_like(col: ColumnSample) -> bool:
    vals = col.values
    if len(vals) < 2 or any(" " in v.strip() for v in vals[:200]):
        return False
    if len({shape(v) for v in vals}) > 2:
        return False
    return len(set(vals)) >= 0.2 * len(vals) and any(ch.isdigit() for ch in vals[0])


def _titled_doctor(col: ColumnSample) -> bool:
    titled = sum(1 for v in col.values if (w := words(v)) and w[0] in ("dr", "pr", "docteur"))
    return titled >= 0.5 * max(1, len(col.values))
