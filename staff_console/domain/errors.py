"""Typed errors with stable codes.

Every refusal the console can give is one of these. The code is part of the contract (the CLI
prints it, the UI translates it, tests assert it); the message is for people and may change.
The category decides the CLI exit code: 2 bad input (or a bad setting), 3 refused by a rule,
4 not authenticated or not authorized (or not trusted: a fixed clock on a real store, the wrong
key), 1 the store could not be used (each reason its own STORE_ code) or something unexpected.
"""

from __future__ import annotations

from enum import IntEnum


class Category(IntEnum):
    UNEXPECTED = 1
    INPUT = 2
    RULE = 3
    AUTH = 4


# code -> category. A new code is added here and nowhere else.
CODES: dict[str, Category] = {
    "INVALID_INPUT": Category.INPUT,
    "INVALID_SETTING": Category.INPUT,
    "NOT_FOUND": Category.RULE,
    "INELIGIBLE_CORPORATION": Category.RULE,
    "INELIGIBLE_FOREIGNER": Category.RULE,
    "NO_ONLINE_TRADING": Category.RULE,
    "VERIFICATION_INCOMPLETE": Category.RULE,
    "METHOD_NOT_ALLOWED": Category.RULE,
    "NOT_REGISTERED": Category.RULE,
    "CREDENTIAL_LOCKED": Category.RULE,
    "CREDENTIAL_EXPIRED": Category.RULE,
    "DUPLICATE_PENDING": Category.RULE,
    "DUPLICATE": Category.RULE,
    "ALREADY_DECIDED": Category.RULE,
    "REQUEST_EXPIRED": Category.RULE,
    "SELF_APPROVAL": Category.RULE,
    "DELEGATION_INVALID": Category.RULE,
    "AUTH_FAILED": Category.AUTH,
    "STAFF_LOCKED": Category.AUTH,
    "FORBIDDEN": Category.AUTH,
    "CLOCK_FIXED_REFUSED": Category.AUTH,
    "KEY_MISMATCH": Category.AUTH,
    # The console server (server/): a call without a session or channel key, a session that
    # ended (signed out, idle-locked, past its lifetime, revoked by an admin's lock).
    "AUTH_REQUIRED": Category.AUTH,
    "SESSION_ENDED": Category.AUTH,
    "SESSION_LOCKED": Category.AUTH,
    "IDEMPOTENCY_CONFLICT": Category.INPUT,
    "PAYLOAD_TOO_LARGE": Category.INPUT,
    "RATE_LIMITED": Category.RULE,
    "SERVER_UNAVAILABLE": Category.UNEXPECTED,
    "STORE_UNAVAILABLE": Category.UNEXPECTED,
    "STORE_NOT_INITIALISED": Category.UNEXPECTED,
    "STORE_READ_ONLY": Category.UNEXPECTED,
    "STORE_NOT_A_DATABASE": Category.UNEXPECTED,
    "STORE_FULL": Category.UNEXPECTED,
    "STORE_VERSION": Category.UNEXPECTED,
    "AUDIT_TAMPERED": Category.UNEXPECTED,
}


class ConsoleError(Exception):
    """A refusal with a stable code. `field` names the offending input where there is one.

    `message` is English, for the log, the JSON document and English scripts; a person reads
    the catalog's words for the code (`errors.CODE`) and, where the refusal says more, `detail`:
    a catalog key (`errors.detail.*`) formatted with `values` (numbers, ids and codes only,
    never words: the catalog words them in the person's language; i18n.refusal)."""

    def __init__(self, code: str, message: str, *, field: str | None = None,
                 detail: str | None = None, values: dict[str, object] | None = None) -> None:
        if code not in CODES:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.detail = detail
        self.values = dict(values or {})

    @property
    def category(self) -> Category:
        return CODES[self.code]

    @property
    def exit_code(self) -> int:
        return int(self.category)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def invalid(field: str, message: str, detail: str | None = None, /,
            **values: object) -> ConsoleError:
    """Bad input: the message names the field; `detail` (an `errors.detail.*` key) and its
    values say what is wrong in the person's language."""
    return ConsoleError("INVALID_INPUT", f"{field}: {message}", field=field, detail=detail,
                        values=values)


def not_found(what: str, key: object) -> ConsoleError:
    return ConsoleError("NOT_FOUND", f"{what} {key} not found", field=what,
                        detail="errors.detail.not_found", values={"what": what, "key": str(key)})
