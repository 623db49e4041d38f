"""Manifest and profile loaders under random input: a whole object or an ArianeError, nothing else.

The properties live in fuzz/ariane_fuzz.py (shared with the atheris harnesses); see fuzz/README.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ariane_fuzz as af
import ariane_strategies as strat
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ariane.errors import InputError
from ariane.manifest.load import load_manifest, parse_manifest
from ariane.profiles.load import load_profile
from ariane.yamlio import parse_yaml

LIMIT_S = strat.LIMIT_S
FAST = strat.fast(150)

# YAML that PyYAML parses but its constructors cannot turn into a value, plus nesting deeper
# than Python's recursion limit: each once escaped as ValueError, KeyError, AttributeError or
# RecursionError, some quoting the scalar.
BAD_YAML = [
    "delete_by: 2020-13-45",
    "a: !!int abc",
    "a: !!int 0x",
    "a: !!float x",
    "a: !!bool maybe",
    "a: !!timestamp yesterday",
    "a: 2001-12-14t21:59:43.10-99:00",
    "a: !!int " + "9" * 5000,
    "[" * 5000 + "]" * 5000,
    "a:\n" + "".join(" " * i + "- \n" for i in range(1, 3000)),
]


def _yaml_scalars() -> st.SearchStrategy[Any]:
    return (
        st.sampled_from(["2020-13-45", "!!int x", "~", "0x1F", "1_000", ".nan", "2024-01-01"])
        | st.text(max_size=12)
        | st.integers()
        | st.dates()
        | st.booleans()
        | st.none()
    )


_tree = st.recursive(
    _yaml_scalars(),
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3)
    ),
    max_leaves=8,
)


def _graft(doc: Any, path: list[int], value: Any) -> Any:
    """Replace one node of a parsed document, chosen by `path`, with `value`."""
    if not path or not isinstance(doc, dict | list) or not doc:
        return value
    if isinstance(doc, dict):
        key = sorted(doc, key=str)[path[0] % len(doc)]
        return {**doc, key: _graft(doc[key], path[1:], value)}
    i = path[0] % len(doc)
    return [*doc[:i], _graft(doc[i], path[1:], value), *doc[i + 1 :]]


def _documents(target: str) -> list[Any]:
    docs = []
    for seed in af.seeds(target):
        try:
            docs.append(parse_yaml(seed.decode("utf-8-sig"), "seed"))
        except (InputError, UnicodeDecodeError):
            continue  # the seeds include broken YAML on purpose
    return [d for d in docs if isinstance(d, dict)]


@pytest.mark.parametrize("text", BAD_YAML, ids=range(len(BAD_YAML)))
def test_regression_yaml_that_pyyaml_cannot_construct_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_manifest(text)
    assert "abc" not in caught.value.message and "maybe" not in caught.value.message


def test_regression_profile_file_with_bad_date(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("format: ariane.profile/1\nname: x\nentities: {}\nwhen: 2020-02-30\n")
    with pytest.raises(InputError):
        load_profile(str(path))


@FAST
@given(strat.mutated("manifest"))
def test_manifest_bytes(data: bytes) -> None:
    with af.time_limit(LIMIT_S):
        af.check_manifest(data)


@FAST
@given(st.sampled_from(_documents("manifest")), st.lists(st.integers(0, 50), max_size=5), _tree)
def test_manifest_tree(doc: Any, path: list[int], value: Any) -> None:
    text = yaml.safe_dump(_graft(doc, path, value), allow_unicode=True)
    with af.time_limit(LIMIT_S):
        af.check_manifest(text.encode())


@FAST
@given(strat.mutated("profile"))
def test_profile_bytes(data: bytes) -> None:
    with af.time_limit(LIMIT_S):
        af.check_profile(data)


@FAST
@given(st.sampled_from(_documents("profile")), st.lists(st.integers(0, 50), max_size=6), _tree)
def test_profile_tree(doc: Any, path: list[int], value: Any) -> None:
    text = yaml.safe_dump(_graft(doc, path, value), allow_unicode=True)
    with af.time_limit(LIMIT_S):
        af.check_profile(text.encode())


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=64))
def test_manifest_file_not_utf8(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("m") / "m.yaml"
    path.write_bytes(b"format: ariane.manifest/1\nid: \xff" + data)
    with pytest.raises(InputError):
        load_manifest(path)
