"""Typer's parameter coercion without pydantic for the plain values a command line gives.

Typer (0.2x) turns every parameter's text into its value through a pydantic `TypeAdapter`,
built when the parameter is first processed: the first one imports pydantic's schema
machinery, ~0.04 s on top of pydantic's own import, on every command. Our commands' parameters
are `str`, `int` (with a range), `bool` flags and `Path`. For a `str`, for an `int` written
plainly (ASCII digits) or given as a default, inside its range, and for a flag's True or False
(or None: not given) the value is known without pydantic: here it is returned as Typer's
adapter would return it.
Anything else (a number out of range, a sign, spaces, a value that is not text, a `Path`, a
choice, a parser) goes to Typer's own adapter, built then: its value and its refusal
(message, exit status) are Typer's, unchanged. tests/cli/test_quick_params.py compares the
two on every parameter of the app.

Installed by the CLI's package (cli/__init__.py) on Typer's parameter class; if Typer's
internals are not the ones this was written for, nothing is installed and Typer runs as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_PLAIN_INT = re.compile(r"(?:0|[1-9][0-9]{0,17})\Z")  # ASCII only, no sign, no padding


def quick_value(annotation: Any, minimum: Any, maximum: Any, value: Any) -> tuple[bool, Any]:
    """(True, the value) when it is certain without pydantic, else (False, None)."""
    if annotation is bool and type(value) is bool:  # a flag (Typer skips these itself)
        return True, value
    if annotation is int and type(value) is int:  # a default (`--limit` not given)
        return _within(value, minimum, maximum)
    if type(value) is not str:
        return False, None
    try:
        value.encode("utf-8")  # a lone surrogate (undecodable argv bytes): Typer decides
    except UnicodeEncodeError:
        return False, None
    if annotation is str:
        return True, value
    if annotation is int and _PLAIN_INT.match(value):
        return _within(int(value), minimum, maximum)
    return False, None


def _within(number: int, minimum: Any, maximum: Any) -> tuple[bool, Any]:
    if (minimum is None or number >= minimum) and (maximum is None or number <= maximum):
        return True, number
    return False, None  # Typer's adapter words the refusal


def qualifies(descriptor: Any) -> bool:
    """A parameter whose adapter is only `str`, a `bool` flag (`--help`: its value is None
    unless given, and None needs no adapter) or a ranged, unclamped `int`."""
    info = descriptor.parameter_info
    if descriptor.file_annotation is not None or info.parser is not None:
        return False
    if descriptor.annotation in (str, bool):
        return True
    return descriptor.annotation is int and not info.clamp


def install() -> bool:
    """Put the quick path in front of Typer's adapters; False (nothing done) if Typer's
    internals are not as expected."""
    try:
        from typer import core as typer_core
        from typer._coercion import RuntimeParam, build_runtime_param
    except ImportError:
        return False
    base = getattr(typer_core, "_TyperParameter", None)
    original = getattr(base, "get_runtime_param", None)
    if base is None or original is None or getattr(original, "_staff_console_quick", False):
        return False

    @dataclass(frozen=True)
    class QuickRuntimeParam(RuntimeParam):
        descriptor: Any = None

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            info = self.parameter_info
            known, result = quick_value(self.annotation, info.min, info.max, value)
            if known:
                return result
            full = build_runtime_param(self.descriptor)  # Typer's adapter: its answer
            param._runtime_param = full
            return full._coerce_value(value, param=param, ctx=ctx)

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None and qualifies(self.type_descriptor):
            descriptor = self.type_descriptor
            self._runtime_param = QuickRuntimeParam(
                parameter_info=descriptor.parameter_info, annotation=descriptor.annotation,
                descriptor=descriptor)
        return original(self)

    get_runtime_param._staff_console_quick = True  # type: ignore[attr-defined]
    base.get_runtime_param = get_runtime_param
    return True
