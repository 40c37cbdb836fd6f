"""직무대행 screen (F4): a manager grants a delegation from the form and ends it early; the form
checks the Korea-time input; a teller does not see the section, sees their own delegations
read-only if the screen is reached anyway, and the services refuse them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from textual.command import CommandPalette
from textual.widgets import DataTable, Input, OptionList
from ui_pilot import footer_keys, notifications, settle, sign_in, text_of, type_text
from views import each_view

from staff_console.demo import DEMO_PASSWORD
from staff_console.domain.clock import SEOUL
from staff_console.domain.errors import ConsoleError
from staff_console.i18n import t
from staff_console.screens.delegation import (
    DelegationScreen,
    GrantModal,
    parse_korea_time,
    state_of,
)
from staff_console.screens.modals import ConfirmModal
from staff_console.screens.search import SearchScreen
from staff_console.services.audit_trail import list_events
from staff_console.services.delegations import (
    end_delegation,
    grant_delegation,
    list_delegations,
)
from staff_console.services.staff import authenticate

WIDE = (120, 40)


def _app(make_app, **kwargs):
    app = make_app(**kwargs)
    app.terminal = "tui@test"  # the host name would differ between machines
    return app


async def _still(pilot) -> None:
    await settle(pilot)
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    pilot.app.clear_notifications()
    await pilot.pause()


def test_parse_korea_time():
    instant = parse_korea_time("2026-11-24 09:30")
    assert instant == datetime(2026, 11, 24, 9, 30, tzinfo=SEOUL)
    assert instant.utcoffset() == timedelta(hours=9)
    assert parse_korea_time(" 2026-11-24   09:30 ") == instant
    for bad in ("", "2026-11-24", "2026/11/24 09:30", "2026-13-01 00:00", "2026-11-24 25:00"):
        assert parse_korea_time(bad) is None


async def test_manager_grants_then_ends_a_delegation(make_app, ui_backend, ui_clock):
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "M001")
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DelegationScreen)
        assert screen.delegations == []
        assert t("keys.grant") in footer_keys(screen)
        assert screen.check_action("end", ()) is False  # nothing selected: not shown
        assert t("keys.end_delegation") not in footer_keys(screen)

        await pilot.press("g")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, GrantModal)
        # the branch's staff, without the manager; D001 (이대행) first
        assert [c.employee_no for c in form.candidates] == ["D001", "T001", "T002", "T003"]
        assert form.query_one("#grant-from", Input).value == "2026-11-24 10:00"
        assert form.query_one("#grant-until", Input).value == "2026-12-01 10:00"
        await pilot.press("enter")  # pick D001, on to "from"
        await pilot.press("enter")  # keep "from", on to "until"
        await pilot.press("enter")  # keep "until": submit
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        question = text_of(app.screen.query_one(".dialog-body"))
        assert "D001" in question and "2026-11-24 10:00" in question
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen
        [granted] = screen.delegations
        assert granted.delegate == "D001" and granted.active
        assert granted.valid_from == datetime(2026, 11, 24, 10, 0, tzinfo=SEOUL)
        assert granted.valid_until == datetime(2026, 12, 1, 10, 0, tzinfo=SEOUL)
        assert any(f"#{granted.id}" in n for n in notifications(app))
        table = screen.query_one("#delegation-table", DataTable)
        assert table.row_count == 1
        assert t("delegation.state.active") in str(table.get_row_at(0)[-1])

        # end it early
        assert screen.check_action("end", ()) is True
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        [ended] = screen.delegations
        assert ended.id == granted.id and ended.ended_at is not None and not ended.active
        assert str(table.get_row_at(0)[-1]) == t("delegation.state.ended")
        assert screen.check_action("end", ()) is False

    manager = authenticate(ui_backend, "M001", DEMO_PASSWORD, clock=ui_clock)
    actions = [e.action for e in list_events(ui_backend, manager, clock=ui_clock,
                                             action="delegation.").items]
    assert actions == ["delegation.ended", "delegation.granted"]


async def test_the_form_checks_the_times_and_the_service_refuses_the_rest(make_app):
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "M001")
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        await pilot.press("g")
        await settle(pilot)
        form = app.screen
        form.query_one("#grant-until", Input).value = "2026-12-01"
        form.query_one("#grant-until", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
        assert t("delegation.col.until") in text_of(form.query_one("#grant-message"))
        # until before from: the form says so
        form.query_one("#grant-until", Input).value = "2026-11-23 10:00"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
        assert t("delegation.form.order") in text_of(form.query_one("#grant-message"))
        # more than a year: the form lets it through, the core refuses with its message
        form.query_one("#grant-until", Input).value = "2028-01-01 00:00"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen and screen.delegations == []
        assert any(t("errors.DELEGATION_INVALID") in n
                   and t("errors.detail.delegate_too_long") in n for n in notifications(app))


async def test_a_teller_has_no_delegation_section_and_the_service_refuses(
        make_app, ui_backend, ui_clock):
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "T001")
        assert isinstance(app.screen, SearchScreen)
        assert app.check_action("section", ("delegation",)) is False
        assert t("keys.section.delegation") not in footer_keys(app.screen)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert CommandPalette.is_open(app)
        await type_text(pilot, t("nav.delegation.title"))
        await settle(pilot)  # the palette's search is a worker: settle waits for it
        palette = app.screen
        shown = [str(o.prompt) for o in palette.query_one(OptionList).options]
        assert not any(t("nav.delegation.title") in s for s in shown)
        await pilot.press("escape")
        await settle(pilot)

    teller = authenticate(ui_backend, "T001", DEMO_PASSWORD, clock=ui_clock)
    now = ui_clock.now()
    with pytest.raises(ConsoleError) as refused:
        grant_delegation(ui_backend, teller, delegate_employee_no="T002", valid_from=now,
                         valid_until=now + timedelta(days=1), clock=ui_clock)
    assert refused.value.code == "FORBIDDEN"


async def test_a_delegate_reaching_the_screen_sees_their_own_delegations_read_only(
        make_app, ui_backend, ui_clock):
    manager = authenticate(ui_backend, "M001", DEMO_PASSWORD, clock=ui_clock)
    now = ui_clock.now()
    grant = grant_delegation(ui_backend, manager, delegate_employee_no="D001",
                             valid_from=now - timedelta(hours=1),
                             valid_until=now + timedelta(days=2), clock=ui_clock)
    grant_delegation(ui_backend, manager, delegate_employee_no="T002", valid_from=now,
                     valid_until=now + timedelta(days=1), clock=ui_clock)
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "D001")
        app.push_screen(DelegationScreen())  # as if reached some other way
        await settle(pilot)
        screen = app.screen
        assert [d.id for d in screen.delegations] == [grant.id]  # their own only
        assert t("delegation.intro_readonly") in text_of(screen.query_one("#delegation-intro"))
        assert screen.check_action("grant", ()) is False
        assert screen.check_action("end", ()) is False
        footer = footer_keys(screen)
        assert t("keys.grant") not in footer and t("keys.end_delegation") not in footer
        await pilot.press("g")
        await pilot.press("x")
        await settle(pilot)
        assert app.screen is screen

    delegate = authenticate(ui_backend, "D001", DEMO_PASSWORD, clock=ui_clock)
    with pytest.raises(ConsoleError) as refused:
        end_delegation(ui_backend, delegate, grant.id, clock=ui_clock)
    assert refused.value.code == "FORBIDDEN"
    assert list_delegations(ui_backend, manager, clock=ui_clock)[-1].ended_at is None


def test_states(ui_clock):
    from staff_console.services.views import DelegationView

    now = ui_clock.now()

    def view(start, until, ended=None):
        return DelegationView(1, "001", "M001", "m", "D001", "d", now + start, now + until,
                              None if ended is None else now + ended, False)

    hour = timedelta(hours=1)
    assert state_of(view(-hour, hour), now) == "active"
    assert state_of(view(hour, 2 * hour), now) == "scheduled"
    assert state_of(view(-2 * hour, -hour), now) == "expired"
    assert state_of(view(-hour, hour, ended=-0.5 * hour), now) == "ended"
    assert state_of(view(-hour, hour, ended=0.5 * hour), now) == "active"


# ---------------------------------------------------------------- snapshots


def _seeded(ui_backend, ui_clock):
    """An active delegation to D001 and one to T002 ended early."""
    manager = authenticate(ui_backend, "M001", DEMO_PASSWORD, clock=ui_clock)
    now = ui_clock.now()
    grant_delegation(ui_backend, manager, delegate_employee_no="D001",
                     valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=6),
                     clock=ui_clock)
    ended = grant_delegation(ui_backend, manager, delegate_employee_no="T002",
                             valid_from=now - timedelta(days=10),
                             valid_until=now + timedelta(days=3), clock=ui_clock)
    end_delegation(ui_backend, manager, ended.id, clock=ui_clock)


@each_view
def test_snapshot_delegation_screen(snap_compare, make_app, ui_backend, ui_clock, size, language):
    _seeded(ui_backend, ui_clock)

    async def run_before(pilot):
        await sign_in(pilot, "M001")
        await pilot.press("f4")
        await _still(pilot)

    assert snap_compare(_app(make_app, language=language), terminal_size=size,
                        run_before=run_before)


@each_view
def test_snapshot_grant_form(snap_compare, make_app, size, language):
    async def run_before(pilot):
        await sign_in(pilot, "M001")
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("g")
        await _still(pilot)

    assert snap_compare(_app(make_app, language=language), terminal_size=size,
                        run_before=run_before)


async def test_the_palette_offers_the_sections_each_role_may_open(make_app):
    from staff_console.screens.commands import _commands

    expected = {
        "M001": {"delegation", "matrix", "expiring", "audit"},
        "T001": {"matrix", "expiring"},
        "AU01": {"matrix", "expiring", "audit"},
        "A0001": {"matrix", "audit"},
    }
    app = _app(make_app)  # sets the language: the titles after it (a test before may use en)
    titles = {name: t(f"nav.{name}.title") for name in ("delegation", "matrix", "expiring",
                                                          "audit")}
    async with app.run_test(size=WIDE) as pilot:
        for employee_no, allowed in expected.items():
            await sign_in(pilot, employee_no)
            offered = {name for name, title in titles.items()
                       if title in [c[0] for c in _commands(app)]}
            assert offered == allowed, employee_no
            for name in titles:
                assert app.check_action("section", (name,)) is (name in allowed)
            await pilot.press("f10")
            await settle(pilot)
