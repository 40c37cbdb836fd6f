"""The 두벌식 table: which jamo each Latin letter key types in 한글 mode, and back."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from staff_console.domain.hangul import INITIALS
from staff_console.domain.keyboard import (
    KEY_OF_JAMO,
    LAYOUT,
    LOWER,
    is_jamo_key,
    jamo_for,
    letter_for,
    twin,
    typed_keys,
)

# The standard layout (KS X 5002), written out here independently of the module.
BARE = dict(zip("qwertyuiop" "asdfghjkl" "zxcvbnm",
                "ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔ" "ㅁㄴㅇㄹㅎㅗㅓㅏㅣ" "ㅋㅌㅊㅍㅠㅜㅡ", strict=True))
SHIFT_OWN = dict(zip("QWERTOP", "ㅃㅉㄸㄲㅆㅒㅖ", strict=True))


def test_every_bare_letter_types_its_jamo():
    assert {k: jamo_for(k) for k in string.ascii_lowercase} == BARE


def test_shifted_letters_type_the_tense_consonants_and_the_two_vowels_the_rest_as_bare():
    for letter in string.ascii_uppercase:
        expected = SHIFT_OWN.get(letter, BARE[letter.lower()])
        assert jamo_for(letter) == expected, letter
        assert jamo_for(f"shift+{letter.lower()}") == expected, letter


@pytest.mark.parametrize("pair", ["r ㄱ", "a ㅁ", "x ㅌ", "y ㅛ", "n ㅜ", "w ㅈ", "g ㅎ", "e ㄷ",
                                  "v ㅍ", "s ㄴ", "R ㄲ", "P ㅖ"])
def test_the_issue_pairs_both_ways(pair):
    key, jamo = pair.split()
    assert jamo_for(key) == jamo and twin(key) == jamo
    assert letter_for(jamo) == key and twin(jamo) == key


def test_a_jamo_typed_by_a_bare_and_a_shifted_key_goes_back_to_the_bare_key():
    assert letter_for("ㅁ") == "a" and jamo_for("A") == "ㅁ"
    assert letter_for("ㄲ") == "R" and letter_for("ㄱ") == "r"


def test_the_table_covers_the_layout_and_nothing_else():
    assert set(LAYOUT) == set(string.ascii_letters)
    # 26 bare jamo and 7 shift-only ones, all distinct: every jamo has one key
    assert len(KEY_OF_JAMO) == 33 and len(set(KEY_OF_JAMO.values())) == 33
    # every initial consonant a 초성 search uses can be typed
    assert set(INITIALS) <= set(KEY_OF_JAMO)


@pytest.mark.parametrize("key", ["f1", "ctrl+r", "alt+r", "ctrl+shift+r", "1", "slash", "enter",
                                 "escape", "가", "ㄳ", "", "shift+1", "é"])
def test_keys_the_input_method_does_not_change_have_no_twin(key):
    assert twin(key) is None
    assert not is_jamo_key(key) or key in KEY_OF_JAMO


def test_twin_is_an_involution_on_bare_letters():
    for letter in string.ascii_lowercase:
        assert twin(twin(letter)) == letter


@pytest.mark.parametrize(("typed", "keys"), [
    ("ㅡ001", "m001"), ("며01", "au01"), ("ㅅ001", "t001"), ("T001", "T001"),
    ("홍길동", "ghdrlfehd"), ("ㄳ", "rt"), ("왜", "dho"), ("닭", "ekfr"), ("ㄲ", "R"), ("", "")])
def test_typed_keys_gives_the_keys_a_hangul_text_was_typed_with(typed, keys):
    assert typed_keys(typed) == keys


@given(st.text(alphabet=st.sampled_from(sorted(LOWER)), max_size=12))
def test_typed_keys_undoes_the_layout_for_any_single_jamo(letters):
    assert typed_keys("".join(LOWER[c] for c in letters)) == letters
