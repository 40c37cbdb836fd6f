"""Sign-in survives a burst (issue 15.2): the employee number, Enter (or Tab), the password and
Enter arriving together (SSH lag, typing ahead, a password manager) each land in their field;
the employee-number field never shows a password character. The keys are posted to the app all
at once, as the terminal driver does with one read, not pressed one by one with a pause."""

from __future__ import annotations

import pytest
from textual import events
from textual.keys import _character_to_key
from textual.widgets import Input
from ui_pilot import settle, until

from staff_console.demo import DEMO_PASSWORD
from staff_console.screens.search import SearchScreen


def _burst(app, *parts: str) -> None:
    for part in parts:
        if part in ("enter", "tab"):
            app.post_message(events.Key(part, "\r" if part == "enter" else "\t"))
        else:
            for ch in part:
                app.post_message(events.Key(_character_to_key(ch), ch))


@pytest.mark.parametrize("between", ["enter", "tab"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_keys_sent_at_once_land_in_their_fields(make_app, between, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        employee = app.screen.query_one("#employee-no", Input)
        shown: list[str] = []
        app.screen.watch(employee, "value", lambda value: shown.append(value), init=False)
        _burst(app, "T001", between, DEMO_PASSWORD, "enter", "ㅎㄱㄷ")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen),
                    what=lambda: f"not signed in; the fields showed {shown}")
        await settle(pilot)
        assert app.session is not None and app.session.actor.employee_no == "T001"
        assert shown == ["T", "T0", "T00", "T001"]  # never a password character
        # what was typed after the last Enter did not join the password
        assert not any(ch in "".join(shown) for ch in "ㅎㄱㄷ")


async def test_a_wrong_password_in_a_burst_is_refused_and_cleared(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        employee = app.screen.query_one("#employee-no", Input)
        password = app.screen.query_one("#password", Input)
        _burst(app, "T001", "enter", "not-the-password", "enter")
        await until(pilot, lambda: app.screen.focused is password and not password.value,
                    what=lambda: "the refused password was not cleared")
        assert employee.value == "T001" and app.session is None
