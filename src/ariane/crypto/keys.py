"""A party's keys: an age X25519 identity (to open packages) and an Ed25519 key (to sign).

On disk, under a key store root:

    <root>/<name>/public.json   canonical JSON {format, name, age_recipient, ed25519_public}
    <root>/<name>/secret.age    age passphrase file holding canonical JSON
                                {format, age_identity, ed25519_private (base64)}

Directories are 0700, files 0600, and a key directory appears whole or not at all (it is built
under a temporary name and renamed). The secret is only ever in memory once unlocked.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ariane.crypto.digest import canonical_json
from ariane.crypto.files import PRIVATE_DIR, fsync_dir, make_private_dir, write_new_file
from ariane.crypto.passphrase import (
    check_passphrase_policy,
    decrypt_with_passphrase,
    encrypt_with_passphrase,
)
from ariane.crypto.seal import check_recipient, decrypt_bytes, new_identity, recipient_of
from ariane.crypto.shred import DestroyedFile, destroy_tree
from ariane.crypto.sign import SigningKey, check_public_b64
from ariane.errors import InputError, IntegrityError, KeyMaterialError, UsageError

PUBLIC_FORMAT = "ariane.public-key/1"
SECRET_FORMAT = "ariane.secret-key/1"  # noqa: S105 (a format tag, not a password)
PUBLIC_FILE = "public.json"
SECRET_FILE = "secret.age"  # noqa: S105 (a file name)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,62}$")


def check_key_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise UsageError("key name must match ^[a-z0-9][a-z0-9_.-]{1,62}$")
    return name


@dataclass(frozen=True)
class PublicKeys:
    """What a party publishes: its name, where to seal to, which signatures are its."""

    name: str
    age_recipient: str
    ed25519_public: str

    def __post_init__(self) -> None:
        try:
            check_key_name(self.name)
        except UsageError:
            raise InputError("public key has a malformed name") from None
        check_recipient(self.age_recipient)
        check_public_b64(self.ed25519_public)

    def to_dict(self) -> dict[str, str]:
        return {
            "format": PUBLIC_FORMAT,
            "name": self.name,
            "age_recipient": self.age_recipient,
            "ed25519_public": self.ed25519_public,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PublicKeys:
        if not isinstance(data, Mapping) or data.get("format") != PUBLIC_FORMAT:
            raise InputError(f"public key document is not {PUBLIC_FORMAT}")
        if set(data) != {"format", "name", "age_recipient", "ed25519_public"}:
            raise InputError("public key document has missing or unknown fields")
        if not all(isinstance(data[k], str) for k in ("name", "age_recipient", "ed25519_public")):
            raise InputError("public key document fields must be strings")
        return cls(data["name"], data["age_recipient"], data["ed25519_public"])

    @classmethod
    def from_json(cls, text: str | bytes) -> PublicKeys:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise InputError("public key document is not JSON") from None
        return cls.from_dict(data)


class UnlockedKeys:
    """A party's private keys, in memory. Never printed: repr shows the public half only."""

    __slots__ = ("_identity", "_signing", "public")

    def __init__(self, public: PublicKeys, identity_str: str, signing: SigningKey) -> None:
        if recipient_of(identity_str) != public.age_recipient:
            raise IntegrityError(f"age identity of key {public.name} does not match its public key")
        if signing.public_b64 != public.ed25519_public:
            raise IntegrityError(f"signing key of key {public.name} does not match its public key")
        self.public = public
        self._identity = identity_str
        self._signing = signing

    @property
    def identity_str(self) -> str:
        """The AGE-SECRET-KEY-1… line. Secret: for exporting to the age tool only."""
        return self._identity

    def sign(self, message: bytes) -> bytes:
        return self._signing.sign(message)

    @property
    def signing_key(self) -> SigningKey:
        """The Ed25519 key itself, for recipes that take one (audit checkpoints)."""
        return self._signing

    def decrypt(self, ciphertext: bytes, *, what: str = "ciphertext") -> bytes:
        return decrypt_bytes(ciphertext, self._identity, what=what)

    def __repr__(self) -> str:
        return f"UnlockedKeys(name={self.public.name!r})"

    def _secret_document(self) -> bytes:
        return canonical_json(
            {
                "format": SECRET_FORMAT,
                "age_identity": self._identity,
                "ed25519_private": base64.b64encode(self._signing.private_bytes()).decode("ascii"),
            }
        )


