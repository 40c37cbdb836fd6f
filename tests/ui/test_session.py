"""Sign-in (the 5-failure lock), nothing reachable before it, the manual and the idle lock."""

from __future__ import annotations

from textual.command import CommandPalette
from ui_pilot import search, settle, sign_in, text_of, type_text, until

from staff_console.demo import DEMO_PASSWORD
from staff_console.i18n import t
from staff_console.screens.lock import LockScreen
from staff_console.screens.search import SearchScreen
from staff_console.screens.signin import SignInScreen


async def test_nothing_is_reachable_before_sign_in(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for key in ("f2", "f3", "ctrl+p", "ctrl+l", "f10"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, SignInScreen), key
            assert not CommandPalette.is_open(app)
        assert app.session is None
        assert app.open_customer("D0000001") is None and isinstance(app.screen, SignInScreen)


async def test_wrong_passwords_then_the_account_locks(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        messages = []
        for attempt in range(1, 6):
            await sign_in(pilot, "T003" if attempt == 1 else "", "wrong-password")
            messages.append(" ".join(text_of(app.screen.query_one("#signin-message")).split()))
        # even the right password is refused now, with the very same words (the sign-in
        # screen does not tell who exists or who is locked: services/staff.py)
        await sign_in(pilot, "", DEMO_PASSWORD)
        assert app.session is None
        messages.append(" ".join(text_of(app.screen.query_one("#signin-message")).split()))
        # and an unknown employee number gets them too
        app.screen.query_one("#employee-no").value = "Z999"
        await sign_in(pilot, "", "wrong-password")
        messages.append(" ".join(text_of(app.screen.query_one("#signin-message")).split()))
        assert len(set(messages)) == 1 and t("errors.AUTH_FAILED") in messages[0]
        assert "tries left" not in messages[0]
        assert t("errors.STAFF_LOCKED") not in messages[0]


async def test_manual_lock_needs_the_password(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "T001")
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen) and app.locked
        for key in ("f2", "f3", "ctrl+p", "escape"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, LockScreen), key
        await type_text(pilot, "wrong-password")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        message = " ".join(text_of(app.screen.query_one("#lock-message")).split())
        assert t("errors.AUTH_FAILED") in message
        await type_text(pilot, DEMO_PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen) and not app.locked


async def test_idle_lock_after_the_configured_time(make_app):
    app = make_app(idle_seconds=0.3)  # checked every 50 ms
    async with app.run_test(size=(120, 40)) as pilot:
        app.idle_seconds = 3600  # not while signing in
        await sign_in(pilot, "T001")
        assert isinstance(app.screen, SearchScreen)
        await pilot.press("k")  # any key is activity: the idle clock starts again
        assert app.idle_for() < 1.0 and not app.locked
        app.idle_seconds = 0.3
        await until(pilot, lambda: app.locked)  # by itself, checked every 50 ms
        await settle(pilot)
        assert isinstance(app.screen, LockScreen) and app.screen.idle
        app.idle_seconds = 3600
        await type_text(pilot, DEMO_PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)


async def test_idle_default_is_the_setting(make_app):
    app = make_app()
    assert app.idle_seconds == 600.0


async def test_sign_out_from_the_lock_screen(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "T001")
        before = app.screen
        await search(pilot, "홍길동")
        await pilot.press("ctrl+l")
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and app.session is None
        # the previous person's screens are forgotten: the next one starts afresh
        await sign_in(pilot, "T002")
        assert isinstance(app.screen, SearchScreen) and app.screen is not before
        assert app.screen.query_text == "" and app.screen.page is None
