"""The one catalog of user-facing strings, for the app and the CLI.

`t("search.title")` returns the text of the selected language; `t(key, **values)` formats it
with `str.format` fields. A Korean particle after a field is written as its format spec:
`{name:을}` gives 홍길동을 or 김철수를 (`domain.hangul.particle`: 을/를, 이/가, 은/는, 과/와,
으로/로). An English plural is a spec of two words: `{count} {count:account|accounts}`. A whole
number is grouped by three (1,234) unless its field names an id (IDENTIFIER_FIELDS). The
language is chosen at start-up from `Settings.language` (`ko`, the default, or `en`).

The catalogs are gettext catalogs: `locale/<lang>/LC_MESSAGES/messages.po` is what translators
edit (msgids are the keys), `messages.mo` is what runs, compiled with Babel
(`pybabel compile -d staff_console/i18n/locale`) and read here with the standard library's
gettext, when first needed: nothing heavier than a 20 kB file is read at start, and Babel is
never imported at run time (docs/decisions.md). tests/test_catalogs.py fails on a stale `.mo`.

A refusal (a `ConsoleError`) is worded by `refusal`: the catalog's text for its code and, where
the service says more, its detail key with the service's values; never the error's English
`message`, which is for the log, the JSON document and English scripts.

A key missing from the catalog is a bug: with `STAFF_CONSOLE_I18N_STRICT=1` (the tests set it)
`t` raises `MissingMessage`; otherwise a person sees the Korean text, or the key itself, and the
log says which key was missing. The same holds for a field the caller did not pass.
"""

from __future__ import annotations

import gettext
import logging
import os
import string
from collections.abc import Iterator, Mapping

from ..domain.hangul import PARTICLES, with_particle
from ..domain.lockout import MAX_FAILED_ATTEMPTS

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"
STRICT_ENV = "STAFF_CONSOLE_I18N_STRICT"
_LOCALE_DIR = os.path.join(os.path.dirname(__file__), "locale")

log = logging.getLogger(__name__)


class MissingMessage(LookupError):
    """A key or a field the catalog does not have (raised only in strict mode)."""


def mo_path(language: str) -> str:
    return os.path.join(_LOCALE_DIR, language, "LC_MESSAGES", "messages.mo")


def _read(language: str) -> dict[str, str]:
    with open(mo_path(language), "rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    # GNUTranslations keeps msgid -> msgstr in `_catalog` (stable since Python 2, not in its
    # stubs); the entry under "" is the header.
    messages: dict[object, str] = catalog._catalog  # type: ignore[attr-defined]
    return {k: v for k, v in messages.items() if k and isinstance(k, str)}


class _Catalogs(Mapping[str, Mapping[str, str]]):
    """language -> its messages, each read when first asked for."""

    def __init__(self) -> None:
        self._loaded: dict[str, dict[str, str]] = {}

    def __getitem__(self, language: str) -> dict[str, str]:
        if language not in LANGUAGES:
            raise KeyError(language)
        if language not in self._loaded:
            self._loaded[language] = _read(language)
        return self._loaded[language]

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)


CATALOGS = _Catalogs()
_language = DEFAULT_LANGUAGE


def strict() -> bool:
    return os.environ.get(STRICT_ENV, "") not in ("", "0")


def set_language(language: str) -> str:
    """Select the catalog; an unknown language falls back to Korean. Returns the one chosen."""
    global _language
    _language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    return _language


def language() -> str:
    return _language


def has(key: str) -> bool:
    return key in CATALOGS[_language]


class _Formatter(string.Formatter):
    """str.format with particle specs ({name:을}); a missing field fails in strict mode and is
    shown as its own placeholder otherwise."""

    def get_value(self, key, args, kwargs):
        try:
            return super().get_value(key, args, kwargs)
        except (KeyError, IndexError):
            if strict():
                raise MissingMessage(f"no value for the field {key!r}") from None
            log.warning("i18n: no value for the field %r", key)
            return _Verbatim("{" + str(key) + "}")

    def get_field(self, field_name, args, kwargs):
        value, key = super().get_field(field_name, args, kwargs)
        if type(value) is int and field_name not in IDENTIFIER_FIELDS:
            value = number(value)  # a count or an amount: 1,234 (an id stays #12345)
        return value, key

    def format_field(self, value: object, format_spec: str) -> str:
        if format_spec in PARTICLES:
            return with_particle(format(value, ""), format_spec)
        if "|" in format_spec:  # English plurals: {count} {count:account|accounts}
            one, other = format_spec.split("|", 1)
            return one if str(value) == "1" else other
        return format(value, format_spec)


