"""The sections of the console: one top-level screen each, reached by a function key, the
command palette, and (for the first one a person may see) right after sign-in.

To add a screen: write it under `screens/` as a `ConsoleScreen` subclass, add a `Section` to
`SECTIONS` below, and add its catalog keys (`nav.<name>.title`, `nav.<name>.help`) to both
catalogs. The app builds the key binding (id `app.section.<name>`), the palette command and the
Textual mode from it.
Screens are imported lazily (on first use), so the sign-in screen paints before any of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from textual.screen import Screen

from ..domain.authority import Role
from .session import StaffSession


def _always(_session: StaffSession) -> bool:
    return True


def _customers(session: StaffSession) -> bool:
    return session.may_view_customers()


def _managers(session: StaffSession) -> bool:
    return session.may_delegate()


def _auditors(session: StaffSession) -> bool:
    return session.may_read_audit()


def _admins(session: StaffSession) -> bool:
    return session.role is Role.ADMIN


@dataclass(frozen=True)
class Section:
    name: str  # the Textual mode name
    key: str  # its function key
    screen: str  # "module:Class", imported on first use
    allowed: Callable[[StaffSession], bool] = _always
    footer: bool = False  # its key in the footer too (all are in F1 help and the palette)

    @property
    def title_key(self) -> str:
        return f"nav.{self.name}.title"

    @property
    def help_key(self) -> str:
        return f"nav.{self.name}.help"

    def factory(self) -> Screen:
        """A new screen of the section (the mode's base): its module is imported on first
        use, after the sign-in screen painted."""
        module, _, cls = self.screen.partition(":")
        return getattr(importlib.import_module(module), cls)()


SECTIONS: list[Section] = [
    Section("search", "f2", "staff_console.screens.search:SearchScreen", _customers,
            footer=True),
    Section("approvals", "f3", "staff_console.screens.approvals:ApprovalsScreen", footer=True),
    Section("delegation", "f4", "staff_console.screens.delegation:DelegationScreen", _managers),
    Section("matrix", "f5", "staff_console.screens.matrix:MatrixScreen"),
    Section("expiring", "f6", "staff_console.screens.expiring:ExpiringScreen", _customers),
    Section("audit", "f7", "staff_console.screens.audit:AuditScreen", _auditors),
    Section("policy", "f8", "staff_console.screens.policy:PolicyScreen", _admins),
]


def section(name: str) -> Section:
    for item in SECTIONS:
        if item.name == name:
            return item
    raise KeyError(name)


def visible_sections(session: StaffSession | None) -> list[Section]:
    if session is None:
        return []
    return [s for s in SECTIONS if s.allowed(session)]
