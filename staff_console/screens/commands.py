"""The command palette (Ctrl+P): the sections and session commands, and customer search.

Customer search calls the service off the event loop (`asyncio.to_thread`); the palette cancels
a search when the query changes, and the short sleep first makes that a debounce.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape as escape_markup

from ..i18n import t
from ..widgets import format as fmt
from .registry import visible_sections

if TYPE_CHECKING:
    from ..app import StaffConsoleApp

PALETTE_DEBOUNCE = 0.12
PALETTE_LIMIT = 8


def _commands(app: StaffConsoleApp) -> list[tuple[str, Callable[[], object], str]]:
    items: list[tuple[str, Callable[[], object], str]] = []
    if app.session is None or app.locked:
        return items
    for entry in visible_sections(app.session):
        items.append((t(entry.title_key), partial(app.open_section, entry.name),
                      t(entry.help_key)))
    items.append((t("nav.lock.title"), app.action_lock, t("nav.lock.help")))
    items.append((t("nav.sign_out.title"), app.action_sign_out, t("nav.sign_out.help")))
    items.append((t("nav.help.title"), app.action_help, t("nav.help.help")))
    return items


def staff_app(provider: Provider) -> StaffConsoleApp:
    return cast("StaffConsoleApp", provider.app)


class NavigationCommands(Provider):
    async def discover(self) -> Hits:
        for name, command, help_text in _commands(staff_app(self)):
            yield DiscoveryHit(name, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, command, help_text in _commands(staff_app(self)):
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), command, help=help_text)


class CustomerCommands(Provider):
    """Typing a name, 초성, customer number... lists matching customers; choosing one opens it."""

    async def search(self, query: str) -> Hits:
        app = staff_app(self)
        session = app.session
        query = query.strip()
        if session is None or app.locked or not session.may_view_customers() or not query:
            return
        await asyncio.sleep(PALETTE_DEBOUNCE)
        try:
            page = await asyncio.to_thread(
                lambda: app.api.search_customers(query, limit=PALETTE_LIMIT))
        except Exception:  # noqa: BLE001 - a partial query is not an error worth a message
            return
        for rank, item in enumerate(page.items):
            label = fmt.safe(t("palette.customer", name=item.name,
                               customer_no=item.customer_no, id_masked=item.id_masked))
            # The palette reads a str prompt or help as markup: data goes in as Text/escaped.
            yield Hit(1.0 - rank / 100, fmt.plain(label),
                      partial(app.open_customer, item.customer_no), text=label,
                      help=escape_markup(fmt.safe(t("palette.customer_help",
                                                    phone=item.phone_masked,
                                                    branch=item.branch_code))))
