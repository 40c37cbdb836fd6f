"""Who may register, and the three-kind verification (DOMAIN.md section 2)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from staff_console.domain.eligibility import (
    REQUIRED_VERIFICATIONS,
    Evidence,
    VerificationKind,
    check_customer_eligible,
    check_verification,
    parse_verifications,
)
from staff_console.domain.errors import ConsoleError
from staff_console.domain.ids import CustomerType, Nationality

IND, CORP = CustomerType.INDIVIDUAL, CustomerType.CORPORATION
DOM, FOR = Nationality.DOMESTIC, Nationality.FOREIGN


def _code(fn, *args) -> str | None:
    try:
        fn(*args)
    except ConsoleError as exc:
        return exc.code
    return None


def test_domestic_individual_with_online_trading_is_eligible() -> None:
    assert check_customer_eligible(IND, DOM, True) is None


@pytest.mark.parametrize(
    ("customer_type", "nationality", "online", "code"),
    [
        (CORP, DOM, True, "INELIGIBLE_CORPORATION"),
        (CORP, DOM, False, "INELIGIBLE_CORPORATION"),
        (CORP, FOR, False, "INELIGIBLE_CORPORATION"),
        (IND, FOR, True, "INELIGIBLE_FOREIGNER"),
        (IND, FOR, False, "INELIGIBLE_FOREIGNER"),
        (IND, DOM, False, "NO_ONLINE_TRADING"),
    ],
)
def test_ineligible_customers_and_code_precedence(customer_type, nationality, online, code):
    # Corporation first, then foreigner, then the online trading agreement.
    assert _code(check_customer_eligible, customer_type, nationality, online) == code


def test_eligibility_refusals_are_rule_refusals_exit_3() -> None:
    with pytest.raises(ConsoleError) as exc_info:
        check_customer_eligible(IND, DOM, False)
    assert exc_info.value.exit_code == 3


def test_there_are_three_required_verification_kinds() -> None:
    assert REQUIRED_VERIFICATIONS == {
        VerificationKind.ID_CARD,
        VerificationKind.ONE_WON,
        VerificationKind.PHONE,
    }


def _all_passed() -> list[Evidence]:
    return [Evidence(kind, True) for kind in VerificationKind]


def test_all_three_passed_is_complete() -> None:
    assert check_verification(_all_passed()) is None


def test_order_and_duplicates_of_passed_evidence_do_not_matter() -> None:
    evidence = list(reversed(_all_passed())) + [Evidence(VerificationKind.PHONE, True)]
    assert check_verification(evidence) is None


def test_no_evidence_is_incomplete_and_names_all_three() -> None:
    with pytest.raises(ConsoleError) as exc_info:
        check_verification([])
    assert exc_info.value.code == "VERIFICATION_INCOMPLETE"
    assert exc_info.value.field == "verified"
    for kind in VerificationKind:
        assert kind.value in exc_info.value.message


@pytest.mark.parametrize("missing", list(VerificationKind))
def test_any_one_missing_kind_is_incomplete(missing: VerificationKind) -> None:
    evidence = [e for e in _all_passed() if e.kind is not missing]
    with pytest.raises(ConsoleError) as exc_info:
        check_verification(evidence)
    assert exc_info.value.code == "VERIFICATION_INCOMPLETE"
    assert missing.value in exc_info.value.message


@pytest.mark.parametrize("failed", list(VerificationKind))
def test_a_failed_kind_counts_as_missing(failed: VerificationKind) -> None:
    evidence = [Evidence(k, k is not failed) for k in VerificationKind]
    with pytest.raises(ConsoleError) as exc_info:
        check_verification(evidence)
    assert exc_info.value.code == "VERIFICATION_INCOMPLETE"
    assert failed.value in exc_info.value.message


def test_a_failed_attempt_then_a_pass_of_the_same_kind_is_complete() -> None:
    evidence = [Evidence(VerificationKind.ONE_WON, False), *_all_passed()]
    assert check_verification(evidence) is None


@given(st.lists(st.tuples(st.sampled_from(VerificationKind), st.booleans()), max_size=8))
def test_complete_exactly_when_every_kind_has_a_pass(pairs) -> None:
    evidence = [Evidence(kind, passed) for kind, passed in pairs]
    complete = {kind for kind, passed in pairs if passed} == set(VerificationKind)
    assert (_code(check_verification, evidence) is None) is complete


def test_parse_verifications_accepts_known_kinds_case_and_space_insensitive() -> None:
    assert parse_verifications(" ID_CARD, one_won ,phone") == {"id_card", "one_won", "phone"}
    assert parse_verifications(["phone", "phone"]) == {"phone"}
    assert parse_verifications("") == frozenset()


def test_parse_verifications_refuses_unknown_kinds_naming_them() -> None:
    with pytest.raises(ConsoleError) as exc_info:
        parse_verifications("id_card,selfie,fax")
    assert exc_info.value.code == "INVALID_INPUT"
    assert exc_info.value.field == "verified"
    assert "fax, selfie" in exc_info.value.message


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_every_subset_of_kinds_parses(n: int) -> None:
    for subset in itertools.combinations([k.value for k in VerificationKind], n):
        assert parse_verifications(",".join(subset)) == set(subset)
