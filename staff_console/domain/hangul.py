"""Hangul helpers: 초성 (initial consonant) keys for names, and the particles (조사) that depend
on the word before them.

`ㅎㄱㄷ` finds 홍길동: every Hangul syllable is reduced to its initial consonant; other
characters are kept as they are (lower-cased), so the key of a mixed name is still searchable,
and the key of a Latin name is the name case-folded (`SMITH JOHN` -> `smithjohn`).
`search_form` is what a typed query means: NFC, conjoining jamo as the compatibility jamo a
keyboard types, and the compound finals an IME composes (ㄳ) as their two initials (ㄱㅅ).
`with_particle("홍길동", "을")` is 홍길동을, `with_particle("#2", "을")` is #2를 (이, read aloud).
"""

from __future__ import annotations

import unicodedata
from functools import cache

_SYLLABLE_FIRST = 0xAC00
_SYLLABLE_LAST = 0xD7A3
_PER_INITIAL = 21 * 28  # medial vowels x finals

INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_INITIAL_SET = frozenset(INITIALS)


# The compound final consonants a Korean IME composes from two typed initials (ㄱ then ㅅ shows
# ㄳ): in a 초성 query they stand for those two initials.
COMPOUND_FINALS = {"ㄳ": "ㄱㅅ", "ㄵ": "ㄴㅈ", "ㄶ": "ㄴㅎ", "ㄺ": "ㄹㄱ", "ㄻ": "ㄹㅁ", "ㄼ": "ㄹㅂ",
                   "ㄽ": "ㄹㅅ", "ㄾ": "ㄹㅌ", "ㄿ": "ㄹㅍ", "ㅀ": "ㄹㅎ", "ㅄ": "ㅂㅅ"}
_LEADING_JAMO = 0x1100  # conjoining initials ᄀ..ᄒ, in the order of INITIALS
_TRAILING_JAMO = 0x11A8  # conjoining finals ᆨ..ᇂ, in the order of FINALS[1:]


def is_syllable(ch: str) -> bool:
    return _SYLLABLE_FIRST <= ord(ch) <= _SYLLABLE_LAST


def is_initial(ch: str) -> bool:
    return ch in _INITIAL_SET


def initial_of(ch: str) -> str:
    if is_syllable(ch):
        return INITIALS[(ord(ch) - _SYLLABLE_FIRST) // _PER_INITIAL]
    return ch.lower()


@cache
def _to_initial() -> dict[int, str]:
    """Every syllable to its initial, for str.translate: a key at C speed (an import of a
    million customers computes one per row). The same mapping as `initial_of`, built from it
    when first needed (not at every command's start)."""
    table = {code: initial_of(chr(code)) for code in range(_SYLLABLE_FIRST, _SYLLABLE_LAST + 1)}
    table.update({ord(compound): pair for compound, pair in COMPOUND_FINALS.items()})
    return table


@cache
def _to_typed_jamo() -> dict[int, str]:
    """Conjoining jamo left alone by NFC (an initial without its vowel, from an NFD paste) to
    the compatibility jamo a keyboard types, compound finals to their two initials."""
    table = {_LEADING_JAMO + i: initial for i, initial in enumerate(INITIALS)}
    table.update({_TRAILING_JAMO + i: final for i, final in enumerate(FINALS[1:])})
    return {code: COMPOUND_FINALS.get(jamo, jamo) for code, jamo in table.items()} | {
        ord(compound): pair for compound, pair in COMPOUND_FINALS.items()}


def search_form(text: str) -> str:
    """What a typed or pasted query means: NFC (a name pasted from macOS arrives decomposed),
    stray conjoining jamo as typed jamo, compound finals as their two initials (ㄳ = ㄱㅅ)."""
    return unicodedata.normalize("NFC", text).translate(_to_typed_jamo())


def chosung_key(name: str) -> str:
    """The 초성 key of a name: `홍길동` -> `ㅎㄱㄷ`. Spaces are dropped; a compound final jamo
    counts as its two initials (ㄳ -> ㄱㅅ); other characters are lower-cased one by one
    (`initial_of`), here in one pass."""
    if "Σ" in name:  # the one letter str.lower() treats by context (a final sigma)
        return "".join(COMPOUND_FINALS.get(ch) or initial_of(ch)
                       for ch in name if not ch.isspace())
    return "".join(name.translate(_to_initial()).lower().split())


def has_initials(text: str) -> bool:
    """True if the text contains a bare initial consonant (so it is a 초성 query)."""
    return any(is_initial(ch) for ch in text)


def has_hangul(text: str) -> bool:
    return any(is_syllable(ch) or is_initial(ch) for ch in text)


# ---------------------------------------------------------------- particles (조사)

FINALS = ("", "ㄱ", "ㄲ", "ㄳ", "ㄴ", "ㄵ", "ㄶ", "ㄷ", "ㄹ", "ㄺ", "ㄻ", "ㄼ", "ㄽ", "ㄾ", "ㄿ", "ㅀ",
          "ㅁ", "ㅂ", "ㅄ", "ㅅ", "ㅆ", "ㅇ", "ㅈ", "ㅊ", "ㅋ", "ㅌ", "ㅍ", "ㅎ")  # 받침, by index
# The form after a final consonant and the form after a vowel; 으로/로 also takes 로 after ㄹ.
PARTICLE_PAIRS = (("을", "를"), ("이", "가"), ("은", "는"), ("과", "와"), ("으로", "로"))
PARTICLES = {form: pair for pair in PARTICLE_PAIRS for form in (*pair, "/".join(pair))}
# How the last digit or Latin letter is read aloud: its final consonant ("" for a vowel).
# Digits: 영 일 이 삼 사 오 육 칠 팔 구; letters by their names (엘, 엠, 엔, 알 end in one).
_SPOKEN_FINAL = {**dict(zip("0123456789", ("ㅇ", "ㄹ", "", "ㅁ", "", "", "ㄱ", "ㄹ", "ㄹ", ""),
                            strict=True)),
                 **{ch: {"l": "ㄹ", "m": "ㅁ", "n": "ㄴ", "r": "ㄹ"}.get(ch, "")
                    for ch in "abcdefghijklmnopqrstuvwxyz"}}
_VOWEL_JAMO = frozenset(chr(c) for c in range(0x314F, 0x3164))  # ㅏ .. ㅣ


def final_consonant(word: str) -> str | None:
    """The final consonant (받침) of the word's last sound: a jamo, "" after a vowel, None when
    nothing in the word can be read (symbols only). Trailing symbols and spaces are skipped;
    digits and Latin letters count as read aloud; a bare consonant jamo as its name (ㄷ 디귿)."""
    for ch in reversed(word):
        if is_syllable(ch):
            return FINALS[(ord(ch) - _SYLLABLE_FIRST) % 28]
        final = _SPOKEN_FINAL.get(ch.lower())
        if final is not None:
            return final
        if is_initial(ch):
            return ch
        if ch in _VOWEL_JAMO:
            return ""
    return None


def particle(word: str, form: str) -> str:
    """The particle of `form` (을/를, 이/가, 은/는, 과/와, 으로/로, or either half) that follows
    `word`. When nothing in the word can be read, both forms as in print: 을(를)."""
    after_consonant, after_vowel = PARTICLES[form]
    final = final_consonant(word)
    if final is None:
        return f"{after_consonant}({after_vowel})"
    if not final or (after_vowel == "로" and final == "ㄹ"):
        return after_vowel
    return after_consonant


def with_particle(word: str, form: str) -> str:
    return word + particle(word, form)
