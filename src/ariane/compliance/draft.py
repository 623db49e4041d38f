"""`dpa draft`: a processing-agreement annex (GDPR Art. 28(3)) written from a scope manifest.

The annex states the migration's facts — parties, subject-matter, the duration until the manifest's
deletion date, the data categories and data subjects actually in scope (and the categories
excluded), the sub-processors (none unless given) — with every clause Art. 28(2)–(4) requires and
the security measures Ariane applies. The drafted text is checked with `dpa check` before it is
returned: an annex that would not pass (say, a manifest whose purpose reads "to be defined") is
refused rather than handed out.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any, Literal

import jinja2

from ariane.compliance.check import check_text, require_elements
from ariane.errors import ScopeError, UsageError
from ariane.manifest.load import manifest_digest
from ariane.manifest.schema import Manifest
from ariane.model import categories as c
from ariane.model.entities import ENTITIES, ORDER

Lang = Literal["en", "fr"]
LANGS: tuple[Lang, ...] = ("en", "fr")

CATEGORY_TEXT: dict[str, tuple[str, str]] = {
    c.IDENTIFIER: (
        "technical identifiers linking the records",
        "identifiants techniques reliant les enregistrements",
    ),
    c.IDENTITY_DIRECT: (
        "direct identity of patients (names, social security number NIR/INS)",
        "identité directe des patients (noms, numéro de sécurité sociale NIR/INS)",
    ),
    c.IDENTITY_QUASI: (
        "indirect identity of patients (date of birth, sex, postal code, city)",
        "identité indirecte des patients (date de naissance, sexe, code postal, commune)",
    ),
    c.CONTACT: (
        "contact details (address, telephone, e-mail)",
        "coordonnées (adresse, téléphone, courriel)",
    ),
    c.PROFESSIONAL: (
        "practitioners' professional identity (names, RPPS number, specialty)",
        "identité professionnelle des praticiens (noms, numéro RPPS, spécialité)",
    ),
    c.HEALTH_CONTEXT: (
        "context of the analyses (collection, receipt and validation dates, site, status)",
        "contexte des analyses (dates de prélèvement, de réception et de validation, site, statut)",
    ),
    c.HEALTH_RESULT: (
        "laboratory results, data concerning health within the meaning of Article 9 of the GDPR",
        "résultats d'analyses, données de santé au sens de l'article 9 du RGPD",
    ),
    c.FREE_TEXT: ("free-text comments", "commentaires en texte libre"),
    c.CREDENTIAL: ("passwords and credentials", "mots de passe et identifiants de connexion"),
}
SENSITIVE_TEXT: dict[str, tuple[str, str]] = {
    "hiv": ("results revealing HIV status", "résultats révélant le statut VIH"),
    "sti": (
        "results of tests for sexually transmitted infections",
        "résultats de dépistage d'infections sexuellement transmissibles",
    ),
    "hepatitis": (
        "results of viral hepatitis tests",
        "résultats de sérologies d'hépatites virales",
    ),
    "genetic": ("results of genetic analyses", "résultats d'analyses génétiques"),
    "prenatal": (
        "results of prenatal and pregnancy tests",
        "résultats d'examens prénataux et de grossesse",
    ),
    "oncology": ("results of cancer markers", "résultats de marqueurs tumoraux"),
    "toxicology": ("results of toxicology tests", "résultats d'analyses toxicologiques"),
}
RULE_TEXT: dict[str, tuple[str, str]] = {
    "year": ("generalised to the year", "réduite à l'année"),
    "month": ("generalised to the month", "réduite au mois"),
    "department": ("generalised to the département", "réduit au département"),
}
_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTHS_FR = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|])")


def draft_annex(
    manifest: Manifest,
    lang: str,
    *,
    processor_measures: Sequence[str] = (),
    subprocessors: Sequence[str] = (),
) -> str:
    """The annex as Markdown. Raises PolicyError if the result would not pass `dpa check`."""
    if lang not in LANGS:
        raise UsageError(f"unknown language {lang!r} (use {' or '.join(LANGS)})")
    facts = annex_facts(manifest, lang, processor_measures, subprocessors)
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 (Markdown, not HTML: values go through `md`)
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md"] = _md
    source = resources.files("ariane.compliance").joinpath(f"templates/annex_{lang}.md.j2")
    text = env.from_string(source.read_text("utf-8")).render(**facts)
    # The draft must pass its own check; a manifest left open makes an annex left open.
    require_elements(check_text(text, f"annex_{lang}.md", "md"), strict=True)
    return text


def annex_facts(
    manifest: Manifest,
    lang: str,
    processor_measures: Sequence[str] = (),
    subprocessors: Sequence[str] = (),
) -> dict[str, Any]:
    """What the template needs, computed from the manifest (nothing from the data itself)."""
    i = 0 if lang == "en" else 1
    fields: dict[str, list[str]] = {}  # category -> "entity.field (pseudonymised)"
    names = [n for n in ORDER if n in manifest.entities]
    for name in names:
        entity = ENTITIES.get(name)
        if entity is None:
            raise ScopeError(f"manifest {manifest.id}: unknown entity {name!r}")
        for field_name in manifest.entities[name].fields:
            if not entity.has(field_name):
                raise ScopeError(f"manifest {manifest.id}: unknown field {name}.{field_name}")
            field = entity.field(field_name)
            notes = []
            if field.domain and field.domain in manifest.transforms.pseudonymise:
                notes.append(
                    ("replaced by a keyed pseudonym", "remplacé par un pseudonyme à clé")[i]
                )
            rule = manifest.transforms.generalise.get(f"{name}.{field_name}")
            if rule:
                notes.append(RULE_TEXT[rule][i])
            label = f"{name}.{field_name}" + (f" ({', '.join(notes)})" if notes else "")
            fields.setdefault(field.category, []).append(label)
    excluded = set(manifest.exclude_categories)
    in_scope = [
        {"text": CATEGORY_TEXT[cat][i], "fields": fields[cat]}
        for cat in CATEGORY_TEXT
        if cat in fields
    ]
    results = "result" in manifest.entities
    sensitive_in = [
        SENSITIVE_TEXT[k][i]
        for k in c.SENSITIVE_CLASSES
        if results and c.sensitive(k) not in excluded
    ]
    sensitive_out = [
        SENSITIVE_TEXT[k][i]
        for k in c.SENSITIVE_CLASSES
        if c.sensitive(k) in excluded or not results
    ]
    not_selected = [
        CATEGORY_TEXT[cat][i] for cat in CATEGORY_TEXT if cat not in fields and cat != c.CREDENTIAL
    ]
    subjects = []
    if any(n in manifest.entities for n in ("patient", "request", "result", "comment")):
        subjects.append(
            (
                "patients of the laboratory whose requests are in the scope of the manifest",
                "patients du laboratoire dont les demandes entrent dans le périmètre du manifeste",
            )[i]
        )
    prescriber_ids = any(
        e in manifest.entities and f in manifest.entities[e].fields
        for e, f in (("request", "prescriber_id"), ("result", "validator_id"))
    )
    if "practitioner" in manifest.entities:
        subjects.append(
            (
                "prescribing practitioners and validating biologists referred to by those requests",
                "praticiens prescripteurs et biologistes validateurs cités par ces demandes",
            )[i]
        )
    elif prescriber_ids:
        subjects.append(
            (
                "prescribing practitioners and validating biologists, by their "
                "practitioner number only",
                "praticiens prescripteurs et biologistes "
                "validateurs, par leur seul numéro de praticien",
            )[i]
        )
    pseudonymised = sorted(manifest.transforms.pseudonymise)
    return {
        "m": manifest,
        "digest": manifest_digest(manifest)[:16],
        "agreement_date": _date(manifest.agreement.date, lang),
        "delete_by": _date(manifest.delete_by, lang),
        "entities": names,
        "categories": in_scope,
        "sensitive_in": sensitive_in,
        "sensitive_out": sensitive_out,
        "excluded": sorted(excluded),
        "not_selected": not_selected,
        "free_text": manifest.free_text == "keep" and c.FREE_TEXT in fields,
        "subjects": subjects,
        "pseudonymised": pseudonymised,
        "generalised": sorted(manifest.transforms.generalise),
        "subprocessors": [s for s in (x.strip() for x in subprocessors) if s],
        "processor_measures": [s for s in (x.strip() for x in processor_measures) if s],
    }


def _date(day: dt.date, lang: str) -> str:
    if lang == "fr":
        return f"{'1er' if day.day == 1 else day.day} {_MONTHS_FR[day.month - 1]} {day.year}"
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"  # not strftime: locale-free


def _md(value: object) -> str:
    """One line of Markdown text: whitespace collapsed, markup characters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", str(value)).strip())
