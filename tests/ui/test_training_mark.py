"""The app opens the store itself: a training store is marked on every screen with its fixed
clock; a real store refuses a fixed clock (CLOCK_FIXED_REFUSED) and nobody signs in."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from helpers import NOW, TEST_KEY
from ui_pilot import notifications, settle, sign_in, text_of

from staff_console.app import StaffConsoleApp
from staff_console.demo.load import load_demo
from staff_console.domain.clock import FixedClock, parse_instant
from staff_console.i18n import t
from staff_console.services.database import init_backend
from staff_console.settings import Settings
from staff_console.store.keyring import encode_key
from staff_console.widgets.session_bar import SessionBar

CHEAP = {"argon2_time_cost": 5, "argon2_memory_kib": 7168}


def _store(tmp_path, *, training: bool) -> Settings:
    settings = Settings(home=tmp_path / "home", db_url=f"sqlite:///{tmp_path / 'store.sqlite3'}",
                        key_text=encode_key(TEST_KEY), **CHEAP)
    clock = FixedClock(parse_instant(NOW)) if training else None
    backend = init_backend(settings, mode="training" if training else None, clock=clock)
    load_demo(backend, customers=20, clock=backend.clock)
    backend.store.dispose()
    return settings


def _events(settings: Settings) -> int:
    engine = sa.create_engine(settings.db_url)
    with engine.connect() as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM audit_event").scalar_one()
    engine.dispose()
    return count


async def test_a_training_store_shows_the_mark_and_the_fixed_date_on_every_screen(tmp_path):
    settings = _store(tmp_path, training=True)
    app = StaffConsoleApp(settings, clock=FixedClock(parse_instant(NOW)), idle_seconds=600)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        mark = t("app.training_fixed", at="2026-11-24 10:00")
        assert app.training_mark == mark
        assert mark in text_of(app.screen.query_one("#signin-title"))
        await sign_in(pilot, "T001")
        assert app.session is not None
        for key in ("f2", "f3", "f6"):
            await pilot.press(key)
            await settle(pilot)
            assert mark in text_of(app.screen.query_one(SessionBar)), key
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert mark in text_of(app.screen.query_one("#lock-title"))
        assert app.now() == parse_instant(NOW)
    app.close_backend()


async def test_a_training_store_on_the_real_clock_is_marked_too(tmp_path):
    settings = _store(tmp_path, training=True)
    app = StaffConsoleApp(settings, idle_seconds=600)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert app.training_mark == t("app.training")
    app.close_backend()


async def test_a_real_store_refuses_a_fixed_clock_and_nobody_signs_in(tmp_path):
    settings = _store(tmp_path, training=False)
    before = _events(settings)
    app = StaffConsoleApp(settings, clock=FixedClock(parse_instant(NOW)), idle_seconds=600)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert app.training_mark is None and app.backend is None
        status = " ".join(text_of(app.screen.query_one("#signin-status")).split())
        assert status == t("signin.db_failed")
        await sign_in(pilot, "T001")
        assert app.session is None
        assert any(t("errors.CLOCK_FIXED_REFUSED") in n for n in notifications(app))
    app.close_backend()
    assert _events(settings) == before  # not even the sign-in was recorded


async def test_a_real_store_on_its_own_clock_is_not_marked(tmp_path):
    settings = _store(tmp_path, training=False)
    app = StaffConsoleApp(settings, idle_seconds=600)
    async with app.run_test(size=(140, 40)) as pilot:
        await sign_in(pilot, "T001")
        assert app.session is not None and app.training_mark is None
        assert t("app.training") not in text_of(app.screen.query_one(SessionBar))
    app.close_backend()


async def test_the_app_with_another_key_refuses_and_nobody_signs_in(tmp_path):
    settings = _store(tmp_path, training=False)
    before = _events(settings)
    other = replace(settings, key_text=encode_key(bytes(32)))
    app = StaffConsoleApp(other, idle_seconds=600)
    async with app.run_test(size=(140, 40)) as pilot:
        await sign_in(pilot, "T001")
        assert app.session is None and app.backend is None
        assert any(t("errors.KEY_MISMATCH") in n for n in notifications(app))
    app.close_backend()
    assert _events(settings) == before
