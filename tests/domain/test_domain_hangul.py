"""초성 keys for name search; particles chosen by the final consonant of the word before."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from staff_console.domain.hangul import (
    FINALS,
    INITIALS,
    PARTICLE_PAIRS,
    chosung_key,
    final_consonant,
    has_hangul,
    has_initials,
    initial_of,
    is_initial,
    is_syllable,
    particle,
    with_particle,
)

SYLLABLES = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)
# Hangul syllables, bare initials, ASCII letters and digits, and spaces: what names are made of.
NAME_CHARS = st.one_of(
    SYLLABLES,
    st.sampled_from(INITIALS),
    st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-."),
    st.sampled_from(" \t\u3000"),
)
NAMES = st.text(alphabet=NAME_CHARS, max_size=20)


def test_hong_gil_dong_key() -> None:
    assert chosung_key("홍길동") == "ㅎㄱㄷ"


def test_there_are_nineteen_initials() -> None:
    assert len(INITIALS) == 19
    assert len(set(INITIALS)) == 19


@pytest.mark.parametrize(
    ("name", "key"),
    [("까치", "ㄲㅊ"), ("떡", "ㄸ"), ("빵", "ㅃ"), ("쌀", "ㅆ"), ("짜장", "ㅉㅈ"), ("꽃씨", "ㄲㅆ")],
)
def test_double_consonants_keep_their_own_initial(name: str, key: str) -> None:
    assert chosung_key(name) == key


def test_first_and_last_syllables_of_the_block() -> None:
    assert initial_of("가") == "ㄱ"  # U+AC00
    assert initial_of("힣") == "ㅎ"  # U+D7A3


def test_spaces_are_dropped() -> None:
    assert chosung_key("남궁 민수") == "ㄴㄱㅁㅅ"
    assert chosung_key(" 김\t철\u3000수 ") == "ㄱㅊㅅ"


def test_non_hangul_is_kept_lower_cased() -> None:
    assert chosung_key("Kim 민준") == "kimㅁㅈ"
    assert chosung_key("ABC-1") == "abc-1"


def test_bare_initials_are_kept_so_a_query_key_matches_a_name_key() -> None:
    assert chosung_key("ㅎㄱ") == "ㅎㄱ"
    assert chosung_key("홍길동").startswith(chosung_key("ㅎㄱ"))


def test_is_syllable_bounds() -> None:
    assert is_syllable("가") and is_syllable("힣")
    assert not is_syllable(chr(0xAC00 - 1)) and not is_syllable(chr(0xD7A3 + 1))
    assert not is_syllable("ㄱ")


def test_has_initials_detects_a_choseong_query() -> None:
    assert has_initials("ㅎㄱㄷ")
    assert has_initials("홍ㄱ")
    assert not has_initials("홍길동")
    assert not has_initials("hong")
    assert is_initial("ㄲ") and not is_initial("ㅏ")


def test_has_hangul() -> None:
    assert has_hangul("홍")
    assert has_hangul("ㅎ")
    assert not has_hangul("Hong Gildong 123")


@given(NAMES)
def test_key_length_is_the_number_of_non_space_characters(name: str) -> None:
    assert len(chosung_key(name)) == sum(1 for ch in name if not ch.isspace())


@given(st.text(alphabet=SYLLABLES, min_size=1, max_size=10))
def test_every_syllable_maps_to_one_of_the_nineteen_initials(name: str) -> None:
    key = chosung_key(name)
    assert len(key) == len(name)
    assert all(ch in INITIALS for ch in key)


@given(SYLLABLES)
def test_initial_is_the_initial_of_the_syllable_decomposition(ch: str) -> None:
    # Syllables sharing an initial form a contiguous run of 21*28 code points starting at 가.
    index = INITIALS.index(initial_of(ch))
    start = 0xAC00 + index * 21 * 28
    assert start <= ord(ch) < start + 21 * 28


@given(NAMES, st.data())
def test_key_of_a_prefix_is_a_prefix_of_the_key(name: str, data: st.DataObject) -> None:
    k = data.draw(st.integers(min_value=0, max_value=len(name)))
    assert chosung_key(name).startswith(chosung_key(name[:k]))


@given(st.text(max_size=20))
def test_key_is_the_concatenation_of_the_keys_of_its_parts(name: str) -> None:
    # Holds for any text, so searching by the key of a prefix never misses.
    cut = len(name) // 2
    assert chosung_key(name) == chosung_key(name[:cut]) + chosung_key(name[cut:])


@given(NAMES)
def test_key_contains_no_spaces_and_is_idempotent(name: str) -> None:
    key = chosung_key(name)
    assert not any(ch.isspace() for ch in key)
    assert chosung_key(key) == key


@given(st.text())
def test_the_fast_key_is_initial_of_each_character(name: str) -> None:
    """chosung_key runs at C speed; it must equal initial_of applied character by character
    (stored keys were made that way), for any text at all."""
    from staff_console.domain.hangul import initial_of

    assert chosung_key(name) == "".join(initial_of(ch) for ch in name if not ch.isspace())


def test_a_final_sigma_is_lowered_as_a_letter_alone() -> None:
    assert chosung_key("ΟΔΟΣ 홍") == "οδοσㅎ"


@pytest.mark.parametrize(("word", "form", "expected"), [
    ("홍길동", "을", "홍길동을"), ("김철수", "을", "김철수를"), ("김철수", "를", "김철수를"),
    ("요청", "이/가", "요청이"), ("지점장", "은", "지점장은"), ("매니저", "은", "매니저는"),
    ("신분증", "과", "신분증과"), ("휴대폰 인증", "와", "휴대폰 인증과"), ("계좌", "과", "계좌와"),
    ("서울", "으로", "서울로"), ("부산", "으로", "부산으로"), ("기기", "로", "기기로"),
    ("#1", "을", "#1을"), ("#2", "을", "#2를"), ("#6", "을", "#6을"), ("10", "으로", "10으로"),
    ("7", "으로", "7로"), ("MTS", "이", "MTS가"), ("PIN", "은", "PIN은"), ("URL", "로", "URL로"),
    ("ㅎㄱㄷ", "과", "ㅎㄱㄷ과"), ("홍길동 (D0000001)", "을", "홍길동 (D0000001)을"),
    ("'서해지'", "을", "'서해지'를"),
])
def test_the_particle_follows_the_last_sound(word: str, form: str, expected: str) -> None:
    assert with_particle(word, form) == expected


def test_nothing_readable_gives_both_forms_as_in_print() -> None:
    assert particle("", "을") == "을(를)" and particle("-", "이") == "이(가)"
    assert final_consonant("…") is None


@given(SYLLABLES)
def test_a_syllable_takes_the_consonant_form_exactly_when_it_has_a_final(ch: str) -> None:
    jamo = unicodedata.normalize("NFD", ch)  # leading consonant, vowel, and the final if any
    has_final = len(jamo) == 3
    assert (final_consonant(ch) != "") == has_final
    for after_consonant, after_vowel in PARTICLE_PAIRS:
        chosen = particle(ch, after_vowel)
        if after_vowel == "로" and final_consonant(ch) == "ㄹ":
            assert chosen == "로"
        else:
            assert chosen == (after_consonant if has_final else after_vowel)


@given(SYLLABLES, st.sampled_from(" )'\".,!"))
def test_trailing_symbols_do_not_change_the_particle(ch: str, tail: str) -> None:
    for pair in PARTICLE_PAIRS:
        assert particle(ch + tail, pair[0]) == particle(ch, pair[0])


def test_the_finals_table_has_the_27_finals_and_none() -> None:
    assert len(FINALS) == 28 and FINALS[0] == "" and FINALS[8] == "ㄹ"
    assert final_consonant("각") == "ㄱ" and final_consonant("갛") == "ㅎ"
