"""The scope manifest: the controller's documented instruction (DESIGN §5), as a typed model.

Only the structure is checked here. Whether the named fields exist, are mapped by the profile and
are allowed (no credential, no excluded category, free text only when kept) is `validate.py`'s job.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

FORMAT = "ariane.manifest/1"
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Party(_Strict):
    name: str = Field(min_length=1, max_length=200)
    contact: str = Field(default="", max_length=200)


class Recipient(Party):
    key: str = Field(description="the recipient's age X25519 public key (age1...)")

    @field_validator("key")
    @classmethod
    def _age_key(cls, v: str) -> str:
        if not re.fullmatch(r"age1[0-9a-z]{58}", v):
            raise ValueError("must be an age X25519 public key (age1 followed by 58 characters)")
        return v


class Processor(Party):
    signing_key: str = Field(description="name of the processor's key in the key store")


class Agreement(_Strict):
    reference: str = Field(min_length=1, max_length=120)
    date: dt.date


class Source(_Strict):
    profile: str = Field(description="name of the source profile")
    profile_digest: str = Field(pattern=r"^[0-9a-f]{64}$")


class EntityScope(_Strict):
    fields: list[str] = Field(min_length=1)
    filter: str | None = None

    @field_validator("fields")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("fields are listed more than once")
        return v


GeneraliseRule = Literal["year", "month", "department"]


class Transforms(_Strict):
    pseudonymise: list[str] = Field(
        default_factory=list,
        description="identifier domains replaced by keyed pseudonyms everywhere they occur",
    )
    generalise: dict[str, GeneraliseRule] = Field(
        default_factory=dict, description="entity.field -> rule"
    )


class Manifest(_Strict):
    format: Literal["ariane.manifest/1"]
    id: str
    title: str = Field(min_length=1, max_length=200)
    purpose: str = Field(min_length=1, max_length=2000)
    author: str = Field(min_length=1, description="the person who drafted this manifest")
    controller: Party
    processor: Processor
    recipient: Recipient
    agreement: Agreement
    source: Source
    delete_by: dt.date
    entities: dict[str, EntityScope] = Field(min_length=1)
    exclude_categories: list[str] = Field(default_factory=list)
    free_text: Literal["drop", "keep"] = "drop"
    transforms: Transforms = Field(default_factory=Transforms)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_PATTERN.fullmatch(v):
            raise ValueError("must be 1-64 letters, digits, '.', '_' or '-'")
        return v
