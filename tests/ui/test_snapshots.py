"""Snapshots of every screen at 120x40 and the customer screen at 80x24, on the demo data with a
fixed clock and seed. Update with `pytest tests/ui --snapshot-update`, and look at each SVG."""

from __future__ import annotations

from textual.widgets import Input
from ui_pilot import search, settle, sign_in

WIDE = (120, 40)
NARROW = (80, 24)


async def _still(pilot) -> None:
    """No worker, no loading indicator, no animation under way, no blinking cursor. (A tab's
    underline slides to its new width when a count in its label arrives: a snapshot taken
    mid-slide once failed in CI.)"""
    await settle(pilot)
    await pilot.wait_for_scheduled_animations()
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
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


def test_signin_screen(snap_compare, make_app):
    assert snap_compare(make_app(demo=True), terminal_size=WIDE, run_before=_then())


def test_search_with_results(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=WIDE,
                        run_before=_then(_as("T001"), _search("ㅎ")))


def test_customer_screen_manager_with_pending_revocation(snap_compare, make_app, cases):
    assert snap_compare(make_app(), terminal_size=WIDE,
                        run_before=_then(_as("M001"), _customer(cases["pending_revocation"])))


def test_customer_screen_teller(snap_compare, make_app, cases):
    assert snap_compare(make_app(), terminal_size=WIDE,
                        run_before=_then(_as("T001"), _customer(cases["replaced"])))


def test_customer_screen_narrow(snap_compare, make_app, cases):
    assert snap_compare(make_app(), terminal_size=NARROW,
                        run_before=_then(_as("T001"), _customer(cases["both_active"])))


def test_revocation_dialog(snap_compare, make_app, cases):
    assert snap_compare(make_app(), terminal_size=WIDE,
                        run_before=_then(_as("T001"), _customer(cases["both_active"]),
                                         _keys("r")))


def test_approvals_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=WIDE,
                        run_before=_then(_as("M001"), _keys("f3")))


def test_my_requests_tab(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=WIDE,
                        run_before=_then(_as("T001"), _keys("f3"), _keys("tab")))


def test_help_screen(snap_compare, make_app, cases):
    assert snap_compare(make_app(), terminal_size=WIDE,
                        run_before=_then(_as("M001"), _customer(cases["pending_revocation"]),
                                         _keys("f1")))


def test_lock_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=WIDE,
                        run_before=_then(_as("T001"), _keys("ctrl+l")))
