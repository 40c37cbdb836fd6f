"""The service matrix (DOMAIN.md section 4): the real data file and its evaluation."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from staff_console.domain.errors import CODES, ConsoleError
from staff_console.domain.ids import CustomerType, Nationality
from staff_console.domain.matrix import (
    CustomerFacts,
    ServiceAnswer,
    Verification,
    evaluate,
    parse_matrix,
    require_available,
)
from staff_console.domain.states import CredentialStatus

MATRIX_CSV = Path(__file__).resolve().parents[2] / "staff_console" / "data" / "service_matrix.csv"
HEADER = "code,group_ko,group_en,name_ko,name_en,online_trading,verification,needs_credential"


@pytest.fixture(scope="module")
def rows():
    with MATRIX_CSV.open(encoding="utf-8", newline="") as handle:
        return parse_matrix(handle)


def facts(
    *,
    customer_type: CustomerType = CustomerType.INDIVIDUAL,
    nationality: Nationality = Nationality.DOMESTIC,
    online_trading: bool = True,
    web_status: CredentialStatus | None = CredentialStatus.ACTIVE,
) -> CustomerFacts:
    return CustomerFacts(customer_type, nationality, online_trading, web_status)


def by_code(answers: list[ServiceAnswer]) -> dict[str, ServiceAnswer]:
    return {a.row.code: a for a in answers}


def available_codes(answers: list[ServiceAnswer]) -> set[str]:
    return {a.row.code for a in answers if a.available}


# --- the data file --------------------------------------------------------------------------

def test_real_matrix_has_17_rows_in_three_groups(rows) -> None:
    assert len(rows) == 17
    groups = [r.group_ko for r in rows]
    assert set(groups) == {"간편인증", "MY 정보", "모바일 지점"}
    assert groups.count("간편인증") == 5
    assert groups.count("MY 정보") == 6
    assert groups.count("모바일 지점") == 6


def test_real_matrix_spells_account_closure_correctly(rows) -> None:
    names = {r.name_ko for r in rows}
    assert "계좌폐쇄" in names
    assert "계좌페쇄" not in names


def test_real_matrix_names_match_the_rule_book_in_order(rows) -> None:
    assert [r.name_ko for r in rows] == [
        "간편인증 로그인",
        "간편인증 등록/재등록",
        "간편비밀번호 변경",
        "간편인증 해지",
        "간편인증 안내",
        "MY자산",
        "투자자정보확인서",
        "개인(신용)정보제공동의",
        "고객정보변경",
        "계좌번호찾기",
        "사고등록",
        "SMS체결알림신청",
        "계좌폐쇄",
        "은행이체약정해지",
        "OTP사고등록",
        "해외주식거래신청",
        "외화은행이체약정해지",
    ]


def test_only_the_guide_needs_no_online_trading(rows) -> None:
    assert [r.code for r in rows if not r.online_trading] == ["guide"]


def test_verification_column_of_the_real_matrix(rows) -> None:
    verification = {r.code: r.verification for r in rows}
    assert verification["simple_login"] is Verification.NONE
    assert verification["guide"] is Verification.NONE
    assert verification["register"] is Verification.NONFACE3
    others = set(verification) - {"simple_login", "guide", "register"}
    assert len(others) == 14
    assert all(verification[c] is Verification.SIMPLE_LOGIN for c in others)


def test_login_needs_a_credential_but_register_and_guide_do_not(rows) -> None:
    needs = {r.code: r.needs_credential for r in rows}
    assert needs["simple_login"] is True
    assert needs["register"] is False
    assert needs["guide"] is False
    assert sum(needs.values()) == 15


def test_real_matrix_codes_are_unique_and_non_empty(rows) -> None:
    codes = [r.code for r in rows]
    assert len(set(codes)) == len(codes)
    assert all(codes)
    assert all(r.name_en and r.group_en for r in rows)


# --- parsing bad text -----------------------------------------------------------------------

def parse(*lines: str):
    return parse_matrix([HEADER, *lines])


GOOD = "x,간편인증,Simple,이름,Name,Y,simple_login,Y"


def test_minimal_matrix_parses() -> None:
    (row,) = parse(GOOD)
    assert row.code == "x"
    assert row.online_trading is True
    assert row.verification is Verification.SIMPLE_LOGIN
    assert row.needs_credential is True


def test_simple_login_verification_always_needs_a_credential() -> None:
    (row,) = parse("x,g,G,n,N,Y,simple_login,N")
    assert row.needs_credential is True


def test_needs_credential_column_is_optional() -> None:
    header = "code,group_ko,group_en,name_ko,name_en,online_trading,verification"
    (row,) = parse_matrix([header, "x,g,G,n,N,n,none"])
    assert row.online_trading is False
    assert row.needs_credential is False


def test_missing_column_is_refused() -> None:
    with pytest.raises(ValueError, match="missing columns.*verification"):
        parse_matrix(["code,group_ko,group_en,name_ko,name_en,online_trading", "x,g,G,n,N,Y"])


def test_empty_text_is_refused() -> None:
    with pytest.raises(ValueError, match="missing columns"):
        parse_matrix([])


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("x,g,G,n,N,maybe,none,N", "online_trading"),
        ("x,g,G,n,N,Y,face_to_face,N", "face_to_face"),
        ("x,g,G,n,N,Y,none,sometimes", "needs_credential"),
        ("x,g,G,n,N,Y", "fields"),  # too few fields
        ("x,g,G,n,N,Y,none,N,extra", "fields"),  # too many fields
        (",g,G,n,N,Y,none,N", "code"),
    ],
)
def test_bad_line_raises_value_error_naming_the_line(bad: str, why: str) -> None:
    with pytest.raises(ValueError, match=rf"line 3: .*{why}"):
        parse(GOOD, bad)


def test_line_number_counts_blank_lines() -> None:
    with pytest.raises(ValueError, match="line 5"):
        parse(GOOD, "", "", "y,g,G,n,N,X,none,N")


def test_line_number_with_newline_terminated_lines_from_a_file() -> None:
    text = f"{HEADER}\n{GOOD}\n\ny,g,G,n,N,Y,bogus,N\n"
    with pytest.raises(ValueError, match="line 4"):
        parse_matrix(text.splitlines(keepends=True))


def test_duplicate_codes_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        parse(GOOD, GOOD)


# --- evaluation -----------------------------------------------------------------------------

ALL = 17


def test_domestic_individual_with_active_web_credential_has_everything(rows) -> None:
    answers = evaluate(rows, facts())
    assert len(answers) == ALL
    assert all(a.available and a.reason_code is None for a in answers)


def test_answers_keep_the_matrix_order(rows) -> None:
    assert [a.row for a in evaluate(rows, facts())] == list(rows)


@pytest.mark.parametrize(
    "status",
    [None, CredentialStatus.PENDING, CredentialStatus.REPLACED, CredentialStatus.REVOKED,
     CredentialStatus.REJECTED],
)
def test_without_a_usable_web_credential_only_register_and_guide(rows, status) -> None:
    answers = by_code(evaluate(rows, facts(web_status=status)))
    assert available_codes(list(answers.values())) == {"register", "guide"}
    assert not answers["simple_login"].available
    for code, answer in answers.items():
        if code not in ("register", "guide"):
            assert answer.reason_code == "NOT_REGISTERED", code


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (CredentialStatus.LOCKED, "CREDENTIAL_LOCKED"),
        (CredentialStatus.EXPIRED, "CREDENTIAL_EXPIRED"),
    ],
)
def test_locked_or_expired_web_credential_leaves_register_and_guide(rows, status, reason):
    answers = evaluate(rows, facts(web_status=status))
    assert available_codes(answers) == {"register", "guide"}
    assert {a.reason_code for a in answers if not a.available} == {reason}


@pytest.mark.parametrize("status", [None, *CredentialStatus])
def test_without_online_trading_only_the_guide(rows, status) -> None:
    answers = evaluate(rows, facts(online_trading=False, web_status=status))
    assert available_codes(answers) == {"guide"}
    assert {a.reason_code for a in answers if not a.available} == {"NO_ONLINE_TRADING"}


@pytest.mark.parametrize("nationality", list(Nationality))
def test_corporation_gets_only_the_guide(rows, nationality) -> None:
    answers = evaluate(rows, facts(customer_type=CustomerType.CORPORATION, nationality=nationality))
    assert available_codes(answers) == {"guide"}
    assert {a.reason_code for a in answers if not a.available} == {"INELIGIBLE_CORPORATION"}


def test_foreigner_gets_only_the_guide(rows) -> None:
    answers = evaluate(rows, facts(nationality=Nationality.FOREIGN, online_trading=False))
    assert available_codes(answers) == {"guide"}
    assert {a.reason_code for a in answers if not a.available} == {"INELIGIBLE_FOREIGNER"}


def test_web_credential_status_does_not_matter_to_register(rows) -> None:
    for status in [None, *CredentialStatus]:
        answer = by_code(evaluate(rows, facts(web_status=status)))["register"]
        assert answer.available, status


def test_require_available_raises_the_reason_code(rows) -> None:
    answers = by_code(evaluate(rows, facts(web_status=CredentialStatus.LOCKED)))
    require_available(answers["guide"])
    with pytest.raises(ConsoleError) as exc_info:
        require_available(answers["my_assets"])
    assert exc_info.value.code == "CREDENTIAL_LOCKED"
    assert exc_info.value.exit_code == 3


# --- properties -----------------------------------------------------------------------------

FACTS = st.builds(
    CustomerFacts,
    customer_type=st.sampled_from(CustomerType),
    nationality=st.sampled_from(Nationality),
    online_trading=st.booleans(),
    web_status=st.one_of(st.none(), st.sampled_from(CredentialStatus)),
)


@given(customer=FACTS)
def test_guide_is_always_available(rows, customer: CustomerFacts) -> None:
    assert by_code(evaluate(rows, customer))["guide"].available


@given(customer=FACTS)
def test_nothing_but_the_guide_for_corporations(rows, customer: CustomerFacts) -> None:
    corporation = CustomerFacts(
        CustomerType.CORPORATION, customer.nationality, customer.online_trading,
        customer.web_status,
    )
    assert available_codes(evaluate(rows, corporation)) == {"guide"}


@given(customer=FACTS)
def test_every_refusal_has_a_known_reason_code(rows, customer: CustomerFacts) -> None:
    for answer in evaluate(rows, customer):
        if answer.available:
            assert answer.reason_code is None
        else:
            assert answer.reason_code in CODES


@given(customer=FACTS)
def test_services_beyond_register_and_guide_need_eligibility_and_an_active_credential(
    rows, customer: CustomerFacts
) -> None:
    eligible = (
        customer.customer_type is CustomerType.INDIVIDUAL
        and customer.nationality is Nationality.DOMESTIC
        and customer.online_trading
    )
    answers = by_code(evaluate(rows, customer))
    assert answers["register"].available is eligible
    for code, answer in answers.items():
        if code not in ("register", "guide"):
            assert answer.available is (
                eligible and customer.web_status is CredentialStatus.ACTIVE
            ), code



def test_a_row_without_online_trading_but_with_login_ignores_the_agreement() -> None:
    # The matrix is data: a row marked N for online trading is not refused for lacking it,
    # even when it needs a credential (no such row today, but the rule must follow the data).
    (row,) = parse("notice,g,G,n,N,N,none,Y")
    (answer,) = evaluate([row], facts(online_trading=False))
    assert answer.available
    (answer,) = evaluate([row], facts(online_trading=False, web_status=None))
    assert answer.reason_code == "NOT_REGISTERED"
