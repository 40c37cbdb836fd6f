"""The standard Korean keyboard (두벌식, KS X 5002): which jamo each Latin letter key types.

A teller who typed a name (홍길동) leaves the input method in 한글 mode; the letter keys then
arrive as jamo: `r` as `ㄱ`, `a` as `ㅁ`, `y` as `ㅛ`. This table is the one place that says so;
the UI gives every single-letter binding a twin on its jamo (screens/keys.py) and F1 lists them
(`a / ㅁ`).

Keys are spelled as Textual names them: a bare letter is the character itself (`a`, `ㅁ`), a
shifted letter arrives from a terminal as the capital (`A`) and may be written `shift+a`. With
Shift the layout types the tense consonants ㅃ ㅉ ㄸ ㄲ ㅆ and the vowels ㅒ ㅖ; every other shifted
letter types the same jamo as the bare key. A key with Ctrl or Alt has no twin: the input method
does not compose those, the terminal sends the same code in either mode.

Pure data and string functions: no I/O, no UI library.
"""

from __future__ import annotations

# The bare letter keys, a to z.
LOWER: dict[str, str] = {
    "q": "ㅂ", "w": "ㅈ", "e": "ㄷ", "r": "ㄱ", "t": "ㅅ", "y": "ㅛ", "u": "ㅕ", "i": "ㅑ",
    "o": "ㅐ", "p": "ㅔ",
    "a": "ㅁ", "s": "ㄴ", "d": "ㅇ", "f": "ㄹ", "g": "ㅎ", "h": "ㅗ", "j": "ㅓ", "k": "ㅏ",
    "l": "ㅣ",
    "z": "ㅋ", "x": "ㅌ", "c": "ㅊ", "v": "ㅍ", "b": "ㅠ", "n": "ㅜ", "m": "ㅡ",
}

# With Shift: the seven keys that type something else; the others type their bare jamo.
SHIFTED_OWN: dict[str, str] = {
    "Q": "ㅃ", "W": "ㅉ", "E": "ㄸ", "R": "ㄲ", "T": "ㅆ", "O": "ㅒ", "P": "ㅖ",
}
UPPER: dict[str, str] = {
    **{letter.upper(): jamo for letter, jamo in LOWER.items()},
    **SHIFTED_OWN,
}

# Every letter key (bare and shifted) -> the jamo it types in 한글 mode.
LAYOUT: dict[str, str] = {**LOWER, **UPPER}

# The jamo -> the key that types it: a bare letter, or for the seven shift-only jamo the
# capital. (ㅁ is typed by `a` and by `A`; its key is `a`.)
KEY_OF_JAMO: dict[str, str] = {
    **{jamo: letter for letter, jamo in UPPER.items()},
    **{jamo: letter for letter, jamo in LOWER.items()},
}

_MODIFIER_SHIFT = "shift+"


def _plain_letter(key: str) -> str | None:
    """`a` -> `a`, `A` and `shift+a` -> `A`; anything else (a name, a modifier other than
    Shift, a digit) -> None."""
    if len(key) == 1 and key.isascii() and key.isalpha():
        return key
    if key.startswith(_MODIFIER_SHIFT):
        rest = key[len(_MODIFIER_SHIFT):]
        if len(rest) == 1 and rest.isascii() and rest.isalpha():
            return rest.upper()
    return None


def jamo_for(key: str) -> str | None:
    """The jamo a Latin letter key types in 한글 mode (`r` -> `ㄱ`, `R`/`shift+r` -> `ㄲ`,
    `A` -> `ㅁ`), or None for any other key."""
    letter = _plain_letter(key)
    return LAYOUT.get(letter) if letter is not None else None


def letter_for(key: str) -> str | None:
    """The Latin key that types this jamo (`ㄱ` -> `r`, `ㄲ` -> `R`), or None."""
    return KEY_OF_JAMO.get(key)


def twin(key: str) -> str | None:
    """The key's other half: the jamo of a letter key, the letter key of a jamo; None for keys
    the input method does not change (F-keys, Ctrl combinations, digits, `slash`...)."""
    return jamo_for(key) or letter_for(key)


def is_jamo_key(key: str) -> bool:
    """Is this key a jamo the layout types (the 한글-mode half of a pair)?"""
    return key in KEY_OF_JAMO


# A syllable's parts in Unicode order (initial, medial, final) and the two keys of each compound.
_SYLLABLE_FIRST, _SYLLABLE_LAST = 0xAC00, 0xD7A3
_INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_MEDIALS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_FINALS = ("", "ㄱ", "ㄲ", "ㄳ", "ㄴ", "ㄵ", "ㄶ", "ㄷ", "ㄹ", "ㄺ", "ㄻ", "ㄼ", "ㄽ", "ㄾ", "ㄿ", "ㅀ",
           "ㅁ", "ㅂ", "ㅄ", "ㅅ", "ㅆ", "ㅇ", "ㅈ", "ㅊ", "ㅋ", "ㅌ", "ㅍ", "ㅎ")
_COMPOUNDS = {"ㅘ": "ㅗㅏ", "ㅙ": "ㅗㅐ", "ㅚ": "ㅗㅣ", "ㅝ": "ㅜㅓ", "ㅞ": "ㅜㅔ", "ㅟ": "ㅜㅣ",
              "ㅢ": "ㅡㅣ", "ㄳ": "ㄱㅅ", "ㄵ": "ㄴㅈ", "ㄶ": "ㄴㅎ", "ㄺ": "ㄹㄱ", "ㄻ": "ㄹㅁ",
              "ㄼ": "ㄹㅂ", "ㄽ": "ㄹㅅ", "ㄾ": "ㄹㅌ", "ㄿ": "ㄹㅍ", "ㅀ": "ㄹㅎ", "ㅄ": "ㅂㅅ"}


def typed_keys(text: str) -> str:
    """The Latin keys that typed `text` in 한글 mode (`ㅡ001` -> `m001`, `며01` -> `au01`):
    syllables are split into their jamo, compounds into their two keys; anything else is
    kept. Shift is lost where the layout does not show it (`A` and `a` both type ㅁ), so this is
    for text whose case does not matter (an employee number), never for a password."""
    keys: list[str] = []
    for ch in text:
        code = ord(ch)
        if _SYLLABLE_FIRST <= code <= _SYLLABLE_LAST:
            index = code - _SYLLABLE_FIRST
            parts = (_INITIALS[index // 588] + _MEDIALS[index % 588 // 28]
                     + _FINALS[index % 28])
        else:
            parts = ch
        for part in parts:
            for jamo in _COMPOUNDS.get(part, part):
                keys.append(KEY_OF_JAMO.get(jamo, jamo))
    return "".join(keys)


__all__ = ["KEY_OF_JAMO", "LAYOUT", "LOWER", "SHIFTED_OWN", "UPPER", "is_jamo_key", "jamo_for",
           "letter_for", "twin", "typed_keys"]
