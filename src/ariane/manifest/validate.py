"""Checking a manifest against the canonical model and a source profile.

`verify_manifest` returns nothing or raises ScopeError naming the first problem. Rules:
- every entity and field exists in the canonical model and is mapped by the profile;
- an entity's key is always transferred (links and reconciliation need it);
- credentials never leave; a field of an excluded category cannot be selected;
- free text only when the manifest says `free_text: keep`;
- excluded result classes need a profile that classifies results (LOINC or local codes);
- transforms name known domains and fields of the right type; filters parse and are mapped;
- the manifest pins this very profile, by name and digest.
"""

from __future__ import annotations

from ariane.errors import ScopeError
from ariane.manifest.schema import Manifest
from ariane.model import categories
from ariane.model.entities import DATE, ENTITIES, STRING, TIMESTAMP
from ariane.profiles.compile import mapped_fields
from ariane.profiles.load import profile_digest
from ariane.profiles.schema import Profile
from ariane.scope.filters import Filter, parse_filter

DOMAINS = sorted({f.domain for e in ENTITIES.values() for f in e.fields if f.domain})


def verify_manifest(manifest: Manifest, profile: Profile) -> dict[str, Filter]:
    """Raise ScopeError on the first violation; return the parsed filters by entity."""
    where = f"manifest {manifest.id}"
    if manifest.source.profile != profile.name:
        raise ScopeError(f"{where} names profile {manifest.source.profile}, not {profile.name}")
    if manifest.source.profile_digest != profile_digest(profile):
        raise ScopeError(f"{where} was written for another version of profile {profile.name}")
    for cat in manifest.exclude_categories:
        if not categories.is_category(cat):
            raise ScopeError(f"{where}: unknown data category {cat!r} in exclude_categories")
    filters: dict[str, Filter] = {}
    for name, scope in manifest.entities.items():
        entity = ENTITIES.get(name)
        if entity is None:
            raise ScopeError(f"{where}: unknown entity {name!r}")
        mapped = mapped_fields(profile, name)
        if entity.key not in scope.fields:
            raise ScopeError(f"{where}: {name} must transfer its key {entity.key}")
        for field_name in scope.fields:
            if not entity.has(field_name):
                raise ScopeError(f"{where}: {name} has no field {field_name!r}")
            field = entity.field(field_name)
            if field_name not in mapped:
                raise ScopeError(f"{where}: {name}.{field_name} is not mapped by the profile")
            if field.category == categories.CREDENTIAL:
                raise ScopeError(f"{where}: {name}.{field_name} is a credential; never migratable")
            if field.category in manifest.exclude_categories:
                raise ScopeError(
                    f"{where}: {name}.{field_name} is {field.category}, which the manifest excludes"
                )
            if field.category == categories.FREE_TEXT and manifest.free_text != "keep":
                raise ScopeError(
                    f"{where}: {name}.{field_name} is free text; set free_text: keep to transfer it"
                )
        if scope.filter is not None:
            flt = parse_filter(entity, scope.filter)
            for col in flt.columns - mapped:
                raise ScopeError(f"{where}: filter of {name} uses {col}, not mapped by the profile")
            filters[name] = flt
    _check_sensitivity(manifest, profile, where)
    _check_transforms(manifest, where)
    if manifest.delete_by <= manifest.agreement.date:
        raise ScopeError(f"{where}: delete_by must come after the agreement date")
    return filters


def _check_sensitivity(manifest: Manifest, profile: Profile, where: str) -> None:
    excluded = set(manifest.exclude_categories) & categories.SENSITIVE_CATEGORIES
    if not excluded or "result" not in manifest.entities:
        return
    if "sensitivity" not in mapped_fields(profile, "result"):
        raise ScopeError(
            f"{where} excludes sensitive results but profile {profile.name} maps neither "
            "loinc_code nor local_code, so results cannot be classified"
        )


def _check_transforms(manifest: Manifest, where: str) -> None:
    for domain in manifest.transforms.pseudonymise:
        if domain not in DOMAINS:
            raise ScopeError(
                f"{where}: cannot pseudonymise {domain!r}; domains are {', '.join(DOMAINS)}"
            )
    for target, rule in manifest.transforms.generalise.items():
        entity_name, _, field_name = target.partition(".")
        scope = manifest.entities.get(entity_name)
        if scope is None or field_name not in scope.fields:
            raise ScopeError(f"{where}: generalise names {target}, which is not transferred")
        ftype = ENTITIES[entity_name].field(field_name).type
        if rule in ("year", "month") and ftype not in (DATE, TIMESTAMP):
            raise ScopeError(f"{where}: {target} is not a date; {rule} does not apply")
        if rule == "department" and ftype != STRING:
            raise ScopeError(f"{where}: {target} is not text; department does not apply")
