"""What a search query can mean (domain/search.py): pure classification, no database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from staff_console.domain.search import (
    SearchKind,
    classify_query,
    id_number_digits,
    like_escape,
    next_prefix,
)


def kinds(query: str) -> list[str]:
    return [kind for kind, _ in classify_query(query)]


def test_each_kind_of_query() -> None:
    assert kinds("ㅎㄱㄷ") == ["chosung"]
    assert kinds("홍길동") == ["name"]
    assert kinds("1001") == ["phone_last4", "customer_no"]
    assert kinds("800515") == ["birth_date", "account", "customer_no"]
    assert kinds("010-1111-1001") == ["phone", "account", "customer_no"]
    assert "customer_no" in kinds("d0000001")
    assert kinds("") == []


def test_mixed_initials_match_syllables_in_place() -> None:
    [(kind, params)] = classify_query("홍ㄱ")
    assert kind == SearchKind.CHOSUNG and params["pattern"] == "홍_%"
    assert params["low"] <= params["high"]


def test_customer_number_is_upper_case_and_names_are_ranges() -> None:
    assert dict(classify_query("d0000001"))["customer_no"] == {"value": "D0000001"}
    name = dict(classify_query("홍  길"))["name"]
    assert name == {"low": "홍 길", "high": next_prefix("홍 길")}


@given(st.text(alphabet=st.characters(max_codepoint=0xFFFF), min_size=1, max_size=12),
       st.text(max_size=5), st.text(min_size=1, max_size=12))
def test_a_prefix_range_holds_exactly_the_strings_starting_with_it(prefix, tail, other) -> None:
    high = next_prefix(prefix)
    assert prefix <= prefix + tail < high
    assert (prefix <= other < high) == other.startswith(prefix)


@given(st.text(max_size=20))
def test_like_escape_leaves_no_bare_wildcard(text: str) -> None:
    escaped = like_escape(text)
    bare = escaped.replace("\\\\", "").replace("\\%", "").replace("\\_", "")
    assert "%" not in bare and "_" not in bare


@given(st.text(max_size=30))
def test_every_kind_is_a_search_kind(query: str) -> None:
    for kind, params in classify_query(query):
        assert kind in set(SearchKind)
        assert all(isinstance(v, str) for v in params.values())


def test_whole_id_numbers_only() -> None:
    assert id_number_digits("800515-1234567") == "8005151234567"
    assert id_number_digits("8005151") is None
    assert id_number_digits("991332-1234567") is None  # no such date
