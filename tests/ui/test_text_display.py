"""Text out in the app (issue 12 item 5): a name written straight into the store with a screen
clear, an OSC 52 clipboard write, a bidi override and Rich markup is shown as visible escapes and
literal text in the search list and on the customer screen; a sign-in attempt with an escape in
its employee number reaches neither the trail nor the auditor's F7 screen, and a trail row that
holds one (written before the input rule) is shown escaped."""

from __future__ import annotations

import sqlalchemy as sa
from textual.widgets import DataTable, Input
from ui_pilot import notifications, search, settle, sign_in, text_of, type_text

from staff_console.screens.customer import CustomerScreen
from staff_console.screens.search import SearchScreen

HOSTILE = "\x1b[2J\x1b]52;c;ZXZpbA==\x07\u202e[red]x[/red]"
SHOWN = "\\x1b[2J\\x1b]52;c;ZXZpbA==\\x07\\u202e[red]x[/red]"
RAW = ("\x1b", "\x07", "\u202e", "\x9b")
WIDE = (160, 45)


def _write(backend, statement: str, **params) -> None:
    """Straight into the store, bypassing every service (rows from before the input rule)."""
    with backend.store.engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def _no_raw(text: str) -> None:
    for ch in RAW:
        assert ch not in text, repr(text)


def _rendered(screen) -> str:
    return "\n".join(text_of(w) for w in screen.query("DataTable, Static, Label"))


async def test_a_hostile_name_is_shown_as_text_in_the_list_and_the_customer_screen(
        make_app, ui_backend, cases):
    hong, other = cases["both_active"], cases["mts_only"]
    _write(ui_backend, "UPDATE customer SET name = :n WHERE customer_no = :c",
           n="홍길동" + HOSTILE, c=hong)
    _write(ui_backend, "UPDATE customer SET name = :n WHERE customer_no = :c",
           n="[red]김[/red]", c=other)
    _write(ui_backend, "UPDATE credential SET device_model = :m WHERE customer_id = "
           "(SELECT id FROM customer WHERE customer_no = :c)", m="[b]Galaxy\x1b]0;x\x07", c=hong)
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "T001")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        await search(pilot, "홍길동")
        table = screen.query_one("#search-results", DataTable)
        cell = table.get_row(hong)[1]
        assert str(cell) == "홍길동" + SHOWN  # literal: markup not applied, escapes visible
        shown = _rendered(screen)
        _no_raw(shown)
        assert "홍길동\\x1b[2J" in shown  # the column shows the start of it
        # markup alone, short enough for the column: rendered as written, not in red
        box = screen.query_one("#search-input", Input)
        box.value = ""
        await search(pilot, other)
        assert str(table.get_row(other)[1]) == "[red]김[/red]"
        assert "[red]김[/red]" in _rendered(screen)
        app.open_customer(hong)
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)
        shown = _rendered(app.screen)
        _no_raw(shown)
        assert "홍길동" + SHOWN[:20] in shown.replace("\n", "")
        assert "[b]Galaxy\\x1b]0;x\\x07" in shown


async def test_a_sign_in_with_an_escape_never_reaches_the_trail_or_f7(make_app, ui_backend):
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.query_one("#employee-no", Input).value = "\x1b[2J\x1b]52;c;ZXZpbA==\x07"
        screen.query_one("#password", Input).value = "whatever-1234"
        screen.submit()
        await settle(pilot)
        for note in notifications(app):
            _no_raw(note)
    with ui_backend.store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT actor, detail FROM audit_event")).all()
    assert not any("\x1b" in (actor or "") + (detail or "") for actor, detail in rows)

    # A row from before the rule: shown escaped to the auditor.
    _write(ui_backend, "UPDATE audit_event SET actor = :a, target = :t WHERE seq = "
           "(SELECT max(seq) FROM audit_event)", a="\x1b[2J" + "T9", t="[red]t[/red]\u202e")
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "AU01")
        await pilot.press("f7")
        await settle(pilot)
        shown = _rendered(app.screen)
        _no_raw(shown)
        assert "\\x1b[2J" in shown  # the narrow actor column shows the start of it
        table = app.screen.query_one("#audit-table", DataTable)
        cells = [str(c) for row in range(table.row_count) for c in table.get_row_at(row)]
        assert "\\x1b[2JT9" in cells and "[red]t[/red]\\u202e" in cells


async def test_the_command_palette_shows_a_hostile_name_as_text(make_app, ui_backend, cases):
    hong = cases["both_active"]
    _write(ui_backend, "UPDATE customer SET name = :n WHERE customer_no = :c",
           n="[b]홍\x1b[2J\u202e", c=hong)
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "T001")
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, hong)
        await settle(pilot)  # the palette's search is a worker: settle waits for it
        shown = "\n".join(text_of(w) for w in app.screen.query("OptionList"))
        _no_raw(shown)
        assert "[b]홍\\x1b[2J\\u202e" in shown
