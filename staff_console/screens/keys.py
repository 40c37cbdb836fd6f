"""The console's keys: the keymap setting and the 한글-mode twin of every letter key.

Every binding has an id (`approvals.approve`). `prepare_bindings` runs once per app, screen,
dialog and pane, where their bindings are prepared (screens/base.py `translate_bindings`):

1. the keymap setting (binding id -> keys, `settings.keymap`) moves a binding to its new keys;
2. every binding on a single letter key gets a twin on the jamo that key types in 한글 mode
   (domain/keyboard.py, the one table): `a` approves and so does `ㅁ`. The twin keeps the
   binding's id, action and description, is not shown in the footer (F1 lists it: `a / ㅁ`), and
   follows a remapped key (approve moved to `p`: `ㅔ` approves, `ㅁ` no longer does).

When a text field has the focus, Textual leaves out every binding on a key the field takes as
text: a jamo typed into an Input is text, as a Latin letter is.

Why the keymap is applied here and not with `App.set_keymap`: Textual applies the app's keymap
after it has left out the keys a focused text field takes, so a binding moved onto a letter (or
its jamo twin) would fire while a teller types a name. Applied where the bindings are prepared,
a moved binding is one more binding like the others.

`check_keymap` validates the setting when the app starts: unknown binding ids, keys Textual does
not know, and clashes (two bindings on one key, or on one key and its twin, where one of them was
moved there: on one screen, or a screen's key against a key the app binds everywhere) are refused
with INVALID_SETTING. (Moving approve onto `ㅌ` would take reject's twin: in 한글 mode the reject
key would approve.)
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import replace

from textual.binding import Binding, BindingsMap
from textual.keys import Keys, _character_to_key
from textual.screen import Screen

from ..domain.errors import ConsoleError
from ..domain.keyboard import is_jamo_key, twin

MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")
SETTING = "STAFF_CONSOLE_KEYMAP (config.toml: keymap)"


def keymap_of(node) -> Mapping[str, str]:
    """The keymap of the app `node` belongs to (the app itself, a screen, a pane); empty when
    there is none (a node made outside a running app)."""
    from textual.app import App

    if isinstance(node, App):
        app = node
    else:
        try:
            app = node.app
        except Exception:  # noqa: BLE001 - NoActiveAppError: no app, no keymap
            return {}
    return getattr(app, "keymap", None) or {}


def keys_of(value: str) -> list[str]:
    """A keymap value (`p` or `p, f9`) as Textual's key names (`/` -> `slash`)."""
    keys = [key.strip() for key in value.split(",")]
    return [_character_to_key(key) if len(key) == 1 else key for key in keys]


def _place(bindings: Iterable[Binding], keymap: Mapping[str, str], *,
           every_twin: bool = False) -> dict[str, list[Binding]]:
    """The bindings on their keys: moved where the keymap says, then the letter keys' twins
    (never over a key something is bound to; `every_twin`: the check's view, with them)."""
    placed: list[Binding] = []
    moved: set[int] = set()
    for binding in bindings:
        if binding.id and binding.id in keymap:
            if id(binding) in moved:
                continue
            moved.add(id(binding))
            placed.extend(binding.with_key(key=key, key_display=None)
                          for key in keys_of(keymap[binding.id]))
        else:
            placed.append(binding)
    result: dict[str, list[Binding]] = {}
    for binding in placed:
        result.setdefault(binding.key, []).append(binding)
    for binding in placed:
        other = twin(binding.key)
        if other is not None and (every_twin or other not in result):
            result.setdefault(other, []).append(
                replace(binding, key=other, key_display=None, show=False))
    return result


def prepare_bindings(bindings_map: BindingsMap, keymap: Mapping[str, str]) -> None:
    """Apply the keymap and add the twins, in place (called once per node)."""
    items = [b for key_bindings in bindings_map.key_to_bindings.values() for b in key_bindings]
    new = _place(items, keymap)
    bindings_map.key_to_bindings.clear()
    bindings_map.key_to_bindings.update(new)


def twin_label(key: str) -> str | None:
    """For F1: the jamo shown next to a letter key (`a` -> `ㅁ`), None for other keys."""
    other = twin(key)
    return other if other is not None and is_jamo_key(other) else None


# ---------------------------------------------------------------------------- validation


