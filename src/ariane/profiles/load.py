"""Loading a profile (a file or a built-in name) and its digest, which the manifest pins."""

from __future__ import annotations

import pathlib
from importlib import resources

from ariane import yamlio
from ariane.crypto.digest import canonical_digest
from ariane.errors import ScopeError, UsageError
from ariane.model.entities import ENTITIES
from ariane.profiles.schema import Profile

DERIVED_FIELDS = {("result", "sensitivity")}


def builtin_names() -> list[str]:
    root = resources.files("ariane.profiles").joinpath("builtin")
    return sorted(p.name.removesuffix(".yaml") for p in root.iterdir() if p.name.endswith(".yaml"))


def load_profile(ref: str) -> Profile:
    """`ref` is a built-in profile name or a path to a YAML file."""
    if ref in builtin_names():
        text = resources.files("ariane.profiles").joinpath("builtin", f"{ref}.yaml").read_text()
        where = f"built-in profile {ref}"
    else:
        path = pathlib.Path(ref)
        if not path.exists():
            known = ", ".join(builtin_names())
            raise UsageError(f"profile {ref!r} is neither a file nor a built-in profile ({known})")
        text = yamlio.read_text(path, "profile")
        where = f"profile {path}"
    profile = yamlio.validate(Profile, yamlio.parse_yaml(text, where), where)
    check_against_model(profile)
    return profile


def check_against_model(profile: Profile) -> None:
    """Every mapped entity and field must exist in the canonical model and not be derived."""
    for name, mapping in profile.entities.items():
        entity = ENTITIES.get(name)
        if entity is None:
            raise ScopeError(f"profile {profile.name}: unknown canonical entity {name!r}")
        for field in mapping.fields:
            if not entity.has(field):
                raise ScopeError(f"profile {profile.name}: {name} has no canonical field {field!r}")
            if (name, field) in DERIVED_FIELDS:
                raise ScopeError(
                    f"profile {profile.name}: {name}.{field} is derived by Ariane, do not map it"
                )
        if entity.key not in mapping.fields:
            raise ScopeError(f"profile {profile.name}: {name} must map its key {entity.key}")


def profile_digest(profile: Profile) -> str:
    return canonical_digest(profile.model_dump(mode="json", by_alias=True))
