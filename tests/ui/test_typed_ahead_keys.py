"""A text field's own keys typed ahead (a fast typist taking back a jamo, SSH lag: the keys
arrive in one read) take their place among the characters typed with them, in every text field
of every screen and dialog (widgets/text_field.py). Before, a field's Backspace or arrow went up
to the app and came back while the characters typed after it were inserted at once, so
`홍길`, Backspace, Backspace, `ㅎㄱㄷ` searched for `홍`."""

from __future__ import annotations

import ast
from pathlib import Path

from textual.widgets import DataTable, Input
from ui_pilot import burst, settle, sign_in, until

from staff_console.demo import DEMO_PASSWORD
from staff_console.screens.customer import CustomerScreen
from staff_console.screens.lock import LockScreen
from staff_console.screens.modals import NoteModal
from staff_console.screens.search import SearchScreen
from staff_console.widgets.text_field import TextField

PACKAGE = Path(__file__).parents[2] / "staff_console"


async def test_in_the_search_box(make_app, cases):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "T001")
        assert isinstance(app.screen, SearchScreen)
        burst(app, "홍길", "backspace", "backspace", "김", "backspace", "ㅎㄱㄷ")
        screen = app.screen
        await until(pilot, lambda: screen.query_text == "ㅎㄱㄷ")  # the debounced search
        await settle(pilot)
        assert screen.query_one("#search-input", Input).value == "ㅎㄱㄷ"
        table = screen.query_one(DataTable)
        assert cases["both_active"] in {str(k.value) for k in table.rows}
        # The cursor keys too: a jamo forgotten in the middle, put in its place.
        burst(app, "ctrl+u", "ㅎㄷ", "left", "ㄱ", "end", "ㅁ", "backspace")
        await until(pilot, lambda: screen.query_text == "ㅎㄱㄷ" and
                    screen.query_one("#search-input", Input).value == "ㅎㄱㄷ")


async def test_down_to_the_results_then_along_them(make_app):
    """Down, Down, Enter in one burst opens the second result: the first Down leaves the search
    box as the app takes it, so the second moves the table's cursor and Enter opens its row
    (before, all three went to the search box: the table got the focus, nothing opened)."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "T001")
        screen = app.screen
        burst(app, "ㅇ")
        await until(pilot, lambda: screen.query_text == "ㅇ")
        await settle(pilot)
        rows = [str(k.value) for k in screen.query_one(DataTable).rows]
        assert len(rows) > 2
        burst(app, "down", "down", "enter")
        await until(pilot, lambda: isinstance(app.screen, CustomerScreen))
        await settle(pilot)
        assert app.screen.customer_no == rows[1]


async def test_in_the_lock_screens_password(make_app):
    """A typo taken back in the password of the idle lock unlocks (before: a wrong password,
    one failure more towards the account's lock)."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "T001")
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, LockScreen))
        await settle(pilot)
        burst(app, "x", "backspace", DEMO_PASSWORD[:-1], "x", "backspace", DEMO_PASSWORD[-1],
              "enter")
        await until(pilot, lambda: not app.locked)
        await settle(pilot)
        assert app.session is not None and not isinstance(app.screen, LockScreen)


async def test_in_a_dialogs_field(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "T001")
        answers: list[str | None] = []
        app.push_screen(NoteModal("title", "prompt", required=True), answers.append)
        await settle(pilot)
        burst(app, "분싷", "backspace", "실 신고", "enter")
        await until(pilot, lambda: answers != [])
        assert answers == ["분실 신고"]


def test_every_text_field_of_the_console_is_a_text_field():
    """A plain Input would bring the disorder back: screens and widgets make TextFields."""
    plain = []
    for path in [*PACKAGE.glob("screens/*.py"), *PACKAGE.glob("widgets/*.py"),
                 PACKAGE / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "Input"):
                plain.append(f"{path.name}:{node.lineno}")
    assert plain == []
    assert TextField.OWN_KEYS["backspace"] == "delete_left"  # Input's own bindings, read
