"""ID numbers, phones, account and customer numbers (DOMAIN.md section 7)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from staff_console.domain.errors import ConsoleError
from staff_console.domain.ids import (
    CustomerType,
    Nationality,
    format_id_number,
    mask_id_number,
    mask_phone,
    normalize_account_no,
    normalize_customer_no,
    normalize_phone,
    parse_id_number,
    phone_digits,
)


def _invalid(exc_info: pytest.ExceptionInfo[ConsoleError], field: str) -> None:
    assert exc_info.value.code == "INVALID_INPUT"
    assert exc_info.value.field == field
    assert exc_info.value.exit_code == 2


# --- resident registration numbers: the S digit --------------------------------------------

@pytest.mark.parametrize(
    ("s_digit", "year", "nationality"),
    [
        ("1", 1985, Nationality.DOMESTIC),
        ("2", 1985, Nationality.DOMESTIC),
        ("3", 2085, Nationality.DOMESTIC),
        ("4", 2085, Nationality.DOMESTIC),
        ("5", 1985, Nationality.FOREIGN),
        ("6", 1985, Nationality.FOREIGN),
        ("7", 2085, Nationality.FOREIGN),
        ("8", 2085, Nationality.FOREIGN),
        ("9", 1885, Nationality.DOMESTIC),
        ("0", 1885, Nationality.DOMESTIC),
    ],
)
def test_s_digit_gives_century_and_nationality(s_digit: str, year: int, nationality) -> None:
    parsed = parse_id_number(f"850315-{s_digit}234567")
    assert parsed.customer_type is CustomerType.INDIVIDUAL
    assert parsed.nationality is nationality
    assert parsed.birth_date == date(year, 3, 15)
    assert parsed.birth_yymmdd == "850315"
    assert parsed.digits == f"850315{s_digit}234567"


def test_domestic_s_digits_are_domestic_individuals_and_foreign_are_not() -> None:
    for s_digit in "123490":
        assert parse_id_number(f"900101{s_digit}000000").is_domestic_individual
    for s_digit in "5678":
        assert not parse_id_number(f"900101{s_digit}000000").is_domestic_individual


def test_rrn_accepted_with_or_without_dash_and_surrounding_spaces() -> None:
    assert parse_id_number("9001011234567").digits == "9001011234567"
    assert parse_id_number(" 900101-1234567 ").digits == "9001011234567"
    assert parse_id_number("900101 1234567").digits == "9001011234567"


# --- resident registration numbers: a real date in its century -----------------------------

def test_feb_29_2000_is_valid_with_s3_because_2000_is_a_leap_year() -> None:
    assert parse_id_number("000229-3123456").birth_date == date(2000, 2, 29)


def test_feb_29_1900_is_invalid_with_s1_because_1900_is_not_a_leap_year() -> None:
    with pytest.raises(ConsoleError) as exc_info:
        parse_id_number("000229-1123456")
    _invalid(exc_info, "id_number")


def test_feb_29_2001_is_invalid() -> None:
    with pytest.raises(ConsoleError) as exc_info:
        parse_id_number("010229-3123456")
    _invalid(exc_info, "id_number")


def test_feb_29_1996_is_valid_with_s2() -> None:
    assert parse_id_number("960229-2123456").birth_date == date(1996, 2, 29)


def test_feb_29_1800_is_invalid_with_s9_because_1800_is_not_a_leap_year() -> None:
    with pytest.raises(ConsoleError):
        parse_id_number("000229-9123456")


@pytest.mark.parametrize("yymmdd", ["901301", "900001", "900100", "900431", "901232", "999999"])
def test_impossible_birth_dates_are_invalid(yymmdd: str) -> None:
    with pytest.raises(ConsoleError) as exc_info:
        parse_id_number(f"{yymmdd}-1234567")
    _invalid(exc_info, "id_number")
    assert "date" in exc_info.value.message


# --- resident registration numbers: format -------------------------------------------------

@pytest.mark.parametrize(
    "raw",
    [
        "",
        "900101-123456",  # 12 digits
        "900101-12345678",  # 14 digits
        "90010112345",  # 11 digits
        "900101123",  # 9 digits
        "900101-12345a7",
        "９００１０１-1234567",  # full-width digits are not ASCII
        "900101_1234567",
        "900101.1234567",
        "+900101-1234567",
    ],
)
def test_bad_length_or_characters_are_invalid_input_naming_the_field(raw: str) -> None:
    with pytest.raises(ConsoleError) as exc_info:
        parse_id_number(raw, field="rrn")
    _invalid(exc_info, "rrn")


def test_none_is_invalid_input_not_a_crash() -> None:
    with pytest.raises(ConsoleError) as exc_info:
        parse_id_number(None)  # type: ignore[arg-type]
    _invalid(exc_info, "id_number")


@given(tail=st.text(alphabet="0123456789", min_size=6, max_size=6))
def test_check_digit_is_not_validated_any_trailing_digits_are_accepted(tail: str) -> None:
    # Numbers issued since October 2020 have random trailing digits.
    parsed = parse_id_number(f"210101-3{tail}")
    assert parsed.digits == f"2101013{tail}"
    assert parsed.birth_date == date(2021, 1, 1)


def test_known_bad_check_digit_is_accepted() -> None:
    # For 800101-123456x the old weighted checksum gives 0; 7 and 3 are "wrong" and accepted.
    for last in "073":
        assert parse_id_number(f"800101-123456{last}").birth_date == date(1980, 1, 1)


@given(
    born=st.dates(min_value=date(1800, 1, 1), max_value=date(2099, 12, 31)),
    female=st.booleans(),
    foreign=st.booleans(),
    tail=st.text(alphabet="0123456789", min_size=6, max_size=6),
)
def test_any_real_birth_date_round_trips_through_its_s_digit(
    born: date, female: bool, foreign: bool, tail: str
) -> None:
    century = born.year // 100 * 100
    if century == 1800:
        if foreign:
            return  # there is no foreigner S digit for the 1800s
        s_digit = "0" if female else "9"
    else:
        base = {1900: 1, 2000: 3}[century] + (4 if foreign else 0)
        s_digit = str(base + (1 if female else 0))
    parsed = parse_id_number(f"{born:%y%m%d}-{s_digit}{tail}")
    assert parsed.birth_date == born
    assert parsed.nationality is (Nationality.FOREIGN if foreign else Nationality.DOMESTIC)


# --- business registration numbers ----------------------------------------------------------

def test_ten_digit_business_number_is_a_corporation() -> None:
    parsed = parse_id_number("123-45-67890")
    assert parsed.customer_type is CustomerType.CORPORATION
    assert parsed.digits == "1234567890"
    assert parsed.birth_date is None
    assert parsed.birth_yymmdd is None
    assert not parsed.is_domestic_individual


def test_business_number_is_masked_keeping_the_first_five_digits() -> None:
    assert parse_id_number("1234567890").masked == "123-45-*****"


# --- masking and formatting ------------------------------------------------------------------

def test_rrn_is_masked_as_birth_date_dash_s_and_six_stars() -> None:
    assert parse_id_number("900101-1234567").masked == "900101-1******"
    assert mask_id_number("0002294123456") == "000229-4******"


@given(digits=st.text(alphabet="0123456789", min_size=13, max_size=13))
def test_masked_rrn_never_shows_the_trailing_six_digits(digits: str) -> None:
    masked = mask_id_number(digits)
    assert masked == f"{digits[:6]}-{digits[6]}******"
    assert len(masked) == 14


def test_mask_of_an_unexpected_length_hides_everything() -> None:
    assert mask_id_number("12345") == "*****"


def test_format_id_number_puts_the_dashes_back() -> None:
    assert format_id_number("9001011234567") == "900101-1234567"
    assert format_id_number("1234567890") == "123-45-67890"
    assert format_id_number("123") == "123"


# --- phones ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("010-1234-5678", "010-1234-5678"),
        ("01012345678", "010-1234-5678"),
        (" 010 1234 5678 ", "010-1234-5678"),
        ("011-123-4567", "011-123-4567"),
        ("0161234567", "016-123-4567"),
        ("019-1234-5678", "019-1234-5678"),
    ],
)
def test_phone_is_normalized_to_dashed_form(raw: str, normalized: str) -> None:
    assert normalize_phone(raw) == normalized


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "02-123-4567",  # a landline
        "012-1234-5678",  # not a mobile prefix
        "010-12345-6789",
        "010-1234-5678-9",
        "010-abcd-5678",
        "010-１２３４-5678",  # full-width digits
        "+82-10-1234-5678",
    ],
)
def test_bad_phone_is_invalid_input(raw: str) -> None:
    with pytest.raises(ConsoleError) as exc_info:
        normalize_phone(raw, field="mobile")
    _invalid(exc_info, "mobile")


def test_phone_is_masked_hiding_the_middle_group() -> None:
    assert mask_phone("010-1234-5678") == "010-****-5678"
    assert mask_phone("011-123-4567") == "011-***-4567"


def test_undashed_phone_is_masked_keeping_only_the_last_four() -> None:
    assert mask_phone("01012345678") == "*******5678"


def test_phone_digits_strips_separators() -> None:
    assert phone_digits("010-1234-5678") == "01012345678"


@given(middle=st.text(alphabet="0123456789", min_size=4, max_size=4),
       last=st.text(alphabet="0123456789", min_size=4, max_size=4))
def test_any_010_number_masks_to_prefix_stars_and_last_four(middle: str, last: str) -> None:
    phone = normalize_phone(f"010{middle}{last}")
    assert phone == f"010-{middle}-{last}"
    assert mask_phone(phone) == f"010-****-{last}"


# --- account and customer numbers -----------------------------------------------------------

def test_account_number_is_stored_as_digits_only() -> None:
    assert normalize_account_no("123-45-678901") == "12345678901"
    assert normalize_account_no(" 123456 ") == "123456"


@pytest.mark.parametrize(
    "raw", ["", "12345", "1" * 21, "12345a", "１２３４５６７"]  # too short, too long, letters, FW
)
def test_bad_account_number_is_invalid_input(raw: str) -> None:
    with pytest.raises(ConsoleError) as exc_info:
        normalize_account_no(raw)
    _invalid(exc_info, "account_no")


def test_account_number_bounds_are_six_and_twenty_digits() -> None:
    assert normalize_account_no("1" * 6) == "1" * 6
    assert normalize_account_no("1" * 20) == "1" * 20


def test_customer_number_is_trimmed_and_upper_cased() -> None:
    assert normalize_customer_no(" c-00123 ") == "C-00123"
    assert normalize_customer_no("A" * 20) == "A" * 20


@pytest.mark.parametrize("raw", ["", "   ", "-123", "A" * 21, "C 123", "고객1", "C_1"])
def test_bad_customer_number_is_invalid_input(raw: str) -> None:
    with pytest.raises(ConsoleError) as exc_info:
        normalize_customer_no(raw)
    _invalid(exc_info, "customer_no")
