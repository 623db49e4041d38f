"""Vocabulary shared by the FHIR R4 NDJSON writer and reader: files, systems, URLs, resource ids.

See `ariane.connectors.fhir_ndjson` for the mapping and the decisions behind it.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

JSON = dict[str, Any]

# entity -> the NDJSON files it writes; the first one holds the entity key and drives read-back.
FILES: Final[dict[str, tuple[str, ...]]] = {
    "patient": ("Patient.ndjson",),
    "practitioner": ("Practitioner.ndjson",),
    "request": ("ServiceRequest.ndjson", "Specimen.ndjson", "DiagnosticReport.ndjson"),
    "result": ("Observation.ndjson",),
    "comment": ("Communication.ndjson",),
}

# Identifier systems: one per identifier domain of the canonical model, plus the national ones.
ID_SYSTEM_PREFIX: Final = "urn:ariane:id:"
NIR_SYSTEM: Final = "urn:oid:1.2.250.1.213.1.4.8"
RPPS_SYSTEM: Final = "urn:oid:1.2.250.1.71.4.2.1"
LOINC_SYSTEM: Final = "http://loinc.org"
LOCAL_CODE_SYSTEM: Final = "urn:ariane:local-code"
SENSITIVITY_SYSTEM: Final = "urn:ariane:sensitivity"
INTERPRETATION_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBSERVATION_CATEGORY_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
DIAGNOSTIC_SERVICE_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/v2-0074"

# Extensions carrying what FHIR has no element for, so that nothing canonical is lost.
EXT_SITE: Final = "urn:ariane:fhir:collection-site"
EXT_BLANK: Final = "urn:ariane:fhir:blank"  # "<field>=<JSON of an empty/whitespace-only string>"
EXT_SEX: Final = "urn:ariane:fhir:sex"  # a sex code outside F/M/U
EXT_STATUS: Final = "urn:ariane:fhir:result-status"  # a result status outside F/P/C
EXT_VALUE_TEXT: Final = "urn:ariane:fhir:value-text"  # value_text beside a valueQuantity
EXT_CODE: Final = "urn:ariane:fhir:code"  # a code that is not a valid FHIR `code` string
DATA_ABSENT: Final = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"

GENDER: Final[dict[str, str]] = {"F": "female", "M": "male", "U": "unknown"}
SEX: Final[dict[str, str]] = {v: k for k, v in GENDER.items()}
RESULT_STATUS: Final[dict[str, str]] = {"F": "final", "P": "preliminary", "C": "corrected"}
CANONICAL_STATUS: Final[dict[str, str]] = {v: k for k, v in RESULT_STATUS.items()}
FLAGS: Final = frozenset({"L", "H", "N", "A"})

# FHIR R4 `id`: [A-Za-z0-9\-\.]{1,64}.
ID_LENGTH: Final = 32


def id_system(domain: str) -> str:
    return ID_SYSTEM_PREFIX + domain


def resource_id(key: str) -> str:
    """The FHIR id of the resource for an entity key.

    Keys (and pseudonyms) may hold any character at any length, FHIR ids may not; 128 bits of
    SHA-256 are collision-free at any laboratory's scale. The key itself travels in `identifier`.
    """
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:ID_LENGTH]
