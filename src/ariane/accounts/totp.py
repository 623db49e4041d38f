"""The second factor: TOTP (RFC 6238) with pyotp: 30-second steps, 6 digits, one step of drift.

A code is accepted once: the caller stores the time step of the last accepted code and any
code of that step or an earlier one is refused, so a code seen over a shoulder or in a log
cannot be replayed within its validity window.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections.abc import Callable

import pyotp
from pyotp.utils import strings_equal

from ariane.crypto.sealing_key import random_secret

STEP_SECONDS = 30
DIGITS = 6
VALID_WINDOW = 1  # steps accepted either side of now: clocks drift, people type slowly
SEED_BYTES = 20  # 160 bits, RFC 4226's recommended HMAC-SHA1 key size
ISSUER = "Ariane"


def new_seed(randbytes: Callable[[int], bytes] = os.urandom) -> str:
    """A fresh base32 seed (no padding), as authenticator apps expect."""
    return base64.b32encode(random_secret(SEED_BYTES, randbytes)).decode("ascii").rstrip("=")


def provisioning_uri(seed: str, account: str) -> str:
    """The otpauth:// URI to show once as a QR code or text at enrolment."""
    return pyotp.TOTP(seed, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=ISSUER
    )


def current_step(now: dt.datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def code_at(seed: str, now: dt.datetime) -> str:
    """The code an authenticator shows at `now` (for tests and enrolment checks)."""
    return pyotp.TOTP(seed, digits=DIGITS, interval=STEP_SECONDS).generate_otp(current_step(now))


def matching_step(seed: str, code: str, now: dt.datetime, last_step: int | None) -> int | None:
    """The time step `code` belongs to, if it is valid at `now` and newer than `last_step`."""
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    otp = pyotp.TOTP(seed, digits=DIGITS, interval=STEP_SECONDS)
    here = current_step(now)
    found = None
    for step in range(here - VALID_WINDOW, here + VALID_WINDOW + 1):
        # Compare every candidate (no early exit) so timing does not tell which step matched.
        if strings_equal(code, otp.generate_otp(step)) and found is None:
            found = step
    if found is None or (last_step is not None and found <= last_step):
        return None
    return found
