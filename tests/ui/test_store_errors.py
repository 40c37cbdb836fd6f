"""The app on a store it cannot use: the sign-in screen says why, with the store's code and the
catalog's words (never 예기치 못한 오류, never a trace)."""

from __future__ import annotations

import sqlite3

import pytest
from ui_pilot import notifications, settle

from staff_console.app import StaffConsoleApp
from staff_console.i18n import set_language, t
from staff_console.settings import Settings


def _app(tmp_path, path, language="ko") -> StaffConsoleApp:
    settings = Settings(home=tmp_path, db_url=f"sqlite:///{path}", language=language,
                        key_text="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                        argon2_time_cost=5, argon2_memory_kib=7168)
    return StaffConsoleApp(settings)


@pytest.mark.parametrize(("content", "code"), [
    (None, "STORE_NOT_INITIALISED"),
    (b"not a database at all\n" * 300, "STORE_NOT_A_DATABASE"),
])
@pytest.mark.parametrize("language", ["ko", "en"])
async def test_the_sign_in_screen_names_the_problem(tmp_path, content, code, language):
    path = tmp_path / "store.sqlite3"
    if content is None:
        sqlite3.connect(path).close()
    else:
        path.write_bytes(content)
    app = _app(tmp_path, path, language)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            shown = "\n".join(notifications(app))
            titles = [n.title for n in app._notifications]
            set_language(language)
            assert t(f"errors.{code}") in shown, shown
            assert t("errors.title", code=code) in titles, titles
            assert t("errors.UNEXPECTED") not in shown
            assert "Traceback" not in shown
    finally:
        app.close_backend()
        set_language("ko")