# Fields whose whole numbers are names, not quantities: no thousands separator (#12345).
IDENTIFIER_FIELDS = frozenset({"id", "seq", "first", "last", "seed", "port", "no", "year",
                               "position", "line", "request", "change", "key_id", "key",
                               "credential", "delegation", "old", "new", "value", "code",
                               "head"})


def number(value: int) -> str:
    """A count in both languages' form: digits grouped by three with a comma (1,234; Korean
    groups by three in writing too: 1,234건)."""
    return f"{value:,}"


class _Verbatim(str):
    def __format__(self, format_spec: str) -> str:
        return str(self)


_FORMATTER = _Formatter()


def render(text: str, values: Mapping[str, object]) -> str:
    """Format one catalog text with its values (particles included)."""
    return _FORMATTER.vformat(text, (), values)


# The rules a text names ("locked after {max_failures} failed logins"): their values come from
# the domain, never typed into a catalog, and are there for every text that names them.
RULE_VALUES: dict[str, object] = {"max_failures": MAX_FAILED_ATTEMPTS}


def _rule_values(text: str) -> dict[str, object]:
    return {name: value for name, value in RULE_VALUES.items() if "{" + name in text}


def t(key: str, default: str | None = None, /, **values: object) -> str:
    """The text for `key` in the selected language, formatted with `values`. `default` is for
    callers translating an open family of codes (`t(f"action.{code}", code)`): it is returned,
    formatted, when the key is missing."""
    text = CATALOGS[_language].get(key)
    if text is None:
        text = default if default is not None else _missing(key)
    values = {**_rule_values(text), **values}
    if values:
        try:
            return render(text, values)
        except MissingMessage:
            raise
        except (ValueError, TypeError, AttributeError) as exc:
            if strict():
                raise MissingMessage(f"{key}: {exc}") from exc
            log.warning("i18n: %s cannot be formatted: %s", key, exc)
            return text
    return text


def _missing(key: str) -> str:
    if strict():
        raise MissingMessage(f"no catalog entry {key!r} in {_language!r}")
    log.warning("i18n: no catalog entry %r in %r", key, _language)
    return CATALOGS[DEFAULT_LANGUAGE].get(key, key)


def t_opt(prefix: str, value: str | None, empty: str = "-") -> str:
    """Translate a code under a prefix (`status.active`), keeping unknown codes as they are."""
    if value is None or value == "":
        return empty
    return t(f"{prefix}.{value}", value)


# A refusal's values that are codes (domain.errors.ConsoleError.values), worded through their
# family: {"what": "customer"} -> 고객 / customer. Numbers and ids are shown as they are.
REFUSAL_VALUE_FAMILIES = {"what": "field", "field": "field", "channel": "channel",
                          "status": "request_status", "kind": "kind", "role": "role",
                          "rule": "policy.name", "problem": "audit.problem"}


def code_key(prefix: str, value: object) -> str:
    """The catalog key of a code: `policy change` and `sign-off` as policy_change, sign_off; a
    field's name in one part (`config.toml` as config_toml)."""
    name = str(value).replace(" ", "_").replace("-", "_")
    return f"{prefix}.{name.replace('.', '_') if prefix == 'field' else name}"


def code_word(prefix: str, value: object) -> str:
    """A code in words (`field.limit` -> 조회 건수), the code itself when the family lacks it."""
    return t(code_key(prefix, value), str(value))


def refusal(code: str, detail: str | None = None, values: Mapping[str, object] | None = None,
            field: str | None = None) -> tuple[str, str]:
    """A refusal in the selected language: (the code's words, the detail line or ""). The
    detail is the service's `errors.detail.*` key with its values (codes among them worded by
    REFUSAL_VALUE_FAMILIES); without one, the field it names (`errors.field`), if the catalog
    has words for it. A code the catalog does not know (an unexpected failure) reads as
    errors.UNEXPECTED."""
    key = f"errors.{code}"
    words = t(key) if has(key) else t("errors.UNEXPECTED")
    line = ""
    if detail and has(detail):
        shown = {name: code_word(REFUSAL_VALUE_FAMILIES[name], value)
                 if name in REFUSAL_VALUE_FAMILIES and value is not None else value
                 for name, value in (values or {}).items()}
        line = t(detail, **shown)
    elif field and has(code_key("field", field)):
        line = t("errors.field", field=t(code_key("field", field)))
    return words, line
