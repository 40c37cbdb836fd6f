"""Snapshots of every screen and dialog of the search, customer and 결재함 sections, the sign-in,
help and lock screens, each at 80x24 and 120x40, in Korean and in English (issue 15 item 3; the
other sections' snapshots are in their own test modules), on the trainer cases with a fixed
clock and seed. Update with `pytest tests/ui --snapshot-update`, and look at each SVG."""

from __future__ import annotations

from textual.widgets import Input
from ui_pilot import search, settle, sign_in
from views import each_view


async def _still(pilot) -> None:
    """No worker, no loading indicator, no animation under way, no blinking cursor, no toast.
    (A tab's underline slides to its new width when a count in its label arrives: a snapshot
    taken mid-slide once failed in CI.)"""
    await settle(pilot)
    await pilot.wait_for_scheduled_animations()
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    pilot.app.clear_notifications()
    await pilot.pause()


def _then(*steps):
    async def run_before(pilot) -> None:
        for step in steps:
            await step(pilot)
        await _still(pilot)

    return run_before


def _as(employee_no):
    async def step(pilot):
        await sign_in(pilot, employee_no)

    return step


def _customer(customer_no):
    async def step(pilot):
        pilot.app.open_customer(customer_no)
        await settle(pilot)

    return step


def _keys(*keys):
    async def step(pilot):
        await pilot.press(*keys)
        await settle(pilot)

    return step


def _search(query):
    async def step(pilot):
        await search(pilot, query)

    return step


@each_view
def test_signin_screen(snap_compare, make_app, size, language):
    assert snap_compare(make_app(demo=True, language=language), terminal_size=size,
                        run_before=_then())


@each_view
def test_search_with_results(snap_compare, make_app, size, language):
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_then(_as("T001"), _search("ㅎ")))


@each_view
def test_customer_screen_manager_with_pending_revocation(snap_compare, make_app, cases, size,
                                                        language):
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_then(_as("M001"), _customer(cases["pending_revocation"])))


@each_view
def test_customer_screen_teller(snap_compare, make_app, cases, size, language):
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_then(_as("T001"), _customer(cases["replaced"])))


@each_view
def test_customer_screen_both_active(snap_compare, make_app, cases, size, language):
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_then(_as("T001"), _customer(cases["both_active"])))


@each_view
def test_revocation_dialog(snap_compare, make_app, cases, size, language):
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_then(_as("T001"), _customer(cases["both_active"]),
                                         _keys("r")))


@each_view
def test_revocation_dialog_at_the_note(snap_compare, make_app, cases, size, language):
    """Tabbed to the note and a word typed: the note and the buttons are in sight."""
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_then(_as("T001"), _customer(cases["both_active"]),
                                         _keys("r"), _keys("tab", "tab"), _keys(*"lost")))


@each_view
def test_approve_confirmation(snap_compare, make_app, cases, size, language):
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_then(_as("M001"), _customer(cases["pending_revocation"]),
                                         _keys("a")))


@each_view
def test_reject_note_dialog(snap_compare, make_app, cases, size, language):
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_then(_as("M001"), _customer(cases["pending_revocation"]),
                                         _keys("x")))


@each_view
def test_approvals_screen(snap_compare, make_app, size, language):
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_then(_as("M001"), _keys("f3")))


@each_view
def test_my_requests_tab(snap_compare, make_app, size, language):
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_then(_as("T001"), _keys("f3"), _keys("tab")))


@each_view
def test_help_screen(snap_compare, make_app, cases, size, language):
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_then(_as("M001"), _customer(cases["pending_revocation"]),
                                         _keys("f1")))


@each_view
def test_lock_screen(snap_compare, make_app, size, language):
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_then(_as("T001"), _keys("ctrl+l")))
