"""What a search query can mean (the search screen's one box): pure, no SQL.

A query is classified into the kinds it can mean, each with the values its condition binds
(the store turns a kind into its WHERE clause). Numbers: the last four digits of a phone, a
birth date (YYMMDD), a whole phone, an account; letters: a name prefix or 초성 initials
(mixed 홍ㄱ: syllables in place, initials for any syllable); a customer number; and a whole
resident or business number, found through its keyed hash (the store computes the hash).
"""

from __future__ import annotations

from enum import StrEnum

from .errors import ConsoleError
from .hangul import chosung_key, has_hangul, has_initials, is_initial
from .ids import parse_id_number


class SearchKind(StrEnum):
    PHONE_LAST4 = "phone_last4"
    BIRTH_DATE = "birth_date"
    PHONE = "phone"
    ACCOUNT = "account"
    CHOSUNG = "chosung"  # with a `pattern` when syllables are mixed in
    NAME = "name"
    CUSTOMER_NO = "customer_no"
    ID_NUMBER = "id_number"


def next_prefix(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _compact(text: str) -> str:
    return text.replace("-", "").replace(" ", "")


def classify_query(query: str) -> list[tuple[str, dict[str, str]]]:
    """Which search kinds a query can mean, each with the values of its condition.
    Prefixes come as ranges [low, high), so they walk an index."""
    text = " ".join(query.split())
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
        key = chosung_key(text)
        params = {"low": key, "high": next_prefix(key)}
        letters = text.replace(" ", "")
        if any(not is_initial(ch) for ch in letters):
            params["pattern"] = "".join(
                "_" if is_initial(ch) else like_escape(ch) for ch in letters) + "%"
        kinds.append((SearchKind.CHOSUNG, params))
    elif has_hangul(text) or any(ch.isalpha() for ch in text):
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
