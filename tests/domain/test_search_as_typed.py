"""Search finds what staff type (issue 15, item 8): Latin names in any case, the compound jamo
an IME composes (ㄳ = ㄱㅅ), and text pasted in NFD. Pure: each kind's condition is evaluated
here the way the store's SQL does (store/customers.py SEARCH_WHERE), over a name as stored."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from staff_console.domain.hangul import (
    COMPOUND_FINALS,
    FINALS,
    INITIALS,
    chosung_key,
    search_form,
)
from staff_console.domain.search import SearchKind, classify_query


def _like(pattern: str, text: str) -> bool:
    """SQL LIKE with backslash as its escape, as the store writes it."""
    regex = ""
    for token in re.findall(r"\\.|.", pattern, re.S):
        regex += {"%": ".*", "_": "."}.get(token, re.escape(token[-1]))
    return re.fullmatch(regex, text, re.S) is not None


def finds(query: str, name: str) -> bool:
    """Whether any kind of `query` holds for a customer stored with `name` (NFC, as imported),
    its key computed at import (chosung_key)."""
    key = chosung_key(name)
    for kind, params in classify_query(query):
        if kind == SearchKind.NAME and "low" in params:
            if params["low"] <= name < params["high"]:
                return True
        elif kind in (SearchKind.NAME, SearchKind.CHOSUNG):
            low, high = (params["key_low"], params["key_high"]) if "key_low" in params else (
                params["low"], params["high"])
            if low <= key < high and _like(params.get("pattern", "%"), name):
                return True
    return False


syllables = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)
hangul_names = st.lists(st.text(syllables, min_size=1, max_size=4), min_size=1,
                        max_size=3).map(" ".join)
latin_names = st.from_regex(r"[A-Za-z][A-Za-z'-]{0,9}( [A-Za-z][A-Za-z'-]{0,9}){0,2}",
                            fullmatch=True)


def test_every_compound_final_is_its_two_initials() -> None:
    compounds = [final for final in FINALS if final and final not in INITIALS]
    assert sorted(COMPOUND_FINALS) == sorted(compounds)  # all eleven, nothing else
    for compound, pair in COMPOUND_FINALS.items():
        assert len(pair) == 2 and all(initial in INITIALS for initial in pair)
        # The conjoining final's Unicode name spells its two parts (KIYEOK-SIOS).
        first, second = unicodedata.name(compound).split()[-1].split("-")
        assert unicodedata.name(pair[0]).endswith(first)
        assert unicodedata.name(pair[1]).endswith(second)
        assert classify_query(compound) == classify_query(pair)
        assert chosung_key(compound) == pair


def test_examples() -> None:
    assert finds("smith", "SMITH JOHN") and finds("Smith", "SMITH JOHN")
    assert finds("SMITH J", "SMITH JOHN") and finds("smith john", "Smith John")
    assert not finds("smyth", "SMITH JOHN") and not finds("smith k", "SMITH JOHN")
    assert finds("ㄳ", "강수") and finds("ㅂㅅ", "박순") and finds("ㅄ", "박순")
    assert not finds("ㄳ", "강민")
    assert finds(unicodedata.normalize("NFD", "홍길동"), "홍길동")
    assert finds("\u1112\u1100", "홍길동")  # lone conjoining initials: ㅎㄱ
    assert finds("김 john", "김 JOHN") and not finds("이 john", "김 JOHN")
    assert search_form("ㄶ\u11aa") == "ㄴㅎㄱㅅ"


@given(hangul_names, st.sampled_from(["NFC", "NFD"]))
def test_a_hangul_name_in_any_normal_form_finds_itself(name: str, form: str) -> None:
    typed = unicodedata.normalize(form, name)
    assert finds(typed, name)
    prefix = name[: max(1, len(name) // 2)].strip() or name[0]  # whole syllables, as typed
    assert finds(unicodedata.normalize(form, prefix), name)


@given(hangul_names)
def test_a_names_initials_find_it_as_typed_with_compounds(name: str) -> None:
    initials = chosung_key(name)
    assert finds(initials, name)
    typed = initials
    for compound, pair in COMPOUND_FINALS.items():  # what an IME shows for the pair
        typed = typed.replace(pair, compound)
    assert finds(typed, name)
    assert finds(unicodedata.normalize("NFD", name[0]) + initials[1:], name)  # mixed, NFD


@given(latin_names, st.sampled_from([str.upper, str.lower, str.swapcase, str.title]),
       st.integers(min_value=1, max_value=30))
def test_a_latin_name_in_any_case_finds_itself(name: str, case, cut: int) -> None:
    assert finds(case(name), name)
    assert finds(case(name)[:cut].strip() or name[0], name)


@given(latin_names, latin_names)
def test_a_latin_query_finds_only_names_it_prefixes_case_folded(query: str, name: str) -> None:
    expected = "".join(name.split()).lower().startswith("".join(query.split()).lower())
    assert finds(query, name) == expected
