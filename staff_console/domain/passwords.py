"""The staff password rule (the hashing itself is done with argon2 in the services).

A new staff password is refused (INVALID_INPUT naming the field) when it is shorter than
MIN_PASSWORD_LENGTH characters, lacks a letter or a digit, is on the common-password list, or
equals or contains the member's employee number or name. Comparisons ignore case and
separators (anything not a letter or digit) and full-width forms, so `T-001`, `t001`, `T 0 0 1`
and `Ｔ００１` are one thing.

Pure: the common-password list is passed in, already normalised with `normalise` (the services
load the packaged list once, see services/passwords.py).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection

from .errors import invalid

MIN_PASSWORD_LENGTH = 10
# An identifier shorter than this is not searched for inside a password: a one- or two-letter
# employee number or name part would refuse most passwords and protect nothing.
MIN_PERSONAL_PART = 3


def normalise(text: str) -> str:
    """Case-folded, letters and digits only (Hangul counts as letters); NFKC first, so the
    full-width `ＰＡＳＳＷＯＲＤ１２３` a Korean keyboard's full-width mode types is `password123`."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def _personal_parts(employee_no: str, name: str) -> list[str]:
    """The employee number, the whole name, and each part of a name written with spaces or
    other separators ("Kim Min-su": "kimminsu", "kim", "min", "su" -> those of 3 or more)."""
    parts = [normalise(employee_no), normalise(name)]
    word = ""
    for ch in name + " ":
        if ch.isalnum():
            word += ch
        else:
            parts.append(normalise(word))
            word = ""
    return [p for p in dict.fromkeys(parts) if len(p) >= MIN_PERSONAL_PART]


def check_password_strength(
    password: str,
    *,
    field: str = "password",
    employee_no: str = "",
    name: str = "",
    common: Collection[str] = (),
) -> None:
    """Raise INVALID_INPUT (naming `field`) unless `password` is acceptable for this member.
    `common`: the common-password list, each entry passed through `normalise`."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise invalid(field, f"must be at least {MIN_PASSWORD_LENGTH} characters",
                      "errors.detail.password_short", min=MIN_PASSWORD_LENGTH)
    if not any(ch.isalpha() for ch in password) or not any(ch.isdigit() for ch in password):
        raise invalid(field, "must contain both letters and digits",
                      "errors.detail.password_letters_digits")
    folded = normalise(password)
    if folded in common:
        raise invalid(field, "is on the list of commonly used passwords; choose another",
                      "errors.detail.password_common")
    for part in _personal_parts(employee_no, name):
        if part in folded:
            raise invalid(field, "must not contain the employee number or the name",
                          "errors.detail.password_personal")
