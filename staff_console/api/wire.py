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
from collections.abc import Callable, Sequence
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
    return _decoder(hint)(value, field, "")


# A decoder is made once per type hint (`_decoder`) and takes (value, where, key): the value's
# place is `where` followed by `key` (".name" of a field, or an item's index), put together
# only for a refusal. Reading the hint on every value (get_origin, get_args, the fields) and
# naming every value's place cost a terminal more CPU than the rest of a call's answer.
Decoder = Callable[[Any, str, "str | int"], Any]


def _place(where: str, key: str | int) -> str:
    return where + key if isinstance(key, str) else f"{where}[{key}]"


def _refuse(value: Any, where: str, key: str | int, expected: str) -> ConsoleError:
    return _bad(_place(where, key), "a value" if value is None else expected)


@cache
def _decoder(hint: Any) -> Decoder:
    if hint is Any:
        return _as_is
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return _union(hint)
    if origin in (list, Sequence, typing.Sequence) or hint in (list, Sequence):
        return _list((typing.get_args(hint) or (Any,))[0])
    if origin is tuple or hint is tuple:
        return _tuple(typing.get_args(hint))
    if origin is dict or hint is dict:
        args = typing.get_args(hint)
        return _dict(args[1] if args else Any)
    if isinstance(hint, type):
        if dataclasses.is_dataclass(hint):
            return _dataclass(hint)
        if hint in _LEAVES:
            return _LEAVES[hint]
        if issubclass(hint, Enum):
            return _enum(hint)
    raise TypeError(f"cannot decode {hint!r}")


def _as_is(value: Any, where: str, key: str | int) -> Any:
    return value


def _union(hint: Any) -> Decoder:
    options = typing.get_args(hint)
    takes_none = type(None) in options
    decoders = [_decoder(option) for option in options if option is not type(None)]
    if len(decoders) == 1:  # Optional[X]
        (only,) = decoders

        def optional(value: Any, where: str, key: str | int) -> Any:
            if value is None:
                if takes_none:
                    return None
                raise _bad(_place(where, key), "a value")
            return only(value, where, key)
        return optional

    def union(value: Any, where: str, key: str | int) -> Any:
        if value is None:
            if takes_none:
                return None
            raise _bad(_place(where, key), "a value")
        last: ConsoleError | None = None
        for option in decoders:
            try:
                return option(value, where, key)
            except ConsoleError as exc:
                last = exc
        raise last or _bad(_place(where, key), str(hint))
    return union


def _list(item_hint: Any) -> Decoder:
    item = _decoder(item_hint)

    def as_list(value: Any, where: str, key: str | int) -> list:
        if not isinstance(value, list):
            raise _refuse(value, where, key, "an array")
        here = _place(where, key)
        return [item(v, here, i) for i, v in enumerate(value)]
    return as_list


def _tuple(args: tuple) -> Decoder:
    if len(args) == 2 and args[1] is Ellipsis:
        item = _decoder(args[0])

        def as_tuple(value: Any, where: str, key: str | int) -> tuple:
            if not isinstance(value, list):
                raise _refuse(value, where, key, "an array")
            here = _place(where, key)
            return tuple(item(v, here, i) for i, v in enumerate(value))
        return as_tuple
    items = [_decoder(a) for a in args]

    def as_fixed_tuple(value: Any, where: str, key: str | int) -> tuple:
        if not isinstance(value, list):
            raise _refuse(value, where, key, "an array")
        here = _place(where, key)
        if not items:
            return tuple(value)
        if len(items) != len(value):
            raise _bad(here, f"{len(items)} items")
        return tuple(decoder(v, here, i) for i, (decoder, v) in enumerate(zip(items, value, strict=True)))
    return as_fixed_tuple


def _dict(item_hint: Any) -> Decoder:
    item = _decoder(item_hint)

    def as_dict(value: Any, where: str, key: str | int) -> dict:
        if not isinstance(value, dict):
            raise _refuse(value, where, key, "an object")
        here = _place(where, key)
        return {str(k): item(v, here, f".{k}") for k, v in value.items()}
    return as_dict


def _dataclass(cls: type) -> Decoder:
    init = [f for f in dataclasses.fields(cls) if f.init]
    known = frozenset(f.name for f in init)
    required = tuple(f.name for f in init if f.default is dataclasses.MISSING
                     and f.default_factory is dataclasses.MISSING)
    keys = {name: "." + name for name in known}
    # The fields' decoders are made at the first value, not here: a view may name itself.
    fields: dict[str, tuple[Decoder, str]] = {}

    def as_dataclass(value: Any, where: str, key: str | int) -> Any:
        if not isinstance(value, dict):
            raise _refuse(value, where, key, "an object")
        here = _place(where, key)
        if not known.issuperset(value):
            raise _bad(f"{here}.{sorted(set(value) - known)[0]}", "no such field")
        for name in required:
            if name not in value:
                raise _bad(f"{here}.{name}", "a value")
        if not fields:
            hints = field_hints(cls)
            fields.update({name: (_decoder(hints[name]), keys[name]) for name in known})
        arguments = {}
        for name, v in value.items():
            decoder, field_key = fields[name]
            arguments[name] = decoder(v, here, field_key)
        return cls(**arguments)
    return as_dataclass


def _bool(value: Any, where: str, key: str | int) -> bool:
    if not isinstance(value, bool):
        raise _refuse(value, where, key, "true or false")
    return value


def _int(value: Any, where: str, key: str | int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _refuse(value, where, key, "a whole number")
    return value


def _float(value: Any, where: str, key: str | int) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _refuse(value, where, key, "a number")
    return float(value)


def _str(value: Any, where: str, key: str | int) -> str:
    if not isinstance(value, str):
        raise _refuse(value, where, key, "text")
    return value


def _enum(cls: type[Enum]) -> Decoder:
    def as_enum(value: Any, where: str, key: str | int) -> Enum:
        if value is None:
            raise _bad(_place(where, key), "a value")
        try:
            return cls(value)
        except ValueError:
            raise _bad(_place(where, key),
                       f"one of {', '.join(str(m.value) for m in cls)}") from None
    return as_enum


def _instant(cls: type[date]) -> Decoder:
    def as_instant(value: Any, where: str, key: str | int) -> date:
        if not isinstance(value, str):
            raise _refuse(value, where, key, "an ISO-8601 text")
        try:
            parsed = cls.fromisoformat(value)
        except ValueError:
            raise _bad(_place(where, key), "an ISO-8601 text") from None
        if isinstance(parsed, datetime) and parsed.tzinfo is None:
            raise _bad(_place(where, key), "a time with its UTC offset")
        return parsed
    return as_instant


def _path(value: Any, where: str, key: str | int) -> Path:
    if not isinstance(value, str):
        raise _refuse(value, where, key, "a path")
    return Path(value)


_LEAVES: dict[type, Decoder] = {bool: _bool, int: _int, float: _float, str: _str,
                                datetime: _instant(datetime), date: _instant(date), Path: _path}
