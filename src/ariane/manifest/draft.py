"""A minimal manifest drafted from a profile: nothing sensitive selected by default.

The draft transfers, for each mapped entity, the fields whose category is not sensitive by default
(no direct identity, contact, free text, credential), pseudonymises the patient identifier,
coarsens birth dates to the year and postal codes to the department, and excludes every sensitive
result class. Widening it is a deliberate edit that the controller then approves.
"""

from __future__ import annotations

import datetime as dt

from ariane.manifest.schema import (
    Agreement,
    EntityScope,
    Manifest,
    Party,
    Processor,
    Recipient,
    Source,
    Transforms,
)
from ariane.model import categories
from ariane.model.entities import ENTITIES, ORDER
from ariane.profiles.compile import mapped_fields
from ariane.profiles.load import profile_digest
from ariane.profiles.schema import Profile


def draft_manifest(
    profile: Profile,
    *,
    manifest_id: str,
    author: str,
    controller: str,
    processor: str,
    processor_key: str,
    recipient: str,
    recipient_key: str,
    agreement_reference: str,
    agreement_date: dt.date,
    delete_by: dt.date,
    purpose: str = "Migration of laboratory history to the new laboratory information system",
    collected_since: dt.date | None = None,
) -> Manifest:
    entities: dict[str, EntityScope] = {}
    for name in ORDER:
        mapped = mapped_fields(profile, name)
        if not mapped:
            continue
        fields = [
            f.name
            for f in ENTITIES[name].fields
            if f.name in mapped and f.category not in categories.SENSITIVE_BY_DEFAULT
        ]
        if ENTITIES[name].key not in fields:
            continue
        if name == "comment" and "text" not in fields:
            continue  # a comment without its text carries nothing
        flt = None
        if name == "request" and collected_since is not None:
            flt = f"collected_at >= DATE '{collected_since.isoformat()}'"
        entities[name] = EntityScope(fields=fields, filter=flt)
    generalise: dict[str, str] = {}
    patient = entities.get("patient")
    if patient is not None:
        if "birth_date" in patient.fields:
            generalise["patient.birth_date"] = "year"
        if "postal_code" in patient.fields:
            generalise["patient.postal_code"] = "department"
    return Manifest(
        format="ariane.manifest/1",
        id=manifest_id,
        title=f"Migration {manifest_id}",
        purpose=purpose,
        author=author,
        controller=Party(name=controller),
        processor=Processor(name=processor, signing_key=processor_key),
        recipient=Recipient(name=recipient, key=recipient_key),
        agreement=Agreement(reference=agreement_reference, date=agreement_date),
        source=Source(profile=profile.name, profile_digest=profile_digest(profile)),
        delete_by=delete_by,
        entities=entities,
        exclude_categories=sorted(categories.SENSITIVE_CATEGORIES),
        free_text="drop",
        transforms=Transforms(pseudonymise=["patient"], generalise=generalise),  # type: ignore[arg-type]
    )
