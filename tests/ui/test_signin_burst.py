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


@pytest.mark.parametrize("enters", [1, 2])
async def test_a_search_typed_ahead_with_its_enters_opens_the_customer(make_app, cases, enters):
    """The query and its Enters arrive before the results (SSH lag, a fast typist; issue 15.2
    on the search screen): the Enters act on the results once they are on screen. One Enter
    opens the only match, or moves to the results; a second opens the first row."""
    from ui_pilot import sign_in

    from staff_console.screens.customer import CustomerScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "T001")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        query = "홍길동" if enters == 1 else "ㅎ"  # one match / many
        _burst(app, query, *["enter"] * enters)
        if enters == 1:
            await until(pilot, lambda: isinstance(app.screen, CustomerScreen),
                        what=lambda: f"no customer opened; status {screen.query_text!r}")
            assert app.screen.customer_no == cases["both_active"]
        else:
            await until(pilot, lambda: isinstance(app.screen, CustomerScreen),
                        what=lambda: "the second Enter did not open the first row")


@pytest.mark.parametrize(("typed", "employee_no"), [("ㅡ001", "M001"), ("며01", "AU01")])
async def test_an_employee_number_typed_in_hangul_mode_signs_in(make_app, typed, employee_no):
    """The input method left in 한글 mode after a customer's name: the employee number arrives
    as jamo (a manager at a teller's terminal); the field shows the keys that typed it."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        _burst(app, typed, "enter", DEMO_PASSWORD, "enter")
        await until(pilot, lambda: app.session is not None,
                    what=lambda: "not signed in")
        assert app.session.actor.employee_no == employee_no
