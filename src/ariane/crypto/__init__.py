"""Recipes only: the one place that imports hashlib, hmac, cryptography, pyrage and rfc8785.

digest (SHA-256, canonical JSON), sign (Ed25519), seal (age to X25519 recipients), passphrase
(age scrypt mode and policy), keys (the key store), secret (pseudonymisation), shred (destruction),
files (atomic private files).
"""
