"""Authentication: password, second factor, throttling; and what needs the password to unseal.

Throttling: every failure (wrong password, missing or wrong or replayed TOTP code) counts; a
success resets the count. From the 5th consecutive failure the account is locked for 15 minutes,
doubling with each further failure (30 min, 1 h...), at most 24 hours. While locked, attempts
are refused without checking the password (no oracle) and do not count.

Refusals are PolicyError "authentication failed for <name>": the message does not say whether
the password or the code was wrong. The exception carries `reason` (read it with
`failure_reason`) for the audit log: "unknown", "locked", "password", "totp", "disabled" or
"reset" (the password was reset by an administrator and must be changed first). An unknown
name is not echoed: it may be a password typed in the wrong field.
"""

from __future__ import annotations

import datetime as dt

from ariane.accounts import totp, vault
from ariane.accounts.policy import check_password, normalize_password, person_words
from ariane.accounts.record import Account, KeyRecord, TotpEnrolment
from ariane.accounts.store import AccountStore, utc
from ariane.crypto.sealing_key import hash_password, verify_password
from ariane.crypto.sign import SigningKey
from ariane.errors import IntegrityError, KeyMaterialError, PolicyError, UsageError

MAX_FAILURES = 5
FIRST_LOCK = dt.timedelta(minutes=15)
MAX_LOCK = dt.timedelta(hours=24)
REASONS = frozenset({"unknown", "locked", "password", "totp", "disabled", "reset"})


def _refusal(name: str | None, reason: str, detail: str = "") -> PolicyError:
    who = f"for {name}" if name is not None else "for an unknown account"
    exc = PolicyError(f"authentication failed {who}{': ' + detail if detail else ''}")
    exc.__dict__["reason"] = reason  # errors.py has no field for it; read via failure_reason
    return exc


def failure_reason(exc: BaseException) -> str | None:
    """The audit reason of an authentication refusal (None for any other error)."""
    reason = getattr(exc, "reason", None)
    return reason if isinstance(reason, str) and reason in REASONS else None


def lock_duration(failures: int) -> dt.timedelta | None:
    """How long the `failures`-th consecutive failure locks the account (None: not yet)."""
    if failures < MAX_FAILURES:
        return None
    doubled: dt.timedelta = FIRST_LOCK * (1 << min(failures - MAX_FAILURES, 16))
    return min(doubled, MAX_LOCK)


def _fail(store: AccountStore, account: Account, now: dt.datetime, reason: str) -> PolicyError:
    failures = account.failed_attempts + 1
    lock = lock_duration(failures)
    store.write(
        account.replace(failed_attempts=failures, locked_until=now + lock if lock else None)
    )
    return _refusal(account.name, reason)


def _check(
    store: AccountStore,
    name: str,
    password: str,
    now: dt.datetime,
    *,
    code: str | None,
    need_totp: bool,
    need_key: bool = True,
    allow_reset: bool = False,
) -> tuple[Account, vault.Unsealer | None]:
    """Verify, count failures, record success. Caller holds `store.locked()`.

    Returns the password-derived key when `need_key` (or to open the TOTP seed): deriving it
    costs as much as the hash check, so a plain login without a second factor skips it.
    """
    try:
        account = store.get(name)
    except UsageError:
        raise _refusal(None, "unknown") from None
    if account.locked_until is not None and now < account.locked_until:
        until = account.locked_until.strftime("%Y-%m-%d %H:%M")
        raise _refusal(name, "locked", f"account locked until {until} UTC after failures")
    password = normalize_password(password) if isinstance(password, str) else ""
    try:
        verify_password(account.password_hash, password)
    except KeyMaterialError:
        raise _fail(store, account, now, "password") from None
    if not account.active_at(now):
        raise _refusal(name, "disabled", "account disabled")
    if account.must_change_password and not allow_reset:
        raise _refusal(name, "reset", "password was reset: change it first")
    check_totp = need_totp and account.second_factor and not account.must_change_password
    u = None
    if account.kdf is not None and (need_key or check_totp):
        u = vault.unsealer(name, account.kdf, password)
    enrolment = account.totp
    if check_totp:
        if enrolment is None or u is None:  # the record validator already refuses this
            raise IntegrityError(f"account {name} has lost its second factor enrolment")
        seed = vault.open_secret(u, vault.TOTP_SEED, enrolment.sealed_seed).decode("ascii")
        step = totp.matching_step(
            seed, code if isinstance(code, str) else "", now, enrolment.last_step
        )
        if step is None:
            raise _fail(store, account, now, "totp") from None
        enrolment = enrolment.model_copy(update={"last_step": step})
    account = account.replace(failed_attempts=0, locked_until=None, totp=enrolment)
    store.write(account)
    return account, u