def generate_keys(name: str) -> UnlockedKeys:
    """New keys held in memory only (KeyStore.create persists them under a passphrase)."""
    check_key_name(name)
    identity, recipient = new_identity()
    signing = SigningKey.generate()
    return UnlockedKeys(PublicKeys(name, recipient, signing.public_b64), identity, signing)


def _parse_secret(plain: bytes, public: PublicKeys) -> UnlockedKeys:
    try:
        data = json.loads(plain)
        if data.get("format") != SECRET_FORMAT:
            raise ValueError
        raw = base64.b64decode(data["ed25519_private"], validate=True)
        identity = data["age_identity"]
        if not isinstance(identity, str):
            raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise IntegrityError(f"secret file of key {public.name} is malformed") from None
    return UnlockedKeys(public, identity, SigningKey.from_private_bytes(raw))


class KeyStore:
    """Named key pairs under `root`, each private half sealed under its owner's passphrase."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _dir(self, name: str) -> Path:
        return self.root / check_key_name(name)

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if _NAME.fullmatch(p.name) and p.is_dir())

    def create(self, name: str, passphrase: str) -> PublicKeys:
        check_passphrase_policy(passphrase)
        if self._dir(name).exists():  # before paying for scrypt
            raise UsageError(f"key {name} already exists")
        keys = generate_keys(name)
        sealed = encrypt_with_passphrase(keys._secret_document(), passphrase)
        self._publish(name, keys.public, sealed)
        return keys.public

    def import_public(self, source: Path | str | Mapping[str, Any]) -> PublicKeys:
        """Record another party's public keys (a public.json path, its JSON text, or a dict)."""
        if isinstance(source, Path):
            try:
                public = PublicKeys.from_json(source.read_bytes())
            except FileNotFoundError:
                raise UsageError(f"no public key file {source.name}") from None
        elif isinstance(source, str):
            public = PublicKeys.from_json(source)
        else:
            public = PublicKeys.from_dict(source)
        self._publish(public.name, public, None)
        return public

    def _publish(self, name: str, public: PublicKeys, sealed: bytes | None) -> None:
        final = self._dir(name)
        if final.exists():
            raise UsageError(f"key {name} already exists")
        if not self.root.exists():
            self.root.mkdir(parents=True, mode=PRIVATE_DIR)
        tmp = self.root / f".{name}.{os.getpid()}.tmp"
        make_private_dir(tmp)
        try:
            write_new_file(tmp / PUBLIC_FILE, canonical_json(public.to_dict()))
            if sealed is not None:
                write_new_file(tmp / SECRET_FILE, sealed)
            fsync_dir(tmp)
            if final.exists():  # rename() would replace an empty directory silently
                raise UsageError(f"key {name} already exists")
            os.rename(tmp, final)
        except BaseException:
            destroy_tree(tmp)
            raise
        fsync_dir(self.root)

    def public(self, name: str) -> PublicKeys:
        path = self._dir(name) / PUBLIC_FILE
        try:
            text = path.read_bytes()
        except FileNotFoundError:
            raise UsageError(f"unknown key {name}") from None
        public = PublicKeys.from_json(text)
        if public.name != name:
            raise IntegrityError(f"public key file of key {name} names another key")
        return public

    def unlock(self, name: str, passphrase: str) -> UnlockedKeys:
        public = self.public(name)
        try:
            sealed = (self._dir(name) / SECRET_FILE).read_bytes()
        except FileNotFoundError:
            raise KeyMaterialError(f"no secret key for {name} in this key store") from None
        plain = decrypt_with_passphrase(sealed, passphrase, what=f"key {name}")
        return _parse_secret(plain, public)

    def export_identity(self, name: str, passphrase: str) -> str:
        """The AGE-SECRET-KEY-1… line, for `age -d -i`. The caller must keep it private."""
        return self.unlock(name, passphrase).identity_str

    def destroy(self, name: str) -> list[DestroyedFile]:
        """Destroy the key's files; packages sealed to it can no longer be opened."""
        path = self._dir(name)
        if not path.is_dir():
            raise UsageError(f"unknown key {name}")
        return destroy_tree(path)
