"""Typed errors: stable codes, categories and CLI exit codes."""

from __future__ import annotations

import pytest

from staff_console.domain.errors import CODES, Category, ConsoleError, invalid, not_found


def test_every_code_has_a_category() -> None:
    assert CODES
    for code, category in CODES.items():
        assert isinstance(category, Category), code
        assert code == code.upper()


def test_every_code_constructs_and_exposes_its_category() -> None:
    for code, category in CODES.items():
        error = ConsoleError(code, "message")
        assert error.category is category
        assert error.exit_code == int(category)


def test_unknown_code_is_refused() -> None:
    with pytest.raises(ValueError, match="NOPE"):
        ConsoleError("NOPE", "message")


def test_code_lookup_is_exact_case() -> None:
    with pytest.raises(ValueError):
        ConsoleError("invalid_input", "message")


@pytest.mark.parametrize(
    ("code", "exit_code"),
    [
        ("INVALID_INPUT", 2),
        ("NO_ONLINE_TRADING", 3),
        ("SELF_APPROVAL", 3),
        ("NOT_FOUND", 3),
        ("AUTH_FAILED", 4),
        ("FORBIDDEN", 4),
        ("STAFF_LOCKED", 4),
        ("STORE_UNAVAILABLE", 1),
        ("STORE_NOT_INITIALISED", 1),
        ("INVALID_SETTING", 2),
        ("CLOCK_FIXED_REFUSED", 4),
        ("KEY_MISMATCH", 4),
    ],
)
def test_exit_codes_by_category(code: str, exit_code: int) -> None:
    assert ConsoleError(code, "m").exit_code == exit_code


def test_category_values_are_the_exit_codes() -> None:
    assert (Category.INPUT, Category.RULE, Category.AUTH, Category.UNEXPECTED) == (2, 3, 4, 1)


def test_only_bad_input_and_bad_settings_are_input_errors() -> None:
    # A request body the server cannot take (too large, or a replayed Idempotency-Key with other
    # contents) is bad input too: the caller must change what it sends.
    assert [c for c, cat in CODES.items() if cat is Category.INPUT] == [
        "INVALID_INPUT", "INVALID_SETTING", "IDEMPOTENCY_CONFLICT", "PAYLOAD_TOO_LARGE"]


def test_the_codes_the_rule_book_needs_exist() -> None:
    needed = {
        "INELIGIBLE_CORPORATION",
        "INELIGIBLE_FOREIGNER",
        "NO_ONLINE_TRADING",
        "VERIFICATION_INCOMPLETE",
        "METHOD_NOT_ALLOWED",
        "NOT_REGISTERED",
        "CREDENTIAL_LOCKED",
        "CREDENTIAL_EXPIRED",
        "ALREADY_DECIDED",
        "REQUEST_EXPIRED",
        "SELF_APPROVAL",
        "DELEGATION_INVALID",
        "STAFF_LOCKED",
    }
    assert needed <= set(CODES)


def test_str_shows_code_and_message_and_field_is_kept() -> None:
    error = ConsoleError("NOT_REGISTERED", "no web credential", field="channel")
    assert str(error) == "NOT_REGISTERED: no web credential"
    assert error.message == "no web credential"
    assert error.field == "channel"
    assert ConsoleError("FORBIDDEN", "x").field is None


def test_invalid_helper_names_the_field() -> None:
    error = invalid("phone", "too short")
    assert error.code == "INVALID_INPUT"
    assert error.field == "phone"
    assert error.message == "phone: too short"
    assert error.exit_code == 2


def test_not_found_helper() -> None:
    error = not_found("customer", 42)
    assert error.code == "NOT_FOUND"
    assert error.field == "customer"
    assert "42" in error.message
