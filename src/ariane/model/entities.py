"""The canonical laboratory model (DESIGN.md §4): five entities, their fields, types and categories.

Sources and targets meet here. Every field carries a data category; identifier fields carry a
*domain*, so that the same identifier (a patient id in `patient` and in `request`) is recognised
as one, is pseudonymised with one key, and keeps its links.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pyarrow as pa

from ariane.model import categories as c


@dataclass(frozen=True)
class Field:
    name: str
    type: pa.DataType
    category: str
    description: str
    domain: str | None = None  # identifier domain: fields sharing it hold the same identifiers
    references: str | None = None  # entity whose key this field points to

    @property
    def type_name(self) -> str:
        return TYPE_NAMES[self.type]


@dataclass(frozen=True)
class Entity:
    name: str
    key: str
    fields: tuple[Field, ...]
    description: str

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def has(self, name: str) -> bool:
        return any(f.name == name for f in self.fields)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def schema(self, names: tuple[str, ...] | list[str] | None = None) -> pa.Schema:
        wanted = self.field_names if names is None else tuple(names)
        return pa.schema([pa.field(n, self.field(n).type) for n in wanted])


STRING: Final = pa.string()
DATE: Final = pa.date32()
TIMESTAMP: Final = pa.timestamp("us")
FLOAT: Final = pa.float64()

TYPE_NAMES: Final[dict[pa.DataType, str]] = {
    STRING: "string",
    DATE: "date",
    TIMESTAMP: "timestamp",
    FLOAT: "float",
}


def _id(name: str, domain: str, description: str, references: str | None = None) -> Field:
    return Field(name, STRING, c.IDENTIFIER, description, domain=domain, references=references)


PATIENT = Entity(
    "patient",
    "patient_id",
    (
        _id("patient_id", "patient", "the source system's patient number"),
        Field("family_name", STRING, c.IDENTITY_DIRECT, "usual family name"),
        Field("birth_name", STRING, c.IDENTITY_DIRECT, "family name at birth"),
        Field("given_name", STRING, c.IDENTITY_DIRECT, "given names"),
        Field("nir", STRING, c.IDENTITY_DIRECT, "social security number (NIR) or INS", "nir"),
        Field("birth_date", DATE, c.IDENTITY_QUASI, "date of birth"),
        Field("sex", STRING, c.IDENTITY_QUASI, "administrative sex: F, M or U"),
        Field("address", STRING, c.CONTACT, "street address"),
        Field("postal_code", STRING, c.IDENTITY_QUASI, "postal code"),
        Field("city", STRING, c.IDENTITY_QUASI, "city"),
        Field("phone", STRING, c.CONTACT, "telephone number"),
        Field("email", STRING, c.CONTACT, "e-mail address"),
        Field("portal_password", STRING, c.CREDENTIAL, "results-portal password or hash"),
    ),
    "a person whose samples the laboratory analysed",
)

PRACTITIONER = Entity(
    "practitioner",
    "practitioner_id",
    (
        _id("practitioner_id", "practitioner", "the source system's practitioner number"),
        Field("family_name", STRING, c.PROFESSIONAL, "family name"),
        Field("given_name", STRING, c.PROFESSIONAL, "given names"),
        Field("rpps", STRING, c.PROFESSIONAL, "RPPS or ADELI number", "rpps"),
        Field("specialty", STRING, c.PROFESSIONAL, "specialty or profession"),
    ),
    "a prescriber or a validating biologist",
)

REQUEST = Entity(
    "request",
    "request_id",
    (
        _id("request_id", "request", "the request (dossier) number"),
        _id("patient_id", "patient", "the patient sampled", "patient"),
        _id("prescriber_id", "practitioner", "the prescribing practitioner", "practitioner"),
        Field("collected_at", TIMESTAMP, c.HEALTH_CONTEXT, "when the specimen was collected"),
        Field("received_at", TIMESTAMP, c.HEALTH_CONTEXT, "when the laboratory received it"),
        Field("site", STRING, c.HEALTH_CONTEXT, "collection site"),
    ),
    "a laboratory order (dossier): one patient, one collection",
)

RESULT = Entity(
    "result",
    "result_id",
    (
        _id("result_id", "result", "the result line number"),
        _id("request_id", "request", "the request the result belongs to", "request"),
        Field("loinc_code", STRING, c.HEALTH_RESULT, "LOINC code of the analyte, when mapped"),
        Field("local_code", STRING, c.HEALTH_RESULT, "the laboratory's own test code"),
        Field("label", STRING, c.HEALTH_RESULT, "test name"),
        Field("value_num", FLOAT, c.HEALTH_RESULT, "numeric value"),
        Field("value_text", STRING, c.HEALTH_RESULT, "coded or textual value"),
        Field("unit", STRING, c.HEALTH_RESULT, "unit of the numeric value (UCUM when known)"),
        Field("ref_low", FLOAT, c.HEALTH_RESULT, "reference range, low bound"),
        Field("ref_high", FLOAT, c.HEALTH_RESULT, "reference range, high bound"),
        Field("flag", STRING, c.HEALTH_RESULT, "abnormal flag: L, H, N, A"),
        Field("status", STRING, c.HEALTH_CONTEXT, "F final, P preliminary, C corrected"),
        Field("validated_at", TIMESTAMP, c.HEALTH_CONTEXT, "when a biologist validated it"),
        _id("validator_id", "practitioner", "the validating biologist", "practitioner"),
        Field(
            "sensitivity",
            STRING,
            c.HEALTH_RESULT,
            "health.result or health.sensitive.<class>, from the LOINC code or local code table",
        ),
    ),
    "one analyte result",
)

COMMENT = Entity(
    "comment",
    "comment_id",
    (
        _id("comment_id", "comment", "the comment number"),
        _id("request_id", "request", "the request it is attached to", "request"),
        _id("result_id", "result", "the result it is attached to, if any", "result"),
        Field("written_at", TIMESTAMP, c.HEALTH_CONTEXT, "when it was written"),
        Field("text", STRING, c.FREE_TEXT, "the comment itself"),
    ),
    "free text attached to a request or a result",
)

ENTITIES: Final[dict[str, Entity]] = {
    e.name: e for e in (PATIENT, PRACTITIONER, REQUEST, RESULT, COMMENT)
}

# Extraction and load order: referenced entities first.
ORDER: Final = ("patient", "practitioner", "request", "result", "comment")


def entity(name: str) -> Entity:
    return ENTITIES[name]
