"""The pseudonymisation secret and the keyed pseudonym recipe."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

import pyarrow as pa
import pytest

from ariane.crypto.passphrase import check_passphrase_policy, decrypt_with_passphrase
from ariane.crypto.secret import new_secret, open_secret, pseudonyms, seal_secret
from ariane.errors import KeyMaterialError, UsageError

SECRET = bytes(range(32))
PASS = "a long enough passphrase"


def _reference(secret: bytes, domain: str, value: str) -> str:
    mac = hmac.new(secret, domain.encode() + b"\x00" + value.encode("utf-8"), hashlib.sha256)
    return mac.digest()[:16].hex()


def test_new_secret_uses_the_given_random_source() -> None:
    assert new_secret(lambda n: b"\x07" * n) == b"\x07" * 32
    assert len(new_secret()) == 32
    assert new_secret() != new_secret()
    with pytest.raises(KeyMaterialError):
        new_secret(lambda n: b"short")


def test_seal_and_open(tmp_path: Path) -> None:
    path = tmp_path / "secret.age"
    seal_secret(SECRET, path, PASS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SECRET not in path.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["secret.age"]  # no temporary left
    assert open_secret(path, PASS) == SECRET
    with pytest.raises(UsageError):  # never overwrite a secret: data sealed under it would be lost
        seal_secret(SECRET, path, PASS)
    with pytest.raises(KeyMaterialError, match="wrong passphrase for the pseudonymisation secret"):
        open_secret(path, "another passphrase")
    with pytest.raises(UsageError):
        open_secret(tmp_path / "missing.age", PASS)


def test_seal_refusals(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        seal_secret(SECRET, tmp_path / "s", "short")
    with pytest.raises(KeyMaterialError):
        seal_secret(b"x" * 31, tmp_path / "s", PASS)
    assert not (tmp_path / "s").exists()


def test_passphrase_policy_and_garbage() -> None:
    check_passphrase_policy("x" * 12)
    with pytest.raises(UsageError):
        check_passphrase_policy("x" * 11)
    with pytest.raises(KeyMaterialError):
        decrypt_with_passphrase(b"garbage", PASS, what="thing")


def test_pseudonyms_match_the_specified_recipe() -> None:
    values = ["P000001", "Dupont", "é-ß-中", ""]
    out = pseudonyms(SECRET, "patient", pa.array(values)).to_pylist()
    assert out == [_reference(SECRET, "patient", v) for v in values]
    assert all(len(p) == 32 and p == p.lower() for p in out)


def test_pseudonyms_deterministic_and_separated() -> None:
    values = pa.array(["123", "456", "123"])
    a = pseudonyms(SECRET, "patient", values).to_pylist()
    assert a == pseudonyms(SECRET, "patient", values).to_pylist()
    assert a[0] == a[2] and a[0] != a[1]
    other_domain = pseudonyms(SECRET, "practitioner", values).to_pylist()
    assert set(a).isdisjoint(other_domain)
    other_secret = pseudonyms(bytes(32), "patient", values).to_pylist()
    assert set(a).isdisjoint(other_secret)


def test_domain_boundary_is_unambiguous() -> None:
    # Without the NUL separator, ("ab", "c") and ("a", "bc") would hash the same bytes.
    assert (
        pseudonyms(SECRET, "ab", pa.array(["c"]))[0] != pseudonyms(SECRET, "a", pa.array(["bc"]))[0]
    )


def test_nulls_preserved_and_types() -> None:
    out = pseudonyms(SECRET, "patient", pa.array(["a", None, "b", None]))
    assert out.type == pa.string()
    assert out.null_count == 2
    assert out.is_null().to_pylist() == [False, True, False, True]
    large = pseudonyms(SECRET, "patient", pa.array(["a", None], type=pa.large_string()))
    assert large.to_pylist() == [_reference(SECRET, "patient", "a"), None]
    chunked = pseudonyms(SECRET, "patient", pa.chunked_array([["a"], [], ["b", None]]))
    assert chunked.to_pylist() == [
        _reference(SECRET, "patient", "a"),
        _reference(SECRET, "patient", "b"),
        None,
    ]
    assert len(pseudonyms(SECRET, "patient", pa.array([], type=pa.string()))) == 0
    assert pseudonyms(SECRET, "patient", pa.chunked_array([], type=pa.string())).to_pylist() == []


def test_pseudonym_refusals() -> None:
    with pytest.raises(UsageError):
        pseudonyms(SECRET, "patient", pa.array([1, 2]))
    for bad in ("", "pa\x00tient"):
        with pytest.raises(UsageError):
            pseudonyms(SECRET, bad, pa.array(["a"]))
    with pytest.raises(KeyMaterialError):
        pseudonyms(b"short", "patient", pa.array(["a"]))
