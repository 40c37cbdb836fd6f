"""Staff password strength and the maker-checker policy defaults."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from staff_console.domain.errors import ConsoleError
from staff_console.domain.passwords import (
    MIN_PASSWORD_LENGTH,
    check_password_strength,
    normalise,
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


COMMON = frozenset(normalise(p) for p in ("password123", "qwerty-1234", "iloveyou2"))


def refusal(password: str, **kwargs) -> str | None:
    try:
        check_password_strength(password, **kwargs)
    except ConsoleError as error:
        assert (error.code, error.field) == ("INVALID_INPUT", kwargs.get("field", "password"))
        return error.message
    return None


def test_normalise_keeps_letters_and_digits_case_folded() -> None:
    assert normalise("T-001 Kim.Min_su") == "t001kimminsu"
    assert normalise("홍 길-동") == "홍길동"
    assert normalise("ＡＢ１") == "ab1"  # full-width forms fold too (isalnum, casefold)


@pytest.mark.parametrize("password", ["Password123", "PASSWORD-123", "pass word 123",
                                      "Qwerty1234", "i.love.you.2", "ＰＡＳＳＷＯＲＤ１２３"])
def test_a_common_password_is_refused_whatever_its_case_and_separators(password: str) -> None:
    assert "commonly used" in refusal(password, common=COMMON)
    assert refusal(password) is None or "commonly used" not in refusal(password)


@pytest.mark.parametrize("password", ["T001-secret-9", "xx.t.0.0.1.yy9", "secret9T001",
                                      "ab-T001-cd-9"])
def test_the_employee_number_inside_is_refused(password: str) -> None:
    message = refusal(password, employee_no="T001", name="이창구")
    assert "employee number or the name" in message
    assert password not in message


@pytest.mark.parametrize(("name", "password"), [
    ("이창구", "이창구비밀번호2417"),
    ("이창구", "이 창-구 2417 desk"),
    ("Kim Min-su", "minsu-2417-desk"),  # one part of a name written in parts
    ("Kim Min-su", "KIMMINSU2417"),
])
def test_the_name_inside_is_refused(name: str, password: str) -> None:
    assert "employee number or the name" in refusal(password, employee_no="T001", name=name)


def test_parts_too_short_to_mean_anything_are_not_searched() -> None:
    """A two-character employee number or name part would refuse most passwords."""
    assert refusal("Branch-Desk-A9x", employee_no="A9", name="Li Na") is None
    assert refusal("Branch-Desk-2417", employee_no="", name="") is None


@given(st.lists(st.sampled_from(["-", " ", ".", "_", "/", "\u00a0"]), min_size=4, max_size=4),
       st.booleans())
def test_separators_and_case_never_hide_the_employee_number(seps: list[str], upper: bool) -> None:
    number = "".join(ch + sep for ch, sep in zip("m001", seps, strict=True))
    password = f"desk{number.upper() if upper else number}2417"
    assert "employee number" in refusal(password, employee_no="M001", name="김지점")


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
