"""Password policy (CNIL 2022-100), account names and roles: each rule broken on purpose."""

from __future__ import annotations

import pytest

from ariane.accounts.names import check_new_name
from ariane.accounts.policy import (
    BITS_ALONE,
    BITS_WITH_SECOND_FACTOR,
    check_password,
    common_passwords,
    estimate_bits,
    person_words,
)
from ariane.accounts.roles import check_roles, needs_second_factor
from ariane.errors import PolicyError, UsageError

STRONG_12 = "Vt9#kq2Lm$x7"  # CNIL example 1: 12 characters of the four kinds
STRONG_14 = "Tg7kP2xq9Lm4Vb"  # CNIL example 2: 14 characters, upper, lower, digits
SEVEN_WORDS = "cheval pomme nuage table fleur ville route"  # CNIL example 3


def test_cnil_examples_reach_80_bits() -> None:
    assert estimate_bits(STRONG_12) == 80
    assert estimate_bits(STRONG_14) == 83
    assert estimate_bits(SEVEN_WORDS) == 80
    for password in (STRONG_12, STRONG_14, SEVEN_WORDS):
        check_password("alice.martin", password, has_second_factor=False)


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("Vt9#kq2Lm$x", "11 characters of four kinds: 73 bits"),
        ("tg7kp2xq9lm4vbz", "15 lower case and digits: under 80 bits"),
        ("cheval pomme nuage table fleur ville", "six words: 69 bits"),
        ("correct horse battery staple", "four words: 46 bits"),
        ("Qwzx" * 6, "a repeated unit counts once"),
        ("abcdefghijklmnopqrstuvwxyz", "a run counts once"),
        ("Kp" + "7" * 20, "repeated characters count once"),
    ],
)
def test_weak_passwords_are_refused_without_second_factor(password: str, why: str) -> None:
    with pytest.raises(UsageError, match="too weak") as err:
        check_password("alice.martin", password, has_second_factor=False)
    assert password not in err.value.message, why
    assert f"{BITS_ALONE} required" in err.value.message


def test_second_factor_lowers_the_floor_to_50_bits_only() -> None:
    five_words = "cheval pomme nuage table fleur"  # 57 bits
    with pytest.raises(UsageError, match="too weak"):
        check_password("alice.martin", five_words, has_second_factor=False)
    check_password("alice.martin", five_words, has_second_factor=True)
    check_password("alice.martin", "Vt9#kq2L", has_second_factor=True)  # 8 of four kinds: 53
    for weak in ("vt9kq2lm", "correct horse battery staple", "Zx8#Zx8#Zx8#Zx8#"):
        with pytest.raises(UsageError, match=f"{BITS_WITH_SECOND_FACTOR} required"):
            check_password("alice.martin", weak, has_second_factor=True)


@pytest.mark.parametrize(
    "password",
    [
        "azertyuiop",
        "motdepasse",
        "Motdepasse2024!",
        "P@ssw0rd123!!",
        "123456789",
        "Marseille13!!!!",
        "!!!Soleil2025???",
        "doudou",
    ],
)
def test_common_passwords_and_decorated_variants_are_refused(password: str) -> None:
    with pytest.raises(UsageError, match="common passwords") as err:
        check_password("alice.martin", password, has_second_factor=True)
    assert password not in err.value.message


def test_common_list_is_shipped_lower_case_with_french_entries() -> None:
    listed = common_passwords()
    assert len(listed) >= 500
    assert {"azerty", "motdepasse", "soleil", "doudou", "loulou", "marseille"} <= listed
    assert all(p == p.lower() and p.strip() == p for p in listed)


def test_password_containing_the_account_or_person_name_is_refused() -> None:
    with pytest.raises(UsageError, match="account name"):
        check_password("amartin", "Xq7#AMartin!9zk", has_second_factor=False)
    with pytest.raises(UsageError, match="account name"):
        check_password("amartin", "Xq7#4m4rt1n!9zk", has_second_factor=False)  # leet
    with pytest.raises(UsageError, match="person's name"):
        check_password(
            "amartin",
            "Xq7#Pierre!9zkW",
            has_second_factor=False,
            person_words=person_words("Jean-Pierre L'Hôte"),
        )
    assert person_words("Jean-Pierre L'Hôte") == ["Jean", "Pierre", "L", "Hôte"]


def test_empty_control_and_overlong_passwords_are_refused() -> None:
    with pytest.raises(UsageError, match="empty"):
        check_password("alice.martin", "", has_second_factor=True)
    with pytest.raises(UsageError, match="control"):
        check_password("alice.martin", "Vt9#kq2Lm$x7\x00", has_second_factor=True)
    with pytest.raises(UsageError, match="longer"):
        check_password("alice.martin", "Vt9#kq2Lm$x7" * 30, has_second_factor=True)


@pytest.mark.parametrize(
    "name",
    ["admin", "admin1", "root", "migration", "shared", "test42", "test-2", "demo", "labo.7"],
)
def test_generic_account_names_are_refused(name: str) -> None:
    with pytest.raises(UsageError, match="generic"):
        check_new_name(name)


@pytest.mark.parametrize("name", ["Alice", "al", "1alice", "alice martin", "../alice", "é" * 4])
def test_malformed_account_names_are_refused(name: str) -> None:
    with pytest.raises(UsageError, match="must match"):
        check_new_name(name)


def test_personal_names_are_accepted() -> None:
    for name in ("alice.martin", "admin.dupont", "testard", "j-dupont_2"):
        assert check_new_name(name) == name


def test_roles_rules() -> None:
    assert check_roles(["controller", "operator"]) == {"controller", "operator"}
    with pytest.raises(UsageError, match="unknown role"):
        check_roles(["superuser"])
    with pytest.raises(UsageError, match="at least one"):
        check_roles([])
    with pytest.raises(UsageError, match="not one string"):
        check_roles("admin")
    with pytest.raises(PolicyError, match="admin cannot be combined"):
        check_roles(["admin", "auditor"])
    assert needs_second_factor(["recipient", "operator"])
    assert not needs_second_factor(["recipient", "auditor"])


def test_random_tokens_with_separators_are_not_taken_for_words() -> None:
    """Regression: `secrets.token_urlsafe` output such as this one scored 23 bits because its
    mixed-case runs between '-' were counted as dictionary words (the demo failed ~1 in 100)."""
    from ariane.accounts.policy import estimate_bits

    assert estimate_bits("-LkXsrVioYSLQiNKTNaVZpwnLT-weMvk") >= 80
    assert estimate_bits("correct horse battery staple") < 50  # real words still count as words
