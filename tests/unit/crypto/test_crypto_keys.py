"""The key store: creation, permissions, unlock, export, import, destruction.

scrypt costs about a second per passphrase operation: one store and one unlock are shared by
the module, and each test that must pay for scrypt pays once.
"""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest

from ariane.crypto.keys import KeyStore, PublicKeys, UnlockedKeys, generate_keys
from ariane.crypto.seal import encrypt_bytes, recipient_of
from ariane.crypto.sign import verify_signature
from ariane.errors import InputError, IntegrityError, KeyMaterialError, UsageError

PASS = "correct horse battery"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    s = KeyStore(tmp_path_factory.mktemp("keys") / "store")
    s.create("alice", PASS)
    return s


@pytest.fixture(scope="module")
def alice(store: KeyStore) -> UnlockedKeys:
    return store.unlock("alice", PASS)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_create_writes_private_files(store: KeyStore) -> None:
    d = store.root / "alice"
    assert _mode(store.root) == 0o700
    assert _mode(d) == 0o700
    assert sorted(p.name for p in d.iterdir()) == ["public.json", "secret.age"]
    assert _mode(d / "public.json") == 0o600
    assert _mode(d / "secret.age") == 0o600
    assert (d / "secret.age").read_bytes().startswith(b"age-encryption.org/v1\n")
    assert store.names() == ["alice"]
    assert not [p for p in store.root.iterdir() if p.name.startswith(".")]  # no temporary left


def test_public_document(store: KeyStore) -> None:
    pub = store.public("alice")
    doc = json.loads((store.root / "alice" / "public.json").read_bytes())
    assert doc == {
        "format": "ariane.public-key/1",
        "name": "alice",
        "age_recipient": pub.age_recipient,
        "ed25519_public": pub.ed25519_public,
    }


def test_unlocked_keys_sign_and_decrypt(store: KeyStore, alice: UnlockedKeys) -> None:
    assert alice.public == store.public("alice")
    verify_signature(alice.public.ed25519_public, b"m", alice.sign(b"m"))
    assert alice.decrypt(encrypt_bytes(b"hello", alice.public.age_recipient)) == b"hello"
    assert recipient_of(alice.identity_str) == alice.public.age_recipient
    assert alice.identity_str not in repr(alice)


def test_secret_never_on_disk_in_clear(store: KeyStore, alice: UnlockedKeys) -> None:
    for p in (store.root / "alice").iterdir():
        data = p.read_bytes()
        assert b"AGE-SECRET-KEY" not in data
        assert alice.identity_str.encode() not in data


def test_wrong_passphrase(store: KeyStore) -> None:
    with pytest.raises(KeyMaterialError, match=r"^wrong passphrase for key alice$"):
        store.unlock("alice", "wrong passphrase!!")


def test_export_identity(store: KeyStore, alice: UnlockedKeys) -> None:
    line = store.export_identity("alice", PASS)
    assert line.startswith("AGE-SECRET-KEY-1")
    assert line == alice.identity_str


def test_refusals_before_any_scrypt(store: KeyStore) -> None:
    with pytest.raises(UsageError, match="already exists"):
        store.create("alice", PASS)
    with pytest.raises(UsageError, match="at least 12"):
        store.create("bob", "short")
    for bad in ("A", "x", "Alice", "-x1", "a/b", "../etc", "a" * 64):
        with pytest.raises(UsageError):
            store.create(bad, PASS)
    with pytest.raises(UsageError, match="unknown key carol"):
        store.public("carol")
    with pytest.raises(UsageError):
        store.unlock("carol", PASS)
    with pytest.raises(UsageError):
        store.destroy("carol")


def test_import_public_and_no_secret(tmp_path: Path) -> None:
    other = generate_keys("vendor-b")
    store = KeyStore(tmp_path / "s")
    assert store.import_public(other.public.to_dict()) == other.public
    assert store.public("vendor-b") == other.public
    with pytest.raises(KeyMaterialError, match="no secret key"):
        store.unlock("vendor-b", PASS)
    with pytest.raises(UsageError):
        store.import_public(json.dumps(other.public.to_dict()))  # exists already
    third = generate_keys("lab.c")
    path = tmp_path / "pub.json"
    path.write_text(json.dumps(third.public.to_dict()))
    assert store.import_public(path).name == "lab.c"
    assert store.import_public(json.dumps(generate_keys("d4").public.to_dict())).name == "d4"


@pytest.mark.parametrize(
    "doc",
    [
        {},
        {"format": "other"},
        {
            "format": "ariane.public-key/1",
            "name": "ab",
            "age_recipient": "age1x",
            "ed25519_public": "x",
        },
    ],
)
def test_malformed_public_documents(doc: dict[str, str]) -> None:
    with pytest.raises(InputError):
        PublicKeys.from_dict(doc)
    with pytest.raises(InputError):
        PublicKeys.from_json("{not json")


def test_public_file_swapped_is_detected(store: KeyStore, tmp_path: Path) -> None:
    copy = KeyStore(tmp_path / "s")
    shutil.copytree(store.root, copy.root)  # reuse alice's sealed secret: scrypt is slow
    intruder = generate_keys("alice")
    (copy.root / "alice" / "public.json").write_text(json.dumps(intruder.public.to_dict()))
    with pytest.raises(IntegrityError, match="does not match its public key"):
        copy.unlock("alice", PASS)


def test_destroy(store: KeyStore, tmp_path: Path) -> None:
    copy = KeyStore(tmp_path / "s")
    shutil.copytree(store.root, copy.root)
    destroyed = copy.destroy("alice")
    assert sorted(Path(d.path).name for d in destroyed) == ["public.json", "secret.age"]
    assert not (copy.root / "alice").exists()
    assert copy.names() == []


def test_mismatched_unlocked_keys_refused() -> None:
    a, b = generate_keys("aa"), generate_keys("bb")
    with pytest.raises(IntegrityError):
        UnlockedKeys(a.public, b.identity_str, a._signing)
