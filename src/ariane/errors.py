"""One error hierarchy. Every message names ids and counts, never a patient value.

Each class carries the process exit code the CLI returns for it; the README lists them.
"""

from __future__ import annotations


class ArianeError(Exception):
    """Root of every error Ariane raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(ArianeError):
    """Bad arguments or a missing file named on the command line."""

    exit_code = 2


class InputError(ArianeError):
    """A malformed manifest, profile, key file or other document read from outside."""

    exit_code = 3


class ScopeError(ArianeError):
    """A manifest or profile that does not fit the canonical model or the live source."""

    exit_code = 4


class PolicyError(ArianeError):
    """A governance rule refused the action: unapproved manifest, self-approval, wrong state."""

    exit_code = 5


class IntegrityError(ArianeError):
    """A signature, digest or ciphertext did not verify: something was altered or truncated."""

    exit_code = 6


class KeyMaterialError(ArianeError):
    """A wrong passphrase, an unknown key or a key that cannot open a package."""

    exit_code = 7


class SourceError(ArianeError):
    """The source could not be read (missing file, unknown table or column, query failure)."""

    exit_code = 8


class TargetError(ArianeError):
    """The target could not be written or read back."""

    exit_code = 9


class ReconcileError(ArianeError):
    """The target does not hold exactly what the signed index says was sent."""

    exit_code = 10


class SurplusError(ArianeError):
    """Extracted data went beyond the manifest: an unknown column, a row outside a filter."""

    exit_code = 11


class StorageError(ArianeError):
    """A local file could not be written or read: disk full, read-only file system, permissions."""

    exit_code = 12


EXIT_CODES: dict[str, int] = {
    cls.__name__: cls.exit_code
    for cls in (
        ArianeError,
        UsageError,
        InputError,
        ScopeError,
        PolicyError,
        IntegrityError,
        KeyMaterialError,
        SourceError,
        TargetError,
        ReconcileError,
        SurplusError,
        StorageError,
    )
}
