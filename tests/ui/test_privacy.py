"""Privacy at the counter (issue 15.9): sign-out (F10) and the lock (Ctrl+L, or the idle minutes)
clear every notification and every screen that showed customer data (the search's query and
results, the customer, 결재함, their dialogs): nothing of the previous person is visible to the
next, and an answer still on its way to a forgotten screen is dropped."""

from __future__ import annotations

import threading

from textual.widgets import DataTable, Input
from ui_pilot import search, settle, sign_in, type_text, until

from staff_console.demo import DEMO_PASSWORD
from staff_console.screens.approvals import ApprovalsScreen
from staff_console.screens.customer import CustomerScreen
from staff_console.screens.lock import LockScreen
from staff_console.screens.modals import RevokeModal
from staff_console.screens.search import SearchScreen
from staff_console.screens.signin import SignInScreen

SIZE = (120, 40)
HONG = "홍길동"


def every_screen(app) -> list:
    """Every screen the app holds, in every mode's stack."""
    return [screen for stack in app._screen_stacks.values() for screen in stack]


def on_screen(app) -> str:
    """What the terminal shows now (the screen and the toasts over it), as text."""
    return app.export_screenshot()


async def a_customer_and_a_toast(pilot, customer_no: str) -> CustomerScreen:
    """The teller finds the customer (search), opens him, and a toast names him."""
    app = pilot.app
    await search(pilot, "ㅎㄱㄷ")
    app.open_customer(customer_no)
    await settle(pilot)
    customer = app.screen
    assert isinstance(customer, CustomerScreen)
    app.notify(f"{HONG} 고객 확인")  # any toast naming the customer (a request's, a refusal's)
    await settle(pilot)
    assert app._notifications and HONG in on_screen(app)
    return customer


def nothing_of(app, customer_no: str) -> None:
    """No toast; no screen (in any stack) that showed customer data; nothing on the
    terminal names the customer."""
    assert not list(app._notifications), [n.message for n in app._notifications]
    held = every_screen(app)
    assert not [s for s in held if isinstance(s, CustomerScreen | RevokeModal | ApprovalsScreen)]
    for screen in held:
        if isinstance(screen, SearchScreen):
            assert screen.query_one("#search-input", Input).value == ""
            assert screen.query_one("#search-results", DataTable).row_count == 0
    shown = on_screen(app)
    assert HONG not in shown and customer_no not in shown


async def test_sign_out_clears_toasts_and_screens(make_app, cases):
    hong = cases["both_active"]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T001")
        await a_customer_and_a_toast(pilot, hong)
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and app.session is None
        nothing_of(app, hong)
        # the next person starts from nothing
        await sign_in(pilot, "T002")
        assert isinstance(app.screen, SearchScreen)
        nothing_of(app, hong)


async def test_sign_out_with_a_dialog_open_forgets_it_and_its_note(make_app, cases):
    hong = cases["both_active"]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T001")
        await a_customer_and_a_toast(pilot, hong)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, RevokeModal)
        await type_text(pilot, "분실")
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        nothing_of(app, hong)
        await sign_in(pilot, "T002")
        nothing_of(app, hong)
        assert "분실" not in on_screen(app)


async def test_the_lock_clears_toasts_and_screens(make_app, cases):
    hong = cases["both_active"]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T001")
        await a_customer_and_a_toast(pilot, hong)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen) and app.locked
        nothing_of(app, hong)
        # the same person unlocks: the section they were in, fresh
        await type_text(pilot, DEMO_PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert not app.locked and isinstance(app.screen, SearchScreen)
        nothing_of(app, hong)


async def test_the_idle_lock_clears_them_too(make_app, cases):
    hong = cases["both_active"]
    app = make_app(idle_seconds=600)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "M001")
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, ApprovalsScreen)
        await pilot.press("f2")
        await settle(pilot)
        await a_customer_and_a_toast(pilot, hong)
        app.idle_seconds = 0.5  # now the desk is left alone
        await until(pilot, lambda: app.locked)
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        nothing_of(app, hong)
        app.idle_seconds = 600  # the next person is at the desk
        # F10 on the lock screen: the next person finds nothing either
        await pilot.press("f10")
        await settle(pilot)
        await sign_in(pilot, "T002")
        nothing_of(app, hong)


async def test_an_answer_arriving_after_sign_out_is_dropped(make_app, cases, monkeypatch):
    """A revocation request still on its way when the teller signs out: its toast (which names
    the request and channel) never reaches the next person."""
    hong = cases["both_active"]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T001")
        await a_customer_and_a_toast(pilot, hong)
        customer = app.screen
        go = threading.Event()
        real = app.api.request_revocation

        def slow(**kw):
            go.wait(10)
            return real(**kw)

        monkeypatch.setattr(app.api, "request_revocation", slow)
        customer.request_revocation("mts", "lost_device", None)
        await pilot.press("f10")
        await pilot.pause()
        go.set()
        await settle(pilot)
        await until(pilot, lambda: not [w for w in app.workers if w.is_running])
        await pilot.pause(0.2)
        nothing_of(app, hong)
        assert isinstance(app.screen, SignInScreen)
