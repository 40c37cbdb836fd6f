"""Staff password strength and the maker-checker policy defaults."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from staff_console.domain.errors import ConsoleError
from staff_console.domain.passwords import (
    MAX_FAILED_SIGN_INS,
    MIN_PASSWORD_LENGTH,
    check_password_strength,
)
from staff_console.domain.policy import (
    DEFAULT_EXPIRING_WITHIN_DAYS,
    DEFAULT_REQUEST_EXPIRY_DAYS,
    Policy,
)


@pytest.mark.parametrize("password", ["abcde12345", "Branch2024!", "a1" * 5, "지점장의비밀번호12"])
def test_ten_characters_with_letters_and_digits_is_strong_enough(password: str) -> None:
    assert check_password_strength(password) is None


@pytest.mark.parametrize(
    "password",
    [
        "",
        "abc1234",
        "abcde1234",  # 9 characters
        "abcdefghijkl",  # no digit
        "123456789012",  # no letter
        "!!!!!!!!!!1",  # no letter
    ],
)
def test_weak_password_is_invalid_input(password: str) -> None:
    with pytest.raises(ConsoleError) as exc_info:
        check_password_strength(password, field="new_password")
    assert exc_info.value.code == "INVALID_INPUT"
    assert exc_info.value.field == "new_password"


def test_password_rule_constants() -> None:
    assert MIN_PASSWORD_LENGTH == 10
    assert MAX_FAILED_SIGN_INS == 5


@given(st.text(alphabet="abcXYZ0189!", max_size=20))
def test_strong_exactly_when_long_enough_with_a_letter_and_a_digit(password: str) -> None:
    strong = (
        len(password) >= 10
        and any(c.isalpha() for c in password)
        and any(c.isdigit() for c in password)
    )
    try:
        check_password_strength(password)
    except ConsoleError:
        assert not strong
    else:
        assert strong


def test_default_policy_needs_a_checker_for_registration_and_revocation() -> None:
    policy = Policy()
    assert policy.needs_checker("registration")
    assert policy.needs_checker("revocation")
    assert policy.request_expiry_days == DEFAULT_REQUEST_EXPIRY_DAYS == 7
    assert DEFAULT_EXPIRING_WITHIN_DAYS == 30


def test_unknown_action_needs_a_checker_by_default() -> None:
    assert Policy().needs_checker("change_pin_reset")


def test_configured_action_can_go_without_a_checker() -> None:
    policy = Policy(checker_required={"registration": False})
    assert not policy.needs_checker("registration")
    assert policy.needs_checker("revocation")


def test_default_policies_do_not_share_their_dict() -> None:
    first, second = Policy(), Policy()
    first.checker_required["registration"] = False
    assert second.needs_checker("registration")
