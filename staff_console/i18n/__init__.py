"""The one catalog of user-facing strings.

`t("search.title")` returns the string of the selected language; `t(key, **fmt)` formats it
with `str.format`. The language is chosen once at start-up from `Settings.language` (`ko`, the
default, or `en`). A key missing from the catalog returns the key itself (a test checks that
both catalogs hold the same keys and that every key the UI uses exists).
"""

from __future__ import annotations

from . import en, ko

CATALOGS: dict[str, dict[str, str]] = {"ko": ko.MESSAGES, "en": en.MESSAGES}
DEFAULT_LANGUAGE = "ko"

_current: dict[str, str] = CATALOGS[DEFAULT_LANGUAGE]
_language = DEFAULT_LANGUAGE


def set_language(language: str) -> str:
    """Select the catalog; an unknown language falls back to Korean. Returns the one chosen."""
    global _current, _language
    _language = language if language in CATALOGS else DEFAULT_LANGUAGE
    _current = CATALOGS[_language]
    return _language


def language() -> str:
    return _language


def has(key: str) -> bool:
    return key in _current


def t(key: str, default: str | None = None, /, **fmt: object) -> str:
    """The text for `key` in the selected language, formatted with `fmt`."""
    text = _current.get(key)
    if text is None:
        text = default if default is not None else key
    if fmt:
        try:
            return text.format(**fmt)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def t_opt(prefix: str, value: str | None, empty: str = "-") -> str:
    """Translate a code under a prefix (`status.active`), keeping unknown codes as they are."""
    if value is None or value == "":
        return empty
    return t(f"{prefix}.{value}", value)
