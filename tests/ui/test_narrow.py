"""80x24 is usable (issue 15 item 3): a focused dialog field is in sight (not below the screen,
not under the dialog's buttons), the buttons are reachable by Tab and in sight, the footer
shows lock and sign-out, F6 lists more than one row with its key columns, the tables keep
their essential columns and drop the others in their stated order, and the help's last line
can be scrolled to. Each check is on what the screen shows (regions and the widget on top at
a point), at 80x24 unless it says otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Input, Static
from ui_pilot import search, settle, sign_in
from views import NARROW, WIDE

from staff_console.i18n import t
from staff_console.screens.delegation import GrantModal
from staff_console.screens.help import HelpScreen
from staff_console.screens.modals import DialogButtons, RevokeModal
from staff_console.widgets.fit_table import FitTable


def in_sight(widget) -> bool:
    """The whole widget is on the screen and nothing is drawn over its middle (a docked row
    of buttons, the edge of a scrolled box)."""
    screen = widget.screen
    region = widget.region
    if not region or not screen.region.contains_region(region):
        return False
    top, _ = screen.get_widget_at(region.x + region.width // 2, region.y + region.height // 2)
    return top is widget or widget in top.ancestors


async def _tab_to(pilot, widget, limit: int = 12) -> None:
    """Press Tab until `widget` has the focus (at most `limit` times)."""
    for _ in range(limit):
        if pilot.app.focused is widget:
            return
        await pilot.press("tab")
        await settle(pilot)
    assert pilot.app.focused is widget, f"Tab never reached {widget!r}"


async def _revocation_form(pilot, customer_no: str) -> RevokeModal:
    await sign_in(pilot, "T001")
    pilot.app.open_customer(customer_no)
    await settle(pilot)
    await pilot.press("r")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, RevokeModal)
    return form


@pytest.mark.parametrize("case", ["both_active", "mts_only"])  # two channels, one
async def test_the_revocation_note_is_in_sight_when_focused_and_the_buttons_by_tab(
        make_app, cases, case):
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        form = await _revocation_form(pilot, cases[case])
        note = form.query_one("#revoke-note", Input)
        buttons = form.query_one(DialogButtons)
        # The buttons are in sight before anything is typed, whatever the dialog's length.
        for button in buttons.query(Button):
            assert in_sight(button), button
        await _tab_to(pilot, note)
        assert in_sight(note), (note.region, buttons.region)
        await pilot.press(*"lost")
        await settle(pilot)
        assert note.value.endswith("lost") and in_sight(note)
        for button_id in ("ok", "cancel"):
            button = form.query_one(f"#{button_id}", Button)
            await _tab_to(pilot, button)
            assert in_sight(button), button.region
        await pilot.press("shift+tab", "shift+tab")  # back to the note, still in sight
        await settle(pilot)
        assert app.focused is note and in_sight(note)


async def test_the_grant_dialog_buttons_are_in_sight_and_reachable(make_app):
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await sign_in(pilot, "M001")
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, GrantModal)
        for button in form.query(DialogButtons).first().query(Button):
            assert in_sight(button), button.region
        for field in ("#grant-from", "#grant-until", "#ok", "#cancel"):
            widget = form.query_one(field)
            await _tab_to(pilot, widget)
            assert in_sight(widget), (field, widget.region)


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("employee_no, keys", [
    ("T001", ()),            # search
    ("T001", ("f3",)),       # 결재함
    ("T001", ("f6",)),       # expiring
    ("M001", ("f7",)),       # audit
    ("M001", ("f4",)),       # delegation
    ("T001", ("f5",)),       # matrix
    ("T001", ("ctrl+l",)),   # the lock screen: sign-out
])
async def test_the_footer_shows_lock_and_sign_out_at_80_columns(make_app, employee_no, keys,
                                                                 language):
    app = make_app(language=language)
    async with app.run_test(size=NARROW) as pilot:
        await sign_in(pilot, employee_no)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)
        await pilot.pause()
        shown = {key.description for key in app.screen.query("FooterKey") if in_sight(key)}
        assert t("keys.sign_out") in shown, shown
        if "ctrl+l" not in keys:  # the lock screen itself offers no lock
            assert t("keys.lock") in shown, shown


async def test_f6_lists_more_than_one_row_with_its_key_columns(make_app):
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await sign_in(pilot, "T001")
        await pilot.press("f6")
        await settle(pilot)
        table = app.screen.query_one("#expiring-table", FitTable)
        assert table.row_count > 1
        assert {"customer_no", "name", "channel", "until", "days"} <= set(table.shown_columns)
        assert "device" not in table.shown_columns  # the first one a narrow terminal drops
        for row in table.ordered_rows:  # each cell drawn under its own header
            assert table.get_row(row.key) == [table.get_cell(row.key, column)
                                              for column in table.shown_columns]
        # The header and at least three rows are drawn, inside the screen.
        assert table.region.height >= 4 and app.screen.region.contains_region(table.region)
        assert in_sight(table)


async def test_the_search_results_keep_their_essential_columns(make_app):
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await sign_in(pilot, "T001")
        await search(pilot, "ㅎ")
        table = app.screen.query_one("#search-results", FitTable)
        narrow = table.shown_columns
        assert {"no", "name", "id", "phone"} <= set(narrow)
        assert "branch" not in narrow and "type" not in narrow  # dropped first, in this order
        assert table.size.width >= sum(c.get_render_width(table) for c in table.columns.values())
        first = table.ordered_rows[0].key
        row = table.row_data(first)  # the data stays whole whatever is shown
        assert len(row) == 7 and table.get_cell(first, "branch") == row[4]
        assert table.get_row(first) == [row[0], row[1], row[2], row[3]]  # what it draws
        await pilot.resize_terminal(*WIDE)
        await settle(pilot)
        assert table.shown_columns == ("no", "name", "id", "phone", "branch", "type", "online")
        assert table.row_data(first) == row and table.get_row(first) == row


async def test_a_table_drops_its_columns_in_the_stated_order(make_app):
    """The fitting rule on its own: the first of drop_order first, an essential column never."""
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        table = FitTable(drop_order=("c", "b"))
        await app.screen.mount(table)
        for key in ("a", "b", "c", "d"):
            table.add_column(key, key=key, width=10)
        table.add_row("1", "2", "3", "4", key="r")
        await pilot.pause()
        column = 10 + 2 * table.cell_padding
        bar = table.styles.scrollbar_size_vertical
        assert table.fitting(4 * column + bar) == ("a", "b", "c", "d")
        assert table.fitting(4 * column + bar - 1) == ("a", "b", "d")
        assert table.fitting(3 * column + bar - 1) == ("a", "d")
        assert table.fitting(10) == ("a", "d")  # nothing more may go
        assert table.get_cell("r", "c") == "3"


async def test_the_whole_help_can_be_read_at_80x24(make_app):
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await sign_in(pilot, "M001")
        await pilot.press("f1")
        await settle(pilot)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        box = help_screen.query_one("#help-box")
        assert app.screen.region.contains_region(box.region)
        box.scroll_end(animate=False)
        await pilot.pause()
        assert in_sight(help_screen.query_one("#help-close", Static))


def test_every_dialog_puts_its_buttons_in_a_dialog_buttons_row():
    """A plain row of class dialog-buttons is docked too (modals.tcss) but would come before
    the fields scrolled below it in the focus order: every dialog uses DialogButtons."""
    import staff_console.screens as screens

    folder = Path(screens.__file__).parent
    plain = [path.name for path in sorted(folder.glob("*.py"))
             if 'classes="dialog-buttons"' in path.read_text(encoding="utf-8")]
    assert plain == []
