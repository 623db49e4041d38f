"""The package index: what the package holds, signed by the sender (DESIGN §6).

A frozen pydantic model, validated on load. It names entities, columns, row counts and hashes —
never a data value. `stats` is free-form JSON supplied by the caller (field digests, counts).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ariane.crypto.digest import canonical_json
from ariane.errors import IntegrityError
from ariane.package.layout import ENTITY_PATTERN, part_file

Sha256Hex = Field(pattern=r"^[0-9a-f]{64}$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Column(_Frozen):
    name: str = Field(min_length=1)
    type: str = Field(min_length=1)  # str(pyarrow.DataType), e.g. "timestamp[us]"


class Part(_Frozen):
    file: str
    rows: int = Field(ge=0)
    plaintext_sha256: str = Sha256Hex
    ciphertext_sha256: str = Sha256Hex
    ciphertext_size: int = Field(gt=0)


class EntityEntry(_Frozen):
    rows: int = Field(ge=0)
    columns: tuple[Column, ...] = Field(min_length=1)
    parts: tuple[Part, ...] = Field(min_length=1)
    stats: dict[str, Any]

    @model_validator(mode="after")
    def _consistent(self) -> EntityEntry:
        if sum(p.rows for p in self.parts) != self.rows:
            raise ValueError("part rows do not add up to the entity's rows")
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError("duplicate column")
        return self


class Sender(_Frozen):
    name: str
    ed25519_public: str


class Recipient(_Frozen):
    name: str
    age_recipient: str


class PackageIndex(_Frozen):
    format: Literal["ariane.package/1"]  # layout.FORMAT
    package_id: str = Field(min_length=1)
    created_at: str
    manifest_id: str = Field(min_length=1)
    manifest_digest: str = Sha256Hex
    manifest_file_sha256: str = Sha256Hex
    sender: Sender
    recipient: Recipient
    entities: dict[str, EntityEntry] = Field(min_length=1)

    @field_validator("created_at")
    @classmethod
    def _iso_with_zone(cls, value: str) -> str:
        if datetime.fromisoformat(value).tzinfo is None:
            raise ValueError("created_at needs a time zone")
        return value

    @model_validator(mode="after")
    def _part_names(self) -> PackageIndex:
        # Part files are named by position: an index cannot point outside parts/ or reuse a file.
        for entity, entry in self.entities.items():
            if not ENTITY_PATTERN.fullmatch(entity):
                raise ValueError("malformed entity name")
            for number, part in enumerate(entry.parts):
                if part.file != part_file(entity, number):
                    raise ValueError("part file names must follow the entity and part number")
        return self

    def to_bytes(self) -> bytes:
        """The signed form: canonical JSON (RFC 8785)."""
        return canonical_json(self.model_dump(mode="json"))

    @classmethod
    def from_bytes(cls, data: bytes) -> PackageIndex:
        try:
            return cls.model_validate_json(data)
        except (ValidationError, ValueError, RecursionError):
            # pydantic's message quotes inputs: keep only the file's name.
            raise IntegrityError("index.json is malformed") from None
