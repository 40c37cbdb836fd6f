"""Untrusted text (domain/text.py) and masking by meaning (domain/ids.mask_numbers): what is
refused at input, how stored text is shown, CSV cells, and numbers whatever their separators."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from staff_console.domain.errors import ConsoleError
from staff_console.domain.ids import mask_numbers
from staff_console.domain.text import (
    LIMITS,
    clean_text,
    display_safe,
    refused_reason,
    spreadsheet_safe,
)

# The classes of characters the rule refuses, each as a strategy of single characters.
C0 = st.characters(min_codepoint=0x00, max_codepoint=0x1F)
C1_AND_DEL = st.characters(min_codepoint=0x7F, max_codepoint=0x9F)
BIDI = st.sampled_from([chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A),
                                         0x200E, 0x200F, 0x061C]])
ZERO_WIDTH = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u180e",
                              "\u3164", "\u115f", "\ufe0f", "\U000e0041", "\u00ad"])
SEPARATORS_LS = st.sampled_from(["\u2028", "\u2029"])
FORBIDDEN = {"c0": C0, "c1_del": C1_AND_DEL, "bidi": BIDI, "zero_width": ZERO_WIDTH,
             "line_separator": SEPARATORS_LS}

# Text a person may type: Hangul syllables, Latin letters, digits, spaces, common punctuation.
HANGUL = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)
ALLOWED = st.text(
    st.one_of(HANGUL, st.sampled_from(list(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-()[]/'&@#:;!?~"
        "ㄱㄴㄷㅎ·"))),
    min_size=1, max_size=40,
).filter(lambda s: s.strip())


@pytest.mark.parametrize("kind", sorted(FORBIDDEN))
@given(data=st.data(), before=ALLOWED, after=ALLOWED)
def test_each_forbidden_class_is_refused_naming_the_field(kind, data, before, after):
    ch = data.draw(FORBIDDEN[kind])
    for multiline in (False, True):
        if multiline and ch in "\n\r":
            continue  # a multi-line field keeps line breaks
        with pytest.raises(ConsoleError) as refused:
            clean_text(before + ch + after, "name", limit=200, multiline=multiline)
        assert refused.value.code == "INVALID_INPUT" and refused.value.field == "name"
        # the message names the code point, never the raw character
        assert f"U+{ord(ch):04X}" in refused.value.message and ch not in refused.value.message


@given(ALLOWED)
def test_korean_and_latin_text_passes_unchanged(text):
    assert clean_text(text, "name", limit=200) == unicodedata.normalize("NFC", text).strip()


def test_decomposed_hangul_is_normalised_and_bounds_are_code_points():
    nfd = unicodedata.normalize("NFD", "홍길동")
    assert clean_text(nfd, "name", limit="customer_name") == "홍길동"
    assert clean_text("가" * 60, "name", limit="customer_name") == "가" * 60
    with pytest.raises(ConsoleError, match="at most 60"):
        clean_text("가" * 61, "name", limit="customer_name")


def test_required_optional_and_multiline():
    with pytest.raises(ConsoleError, match="is required"):
        clean_text("   ", "note", limit="note")
    assert clean_text("  ", "note", limit="note", required=False) is None
    assert clean_text("a\r\nb\rc", "note", limit="note", multiline=True) == "a\nb\nc"
    with pytest.raises(ConsoleError):
        clean_text("a\nb", "note", limit="note")  # a one-line field refuses a line break
    with pytest.raises(ConsoleError):
        clean_text("a\tb", "note", limit="note", multiline=True)  # a tab is still refused
    # a search box takes a paste from a spreadsheet: tabs and breaks are spaces, nothing else
    assert clean_text("800515\t1234567\r\n", "query", limit="search", paste=True) == \
        "800515 1234567"
    with pytest.raises(ConsoleError):
        clean_text("800515\x1b1234567", "query", limit="search", paste=True)


def test_every_field_kind_is_bounded():
    assert {"customer_name", "staff_name", "branch_name", "employee_no", "device_id",
            "device_model", "note", "search"} <= set(LIMITS)
    assert all(0 < n <= 500 for n in LIMITS.values())


@given(st.text(max_size=60))
def test_display_safe_leaves_nothing_that_acts_on_a_terminal(text):
    shown = display_safe(text)
    assert all(refused_reason(ch) is None for ch in shown)
    assert display_safe(shown) == shown  # idempotent: escaping twice changes nothing more
    if all(refused_reason(ch) is None for ch in text):
        assert shown == text


def test_display_safe_shows_the_hostile_name_literally():
    name = "\x1b[2J\x1b]52;c;ZXZpbA==\x07\u202eevil[red]x[/red]\u200b\x9b"
    shown = display_safe(name)
    assert shown == ("\\x1b[2J\\x1b]52;c;ZXZpbA==\\x07\\u202eevil[red]x[/red]\\u200b\\x9b")
    assert display_safe("a\nb") == "a\\nb" and display_safe("a\nb", multiline=True) == "a\nb"


@pytest.mark.parametrize("cell, expected", [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
    ("+1+2", "'+1+2"), ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\\t=1"), ("\r=1", "'\\r=1"), ("＝1+1", "'＝1+1"),
    ("홍길동", "홍길동"), ("2026-11-24", "2026-11-24"), ("a=b", "a=b"), ("", ""),
    ("x\ny", "x\ny"), ("\x1b[2J", "\\x1b[2J"), (12, "12"), (None, ""),
])
def test_spreadsheet_cells(cell, expected):
    assert spreadsheet_safe(cell) == expected


# ---------------------------------------------------------------- masking by meaning

SEPARATOR = st.sampled_from([" ", "\t", "-", ".", "\u00a0", "\u3000", "\u2009", "\u2010",
                             "\u2011", "\u2012", "\u2013", "\u2014", "\u2212", "\uff0d", "/",
                             "\u200b", "·", "(", ")", "  ", " - "])
DIGIT_FORM = st.sampled_from(["ascii", "fullwidth", "arabic_indic"])
WORDS = st.text(st.one_of(HANGUL, st.sampled_from(list("abcXYZ :,!?"))), max_size=8)


def _spell(digits: str, form: str) -> str:
    base = {"ascii": ord("0"), "fullwidth": 0xFF10, "arabic_indic": 0x0660}[form]
    return "".join(chr(base + int(d)) for d in digits)


def _digits_only(text: str) -> str:
    return "".join(str(unicodedata.decimal(ch)) for ch in text if ch.isdecimal())


@st.composite
def numbers(draw):
    kind = draw(st.sampled_from(["rrn", "mobile", "landline"]))
    if kind == "rrn":
        digits = draw(st.from_regex(r"\A[0-9]{6}[1-8][0-9]{6}\Z"))
        cuts = [6]
    elif kind == "mobile":
        digits = draw(st.from_regex(r"\A01[016789][0-9]{7,8}\Z"))
        cuts = [3, len(digits) - 4]
    else:
        digits = draw(st.from_regex(r"\A0(2|[3-6][1-5])[0-9]{7}\Z"))
        cuts = [2 if digits[1] == "2" else 3, len(digits) - 4]
    # Sometimes more cuts, sometimes none: people split numbers every way.
    extra = draw(st.lists(st.integers(1, len(digits) - 1), max_size=3))
    cuts = sorted(set(draw(st.sampled_from([cuts, [], cuts + extra]))))
    form = draw(DIGIT_FORM)
    parts = [digits[a:b] for a, b in zip([0, *cuts], [*cuts, len(digits)], strict=True)]
    text = _spell(parts[0], form)
    for part in parts[1:]:
        text += draw(SEPARATOR) + _spell(part, form)
    return digits, text


@given(numbers(), WORDS, WORDS)
def test_the_full_number_never_survives_masking(number, before, after):
    digits, spelled = number
    text = f"{before} {spelled} {after}"
    masked = mask_numbers(text)
    assert digits not in _digits_only(masked)
    assert digits not in re.sub(r"\D", "", masked)


@pytest.mark.parametrize("text, expected", [
    ("800515\t1234567", "800515-1******"),
    ("010\t1234\t5678", "010-****-5678"),
    ("０１０－１２３４－５６７８", "010-****-5678"),
    ("010\u00a01234\u00a05678", "010-****-5678"),
    ("800515 - 1234567 고객", "800515-1****** 고객"),
    ("02.123.4567", "*****4567"),
    ("분실 신고 010.9876.5432 통화", "분실 신고 010-****-5432 통화"),
    # short runs stay: a birth date, the last four digits, a request id, a date
    ("800515", "800515"), ("1001", "1001"), ("요청 12 반려", "요청 12 반려"),
    ("2026-11-24", "2026-11-24"),
])
def test_masking_examples(text, expected):
    assert mask_numbers(text) == expected


@given(WORDS)
def test_text_without_long_numbers_is_unchanged(text):
    assume(sum(ch.isdecimal() for ch in text) < 9)
    assert mask_numbers(text) == text
