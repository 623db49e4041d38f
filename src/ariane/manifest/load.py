"""Loading a manifest from YAML and computing its digest (SHA-256 over canonical JSON)."""

from __future__ import annotations

import pathlib
from typing import Any

from ariane import yamlio
from ariane.crypto.digest import canonical_digest
from ariane.manifest.schema import Manifest


def load_manifest(path: pathlib.Path) -> Manifest:
    where = f"manifest {path}"
    return parse_manifest(yamlio.read_text(path, "manifest"), where)


def parse_manifest(text: str, where: str = "manifest") -> Manifest:
    return yamlio.validate(Manifest, yamlio.parse_yaml(text, where), where)


def manifest_document(manifest: Manifest) -> dict[str, Any]:
    """The JSON form that is digested, signed, and carried in the package."""
    return manifest.model_dump(mode="json")


def manifest_digest(manifest: Manifest) -> str:
    return canonical_digest(manifest_document(manifest))


def manifest_yaml(manifest: Manifest) -> str:
    return yamlio.dump_yaml(manifest_document(manifest))
