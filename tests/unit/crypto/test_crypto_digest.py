"""Digests and canonical JSON."""

from __future__ import annotations

import hashlib

import pytest

from ariane.crypto.digest import Sha256, canonical_digest, canonical_json, sha256_hex
from ariane.errors import InputError


def test_sha256_hex_known_vector() -> None:
    assert sha256_hex(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_incremental_equals_one_shot_and_counts_bytes() -> None:
    h = Sha256()
    for chunk in (b"ab", bytearray(b"c"), memoryview(b"defg")):
        h.update(chunk)
    assert h.hexdigest() == hashlib.sha256(b"abcdefg").hexdigest()
    assert h.size == 7


def test_canonical_json_sorts_keys_and_has_no_whitespace() -> None:
    assert canonical_json({"b": 1, "a": [1.5, "é", None, True]}) == (
        b'{"a":[1.5,"\xc3\xa9",null,true],"b":1}'
    )


def test_canonical_digest_ignores_key_order() -> None:
    assert canonical_digest({"a": 1, "b": {"c": 2, "d": 3}}) == canonical_digest(
        {"b": {"d": 3, "c": 2}, "a": 1}
    )
    assert canonical_digest({"a": 1}) != canonical_digest({"a": 2})


@pytest.mark.parametrize("bad", [{"a": float("nan")}, {"a": object()}, {1: "x"}, {"a": 2**60}])
def test_non_json_refused_without_quoting_the_value(bad: object) -> None:
    with pytest.raises(InputError) as err:
        canonical_json(bad)
    assert "nan" not in err.value.message
    assert "1152921504606846976" not in err.value.message
