"""Encryption under a passphrase (age's scrypt mode) and the passphrase policy.

Used for what must rest on disk but only be opened by a person: private keys and the
pseudonymisation secret. scrypt makes each attempt cost about a second, on purpose.
"""

from __future__ import annotations

import pyrage
from pyrage import passphrase as age_passphrase

from ariane.errors import IntegrityError, KeyMaterialError, UsageError

MIN_PASSPHRASE_LENGTH = 12


def check_passphrase_policy(passphrase: str) -> None:
    """UsageError unless the passphrase is acceptable for new key material."""
    if not isinstance(passphrase, str) or len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise UsageError(f"passphrase must have at least {MIN_PASSPHRASE_LENGTH} characters")


def encrypt_with_passphrase(data: bytes, passphrase: str) -> bytes:
    check_passphrase_policy(passphrase)
    try:
        return bytes(age_passphrase.encrypt(data, passphrase))
    except pyrage.EncryptError:
        raise IntegrityError("passphrase encryption failed") from None


def decrypt_with_passphrase(ciphertext: bytes, passphrase: str, *, what: str) -> bytes:
    """Open a passphrase-sealed blob; any failure is "wrong passphrase for <what>".

    age cannot tell a wrong passphrase from a damaged file (both fail the header MAC), and
    the person at the keyboard is the likelier cause.
    """
    try:
        return bytes(age_passphrase.decrypt(ciphertext, passphrase))
    except (pyrage.DecryptError, ValueError, TypeError):
        raise KeyMaterialError(f"wrong passphrase for {what}") from None