def _key_names() -> frozenset[str]:
    names = {key.value.rsplit("+", 1)[-1] for key in Keys}
    names.update(_character_to_key(chr(code)) for code in range(0x21, 0x7F))
    names.update({"space", "enter", "tab", "backspace", "escape"})
    names.update(f"f{n}" for n in range(1, 25))
    return frozenset(names)


def valid_key(key: str) -> bool:
    """A key Textual can name: modifiers (ctrl+, shift+, alt+...) and a key (`p`, `ㅔ`, `f9`,
    `slash`, `pagedown`)."""
    *mods, base = key.split("+")
    if any(mod not in MODIFIERS for mod in mods) or len(set(mods)) != len(mods):
        return False
    if len(base) == 1:
        return base.isalnum() and base.isprintable()
    return base in _key_names()


def _console_classes() -> list[type]:
    """The app and every class of the console's screens that binds keys (every module under
    staff_console.screens imported: a new screen is checked without being listed here)."""
    from . import __name__ as package
    from . import __path__ as path
    from .base import ConsoleCalls

    for module in pkgutil.iter_modules(path):
        importlib.import_module(f"{package}.{module.name}")
    found: list[type] = []
    todo = list(ConsoleCalls.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("staff_console.") and cls not in found:
            found.append(cls)
    return found


def _merged(cls: type) -> list[Binding]:
    return [b for bs in cls._merge_bindings().key_to_bindings.values()  # type: ignore[attr-defined]
            for b in bs]


def _scopes(app_cls: type) -> list[tuple[str, list[type]]]:
    """The sets of classes whose bindings are live together: the app alone; each screen or
    dialog with the app; each pane with the app and with the screens whose module shows it."""
    classes = _console_classes()
    screens = [c for c in classes if issubclass(c, Screen)]
    scopes: list[tuple[str, list[type]]] = [(app_cls.__name__, [app_cls])]
    for cls in classes:
        if issubclass(cls, Screen):
            scopes.append((cls.__name__, [cls, app_cls]))
        else:
            hosts = [s for s in screens if vars(sys.modules[s.__module__]).get(cls.__name__)
                     is cls]
            scopes.append((cls.__name__, [cls, app_cls, *hosts]))
    return scopes


def _refuse(message: str) -> ConsoleError:
    return ConsoleError("INVALID_SETTING", f"{SETTING}: {message}", field="keymap")


def check_keymap(keymap: Mapping[str, str], app_cls: type) -> dict[str, str]:
    """The keymap, validated against the console's bindings; INVALID_SETTING naming the first
    unknown id, unknown key or clash. Returns it with Textual's key names (`/` -> `slash`)."""
    if not keymap:
        return {}
    normalized: dict[str, str] = {}
    for binding_id, value in keymap.items():
        keys = keys_of(value)
        if not all(keys) or len(set(keys)) != len(keys):
            raise _refuse(f"{binding_id}: {value!r} is not a list of keys (`p` or `p,f9`)")
        for key in keys:
            if not valid_key(key):
                raise _refuse(f"{binding_id}: {key!r} is not a key name (e.g. `p`, `f9`, "
                              "`ctrl+r`, `slash`)")
        normalized[binding_id] = ",".join(keys)
    scopes = _scopes(app_cls)
    known = {b.id for _, classes in scopes for cls in classes for b in _merged(cls) if b.id}
    for binding_id in normalized:
        if binding_id not in known:
            raise _refuse(f"unknown binding id {binding_id!r} (F1 lists a screen's keys; the "
                          "ids are in docs/keys.md, e.g. approvals.approve)")
    for name, classes in scopes:
        before = _ids_on_keys(classes, {})
        for key, ids in _ids_on_keys(classes, normalized).items():
            # Two bindings on one key, one of them moved there by the keymap (a screen's own
            # keys over the app's, like F1 on the help, are the design: not the keymap's doing).
            if len(ids) > 1 and ids & normalized.keys() and ids != before.get(key):
                raise _refuse(f"{key!r} would be bound twice on {name}: "
                              f"{', '.join(sorted(ids))}")
    return normalized


def _ids_on_keys(classes: list[type], keymap: Mapping[str, str]) -> dict[str, set[str]]:
    on_key: dict[str, set[str]] = {}
    for cls in classes:
        for key, bindings in _place(_merged(cls), keymap, every_twin=True).items():
            on_key.setdefault(key, set()).update(b.id or f"<{b.action}>" for b in bindings)
    return on_key


__all__ = ["check_keymap", "keymap_of", "prepare_bindings", "twin_label", "valid_key"]
