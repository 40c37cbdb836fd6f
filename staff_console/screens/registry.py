"""The sections of the console: one top-level screen each, reached by a function key, the
command palette, and (for the first one a person may see) right after sign-in.

The admin's own sections are 정책 (F8) and 직원 관리 (F9: staff, branches, channel keys). Who lands
where after sign-in: `landing_section`.

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
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # at the app's start (its first frame) only the sections' names are needed
    from datetime import datetime

    from textual.screen import Screen

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
    from ..domain.authority import Role

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
    Section("staff", "f9", "staff_console.screens.staff_admin:StaffAdminScreen", _admins),
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


def decides(session: StaffSession, now: datetime) -> bool:
    """Whether the person may decide requests now (a manager, or a delegate inside an active
    window): their landing depends on whether 결재함 holds anything."""
    return session.may_decide_any(now)


def landing_section(session: StaffSession, now: datetime, *, pending: int = 0) -> str:
    """The section a person sees right after signing in (issue 15 item 5): a teller the search;
    a manager or an active delegate 결재함 when `pending` requests wait for them, else the
    search; an auditor the audit trail; an admin the staff administration. Always one of their
    visible sections (the first one if the role's own is not)."""
    from ..domain.authority import Role

    if session.role is Role.ADMIN:
        wanted = "staff"
    elif session.role is Role.AUDITOR:
        wanted = "audit"
    elif decides(session, now) and pending > 0:
        wanted = "approvals"
    else:
        wanted = "search"
    names = [s.name for s in visible_sections(session)]
    return wanted if wanted in names else names[0]
