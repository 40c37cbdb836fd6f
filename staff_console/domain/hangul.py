"""초성 (initial consonant) keys for Korean names.

`ㅎㄱㄷ` finds 홍길동: every Hangul syllable is reduced to its initial consonant; other
characters are kept as they are (lower-cased), so the key of a mixed name is still searchable.
"""

from __future__ import annotations

from functools import cache

_SYLLABLE_FIRST = 0xAC00
_SYLLABLE_LAST = 0xD7A3
_PER_INITIAL = 21 * 28  # medial vowels x finals

INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_INITIAL_SET = frozenset(INITIALS)


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
    return {code: initial_of(chr(code)) for code in range(_SYLLABLE_FIRST, _SYLLABLE_LAST + 1)}


def chosung_key(name: str) -> str:
    """The 초성 key of a name: `홍길동` -> `ㅎㄱㄷ`. Spaces are dropped; other characters are
    lower-cased one by one (`initial_of`), here in one pass."""
    if "Σ" in name:  # the one letter str.lower() treats by context (a final sigma)
        return "".join(initial_of(ch) for ch in name if not ch.isspace())
    return "".join(name.translate(_to_initial()).lower().split())


def has_initials(text: str) -> bool:
    """True if the text contains a bare initial consonant (so it is a 초성 query)."""
    return any(is_initial(ch) for ch in text)


def has_hangul(text: str) -> bool:
    return any(is_syllable(ch) or is_initial(ch) for ch in text)