def authenticate(
    store: AccountStore, name: str, password: str, totp_code: str | None, now: dt.datetime
) -> Account:
    """The account if `password` (and, with a second factor, an unused TOTP code) is right."""
    now = utc(now)
    with store.locked():
        account, _ = _check(
            store, name, password, now, code=totp_code, need_totp=True, need_key=False
        )
    return account


def unlock_signing_key(
    store: AccountStore, name: str, password: str, now: dt.datetime
) -> SigningKey:
    """The person's Ed25519 key, opened with their password (same lockout; no TOTP: the
    caller already holds a session)."""
    now = utc(now)
    with store.locked():
        account, u = _check(store, name, password, now, code=None, need_totp=False)
    current = account.current_key
    if u is None or account.sealed_signing_key is None or current is None:
        raise PolicyError(f"account {name} has no signing key")
    raw = vault.open_secret(u, vault.SIGNING_KEY, account.sealed_signing_key)
    key = SigningKey.from_private_bytes(raw)
    if key.public_b64 != current.public_key:
        raise IntegrityError(f"signing key of account {name} does not match its public key")
    return key


def change_password(
    store: AccountStore,
    name: str,
    old_password: str,
    totp_code: str | None,
    new_password: str,
    now: dt.datetime,
) -> str | None:
    """The holder changes their password; the TOTP seed and signing key are re-sealed.

    After an administrator's reset, the old password is the temporary one, no code is asked
    (the seed was dropped), and a new signing key and TOTP seed are made: returns the new
    otpauth URI to show once (None otherwise).
    """
    now = utc(now)
    with store.locked():
        try:
            before = store.get(name)
        except UsageError:
            raise _refusal(None, "unknown") from None
        # The new password is judged first: a refused one neither counts nor uses up a code.
        check_password(
            name, new_password, before.second_factor, person_words=person_words(before.full_name)
        )
        new_password = normalize_password(new_password)
        if new_password == normalize_password(old_password):
            raise UsageError("the new password must differ from the current one")
        account, old = _check(
            store, name, old_password, now, code=totp_code, need_totp=True, allow_reset=True
        )
        kdf, new = vault.new_kdf(name, new_password, store.cost, store.randbytes)
        uri = None
        if account.must_change_password:
            signing = SigningKey.generate(store.randbytes)
            keys = (*account.signing_keys, KeyRecord(public_key=signing.public_b64, created_at=now))
            private = signing.private_bytes()
            enrolment = None
            if account.second_factor:
                seed = totp.new_seed(store.randbytes)
                sealed = vault.seal_secret(new, vault.TOTP_SEED, seed.encode(), store.randbytes)
                enrolment = TotpEnrolment(sealed_seed=sealed, enrolled_at=now)
                uri = totp.provisioning_uri(seed, name)
        else:
            keys = account.signing_keys
            if old is None or account.sealed_signing_key is None:  # refused by the validator
                raise IntegrityError(f"account {name} has lost its sealed signing key")
            private = vault.open_secret(old, vault.SIGNING_KEY, account.sealed_signing_key)
            enrolment = account.totp
            if enrolment is not None:
                seed_bytes = vault.open_secret(old, vault.TOTP_SEED, enrolment.sealed_seed)
                resealed = vault.seal_secret(new, vault.TOTP_SEED, seed_bytes, store.randbytes)
                enrolment = enrolment.model_copy(update={"sealed_seed": resealed})
        store.write(
            account.replace(
                password_hash=hash_password(new_password, store.cost),
                password_changed_at=now,
                must_change_password=False,
                kdf=kdf,
                totp=enrolment,
                sealed_signing_key=vault.seal_secret(
                    new, vault.SIGNING_KEY, private, store.randbytes
                ),
                signing_keys=keys,
            )
        )
    return uri


def enroll_totp(store: AccountStore, name: str, password: str, now: dt.datetime) -> str:
    """Give an account without a second factor one (needed before a controller, operator or
    admin role can be granted); returns the otpauth URI to show once."""
    now = utc(now)
    with store.locked():
        account, u = _check(store, name, password, now, code=None, need_totp=False)
        if account.second_factor:
            raise UsageError(f"account {name} already has a second factor")
        if u is None:
            raise PolicyError(f"account {name} must change its password first")
        seed = totp.new_seed(store.randbytes)
        sealed = vault.seal_secret(u, vault.TOTP_SEED, seed.encode(), store.randbytes)
        store.write(
            account.replace(
                second_factor=True, totp=TotpEnrolment(sealed_seed=sealed, enrolled_at=now)
            )
        )
    return totp.provisioning_uri(seed, name)
