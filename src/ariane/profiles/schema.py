"""Source profiles: how one concrete LIS schema maps onto the canonical model.

A profile is YAML (format `ariane.profile/1`). For each canonical entity it names a base table,
optional joins, and for each canonical field a column or an expression over those tables' columns.
Expressions are DuckDB SQL restricted to a whitelist (see `expressions.py`). The README documents
the format for people writing a profile for a system we have never seen.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ariane.model import categories

FORMAT = "ariane.profile/1"
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Join(_Strict):
    table: str
    alias: str
    condition: str = Field(description="join condition over the aliases, e.g. r.CODE = c.CODE")
    kind: Literal["left", "inner"] = "left"


class EntityMapping(_Strict):
    table: str = Field(description="base table: one row of it is one canonical row")
    alias: str
    joins: list[Join] = Field(default_factory=list)
    fields: dict[str, str] = Field(description="canonical field -> column or expression")

    @field_validator("table", "alias")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME.fullmatch(v):
            raise ValueError("must be a plain SQL name (letters, digits, underscore)")
        return v


class Profile(_Strict):
    format: Literal["ariane.profile/1"]
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,62}$")
    description: str = ""
    vendor: str = ""
    entities: dict[str, EntityMapping] = Field(min_length=1)
    local_codes: dict[str, str] = Field(
        default_factory=dict,
        description="local test code -> sensitivity class, for results without a LOINC code",
    )

    @field_validator("local_codes")
    @classmethod
    def _classes(cls, v: dict[str, str]) -> dict[str, str]:
        for code, cls_name in v.items():
            if cls_name not in categories.SENSITIVE_CLASSES:
                raise ValueError(
                    f"local code {code!r}: unknown sensitivity class; "
                    f"use one of {', '.join(categories.SENSITIVE_CLASSES)}"
                )
        return v
