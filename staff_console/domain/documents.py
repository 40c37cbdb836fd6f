"""Reading a JSON or TOML document that came from outside (a request body, a setting, a file):
one exception for every way it can be unreadable. Standard library only, and cheap to import:
the settings read documents before the rest of the program loads.

Besides the parsers' own errors (and bytes that are not UTF-8, a ValueError too), a document
nested deeper than Python's stack raises RecursionError, which is not a ValueError: each
caller catching the parsers' errors alone let `[[[[…` end in an unexpected failure."""

from __future__ import annotations

import json
from typing import Any


class Unreadable(ValueError):
    """The document is not what it says it is; the message says why, briefly."""


def read_json(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise Unreadable("nested too deep") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise Unreadable(str(exc) or type(exc).__name__) from None


def read_toml(text: str) -> dict[str, Any]:
    import tomllib  # only when there is a document to read

    try:
        return tomllib.loads(text)
    except RecursionError:
        raise Unreadable("nested too deep") from None
    except tomllib.TOMLDecodeError as exc:
        raise Unreadable(str(exc)) from None
