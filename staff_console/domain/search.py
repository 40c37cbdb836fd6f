"""What a search query can mean (the search screen's one box): pure, no SQL.

A query is classified into the kinds it can mean, each with the values its condition binds
(the store turns a kind into its WHERE clause). Numbers: the last four digits of a phone, a
birth date (YYMMDD), a whole phone, an account; letters: a name prefix or 초성 initials
(mixed 홍ㄱ: syllables in place, initials for any syllable); a customer number; and a whole
resident or business number, found through its keyed hash (the store computes the hash).

The query is read as typed (hangul.search_form: NFC, ㄳ as ㄱㅅ). A name of Hangul syllables
is a prefix of the stored name; a name with any other letter (SMITH, 김 John) is a prefix of
the name's 초성 key, which is case-folded and has no spaces (`smith j` finds SMITH JOHN), with
the syllables pinned in place by a pattern over the name.
"""

from __future__ import annotations

from enum import StrEnum

from .errors import ConsoleError
from .hangul import chosung_key, has_hangul, has_initials, is_syllable, search_form
from .ids import parse_id_number


class SearchKind(StrEnum):
    PHONE_LAST4 = "phone_last4"
    BIRTH_DATE = "birth_date"
    PHONE = "phone"
    ACCOUNT = "account"
    CHOSUNG = "chosung"  # with a `pattern` when syllables are mixed in
    NAME = "name"  # by `low`/`high` over the name, or `key_low`/`key_high` over its 초성 key
    CUSTOMER_NO = "customer_no"
    ID_NUMBER = "id_number"


def next_prefix(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _compact(text: str) -> str:
    return text.replace("-", "").replace(" ", "")


def _key_params(text: str, low: str = "low", high: str = "high") -> dict[str, str]:
    """A prefix of the 초성 key, and when the query holds syllables a pattern over the name that
    pins them in place (other characters: the key already matched them; a typed space stands
    for any run, none included). A plain LIKE on the name: the key's index holds the name."""
    key = chosung_key(text)
    params = {low: key, high: next_prefix(key)}
    if any(is_syllable(ch) for ch in text):
        params["pattern"] = "".join(
            "%" if ch == " " else like_escape(ch) if is_syllable(ch) else "_" for ch in text
        ) + "%"
    return params


def classify_query(query: str) -> list[tuple[str, dict[str, str]]]:
    """Which search kinds a query can mean, each with the values of its condition.
    Prefixes come as ranges [low, high), so they walk an index."""
    text = " ".join(search_form(query).split())
    compact = _compact(text)
    kinds: list[tuple[str, dict[str, str]]] = []
    if compact.isascii() and compact.isdigit():
        if len(compact) == 4:
            kinds.append((SearchKind.PHONE_LAST4, {"value": compact}))
        if len(compact) == 6:
            kinds.append((SearchKind.BIRTH_DATE, {"value": compact}))
        if len(compact) in (10, 11) and compact.startswith("01"):
            kinds.append((SearchKind.PHONE, {"value": compact}))
        if 6 <= len(compact) <= 20:
            kinds.append((SearchKind.ACCOUNT, {"value": compact}))
    if has_initials(text):
        kinds.append((SearchKind.CHOSUNG, _key_params(text)))
    elif any(ch.isalpha() and not is_syllable(ch) for ch in text):
        # Latin (or any other) letters: stored in any case, compared case-folded by the key.
        kinds.append((SearchKind.NAME, _key_params(text, "key_low", "key_high")))
    elif has_hangul(text):
        kinds.append((SearchKind.NAME, {"low": text, "high": next_prefix(text)}))
    # Customer numbers are ASCII letters, digits and dashes (domain.ids.normalize_customer_no).
    if compact and compact.isascii() and compact.isalnum() and len(compact) <= 20:
        kinds.append((SearchKind.CUSTOMER_NO, {"value": text.upper()}))
    return [(str(kind), params) for kind, params in kinds]


def id_number_digits(query: str) -> str | None:
    """The digits of a whole resident (13) or business (10) number, if the query is one."""
    compact = _compact(query)
    if not (compact.isascii() and compact.isdigit() and len(compact) in (10, 13)):
        return None
    try:
        return parse_id_number(compact).digits
    except ConsoleError:
        return None
