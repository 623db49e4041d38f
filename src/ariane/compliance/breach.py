"""`ariane breach draft`: the processor's notification of a personal data breach to the
controller (GDPR Art. 33(2)), with the content Art. 33(3) requires, in English or French.

Everything but the nature of the breach comes from the run: the categories and the numbers of
people and records (the extraction's counts, else the dry run's), the likely consequences (from
the categories in scope: direct identifiers or pseudonyms, each sensitive class of results with
its count), the measures taken (encryption of the package, pseudonymisation, purge) and the
contact point. No field is left for someone to fill in later: the nature is a required input,
and a missing contact point is refused. Counts only — never a patient value.
"""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources
from typing import Any

import jinja2

from ariane.compliance.draft import CATEGORY_TEXT, LANGS, SENSITIVE_TEXT
from ariane.compliance.facts import RunFacts, collect
from ariane.crypto.digest import sha256_hex
from ariane.engine.actor import Actor, audited, require_role
from ariane.engine.workspace import Workspace
from ariane.errors import UsageError
from ariane.model import categories as c
from ariane.model.entities import ENTITIES, ORDER

NATURE_MIN, NATURE_MAX = 20, 4000
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|])")

# What disclosure of each sensitive class can do to a person (EDPB Guidelines 9/2022 examples).
HARM: dict[str, tuple[str, str]] = {
    "hiv": (
        "discrimination and stigmatisation (HIV status), harm to private and family life",
        "discrimination et stigmatisation (statut VIH), atteinte à la vie privée et familiale",
    ),
    "sti": (
        "stigmatisation and harm to intimate and family life (sexually transmitted infections)",
        "stigmatisation et atteinte à la vie intime et familiale (infections sexuellement "
        "transmissibles)",
    ),
    "hepatitis": (
        "stigmatisation, and discrimination in employment or insurance (viral hepatitis)",
        "stigmatisation et discrimination à l'emploi ou à l'assurance (hépatites virales)",
    ),
    "genetic": (
        "disclosure of hereditary information concerning the person and their relatives",
        "révélation d'informations héréditaires concernant la personne et sa famille",
    ),
    "prenatal": (
        "disclosure of a pregnancy or its outcome, with serious personal and social effects",
        "révélation d'une grossesse ou de son issue, aux conséquences personnelles et sociales "
        "graves",
    ),
    "oncology": (
        "disclosure of a cancer or its suspicion: psychological harm, discrimination",
        "révélation d'un cancer ou de sa suspicion : préjudice psychologique, discrimination",
    ),
    "toxicology": (
        "disclosure of drug or alcohol use: stigmatisation, professional consequences",
        "révélation de consommation de drogues ou d'alcool : stigmatisation, conséquences "
        "professionnelles",
    ),
}


def _md(value: object) -> str:
    return _MD_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", str(value)).strip())


def _and(items: list[str], lang: str) -> str:
    word = " and " if lang == "en" else " et "
    return word.join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


def _n(value: int, lang: str) -> str:
    return f"{value:,}".replace(",", "\u202f" if lang == "fr" else ",")


def breach_facts(
    f: RunFacts, lang: str, nature: str, contact: str, aware_at: dt.datetime
) -> dict[str, Any]:
    i = 0 if lang == "en" else 1
    m = f.manifest
    counted = "extract" if f.extract is not None else "dry-run"
    moved = {
        name: int(part["transferred"])
        for name, part in f.partition.items()
        if name in m.entities and part["transferred"]
    }
    fields: dict[str, list[str]] = {}  # category -> entity.field in scope
    for name in (n for n in ORDER if n in m.entities):
        for x in m.entities[name].fields:
            fields.setdefault(ENTITIES[name].field(x).category, []).append(f"{name}.{x}")
    by_class = f.partition.get("result", {}).get("by_category", {})
    sensitive = [
        (SENSITIVE_TEXT[k][i], by_class.get(c.sensitive(k), 0), HARM[k][i])
        for k in c.SENSITIVE_CLASSES
        if by_class.get(c.sensitive(k), 0)
    ]
    direct = [
        x for n in ORDER if n in m.entities for x in m.entities[n].fields
        if ENTITIES[n].field(x).category == c.IDENTITY_DIRECT
    ]  # fmt: skip
    return {
        "m": m,
        "lang": lang,
        "nature": nature,
        "contact": contact,
        "aware_at": aware_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "deadline": (aware_at + dt.timedelta(hours=72))
        .astimezone(dt.UTC)
        .strftime("%Y-%m-%d %H:%M UTC"),
        "counted": counted,
        "patients": moved.get("patient"),
        "practitioners": moved.get("practitioner"),
        "moved": moved,
        "records": [(name, _n(v, lang)) for name, v in moved.items()],
        "total": _n(sum(moved.values()), lang),
        "categories": [
            f"{CATEGORY_TEXT[k][i]} — {', '.join(fields[k])}" for k in CATEGORY_TEXT if k in fields
        ],
        "sensitive": [(text, _n(n, lang), harm) for text, n, harm in sensitive],
        "health": "result" in moved,
        "direct": direct,
        "nir": "nir" in direct,
        "contact_data": c.CONTACT in fields,
        "free_text": c.FREE_TEXT in fields,
        "pseudonymised": _and(sorted(m.transforms.pseudonymise), lang),
        "sealed": f.extract is not None,
        "package": f.extract["package_id"] if f.extract else "",
        "certificate": f.certificate,
        "purged_at": f.certificate["destroyed_at"][:10] if f.certificate else "",
        "delete_by": m.delete_by.isoformat(),
        "audit_ok": f.audit.verified,
        "alerts": sum(1 for e in f.audit.events if e.alert),
        "n": lambda v: _n(int(v), lang),
    }


def draft_breach(
    ws: Workspace,
    mid: str,
    nature: str,
    actor: Actor,
    now: dt.datetime,
    lang: str = "en",
    contact: str | None = None,
    aware_at: dt.datetime | None = None,
) -> str:
    """The notification as Markdown; audited (its hash and counts, not its words)."""
    with audited(ws, actor, "breach.draft", now, mid) as ev:
        require_role(ws, actor, ("operator", "controller"), now)
        if lang not in LANGS:
            raise UsageError(f"unknown language {lang!r} (use {' or '.join(LANGS)})")
        text = " ".join(nature.split())
        if not NATURE_MIN <= len(text) <= NATURE_MAX:
            raise UsageError(
                f"describe the nature of the breach in {NATURE_MIN} to {NATURE_MAX} characters "
                "(what happened, when, to which copy of the data)"
            )
        f = collect(ws, mid)
        point = (contact or f.manifest.processor.contact).strip()
        if not point:
            raise UsageError(
                f"manifest {mid} gives no contact point for the processor; Art. 33(3)(b) needs "
                "one: give it with --contact"
            )
        facts = breach_facts(f, lang, text, point, aware_at or now)
        env = jinja2.Environment(
            autoescape=False,  # noqa: S701 (Markdown, not HTML: values go through `md`)
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["md"] = _md
        env.filters["cap"] = lambda s: s[:1].upper() + s[1:]
        source = resources.files("ariane.compliance").joinpath(f"templates/breach_{lang}.md.j2")
        draft = env.from_string(source.read_text("utf-8")).render(**facts)
        ev.details = {
            "lang": lang,
            "nature_sha256": sha256_hex(text.encode()),
            "draft_sha256": sha256_hex(draft.encode()),
            "records": facts["moved"],
        }
        return draft
