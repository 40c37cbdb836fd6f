"""The console's values on the wire: JSON out of the views, and back into them by their types.

Shared by the server (arguments in, results out) and the thin client (arguments out, results
in), so both ends read one format: a dataclass is an object of its fields, a datetime an
ISO-8601 string with its offset, a date `YYYY-MM-DD`, an enum its value, a tuple or list an
array. `decode(hint, value)` rebuilds the value a type hint names (dataclasses by
`dataclasses.fields` and `typing.get_type_hints`, Optional, unions with None, list, tuple,
dict); it imports nothing of the database, so the client stays light.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Sequence
from datetime import date, datetime
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

from ..domain.errors import ConsoleError


def encode(value: Any) -> Any:
    """A JSON-ready copy of `value`."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [encode(v) for v in value]
    raise TypeError(f"cannot send a {type(value).__name__}")


def _default(value: Any) -> Any:
    """What json.dumps cannot write by itself, one level at a time (`encode`'s rules)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: getattr(value, name) for name in _field_names(type(value))}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(f"cannot send a {type(value).__name__}")


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"),
                            default=_default)


def dumps(value: Any) -> bytes:
    """`value` as the JSON `encode` would give, in one pass and without the copy: a server's
    answer (the same text as `json.dumps(encode(value))` for every view; test_wire checks it).
    Enums that are not str or int are written by their value like `encode` does."""
    return _ENCODER.encode(value).encode("utf-8")


@cache
def field_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _bad(field: str, expected: str) -> ConsoleError:
    return ConsoleError("INVALID_INPUT", f"{field}: expected {expected}", field=field)


def decode(hint: Any, value: Any, field: str = "body") -> Any:
    """`value` (parsed JSON) as the type `hint` names; INVALID_INPUT naming `field` if it is
    not one. Only the shapes the console's calls and views use are known."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None:
            if type(None) in options:
                return None
            raise _bad(field, "a value")
        last: ConsoleError | None = None
        for option in options:
            if option is type(None):
                continue
            try:
                return decode(option, value, field)
            except ConsoleError as exc:
                last = exc
        raise last or _bad(field, str(hint))
    if value is None:
        raise _bad(field, "a value")
    if origin in (list, Sequence, typing.Sequence) or hint in (list, Sequence):
        if not isinstance(value, list):
            raise _bad(field, "an array")
        (item,) = typing.get_args(hint) or (Any,)
        return [decode(item, v, f"{field}[{i}]") for i, v in enumerate(value)]
    if origin is tuple or hint is tuple:
        if not isinstance(value, list):
            raise _bad(field, "an array")
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(args[0], v, f"{field}[{i}]") for i, v in enumerate(value))
        if args and len(args) != len(value):
            raise _bad(field, f"{len(args)} items")
        return tuple(decode(a, v, f"{field}[{i}]")
                     for i, (a, v) in enumerate(zip(args or [Any] * len(value), value, strict=True)))
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise _bad(field, "an object")
        args = typing.get_args(hint)
        item = args[1] if args else Any
        return {str(k): decode(item, v, f"{field}.{k}") for k, v in value.items()}
    if isinstance(hint, type):
        return _decode_type(hint, value, field)
    raise TypeError(f"cannot decode {hint!r}")


def _decode_type(hint: type, value: Any, field: str) -> Any:
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise _bad(field, "an object")
        hints = field_hints(hint)
        known = {f.name for f in dataclasses.fields(hint) if f.init}
        unknown = set(value) - known
        if unknown:
            raise _bad(f"{field}.{sorted(unknown)[0]}", "no such field")
        missing = [f.name for f in dataclasses.fields(hint) if f.init and f.name not in value
                   and f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING]
        if missing:
            raise _bad(f"{field}.{missing[0]}", "a value")
        return hint(**{name: decode(hints[name], v, f"{field}.{name}")
                       for name, v in value.items()})
    if hint is bool:
        if not isinstance(value, bool):
            raise _bad(field, "true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(field, "a whole number")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(field, "a number")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise _bad(field, "text")
        return value
    if issubclass(hint, Enum):
        try:
            return hint(value)
        except ValueError:
            raise _bad(field, f"one of {', '.join(str(m.value) for m in hint)}") from None
    if hint in (datetime, date):
        if not isinstance(value, str):
            raise _bad(field, "an ISO-8601 text")
        try:
            parsed = hint.fromisoformat(value)
        except ValueError:
            raise _bad(field, "an ISO-8601 text") from None
        if isinstance(parsed, datetime) and parsed.tzinfo is None:
            raise _bad(field, "a time with its UTC offset")
        return parsed
    if hint is Path:
        if not isinstance(value, str):
            raise _bad(field, "a path")
        return Path(value)
    raise TypeError(f"cannot decode {hint!r}")
