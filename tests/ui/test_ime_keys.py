"""Hotkeys with the 한글 input method on (issue 15 item 1): every single-letter binding also
answers to the jamo the 2-beolsik layout types for that key (`r`/`ㄱ`, `a`/`ㅁ`, `y`/`ㅛ`), when
no text field has the focus; a jamo typed into a text field stays text. The keymap setting
moves a binding (id -> keys) and its twin follows; bad keymaps are refused at start. F1 lists
each letter key with its twin (`a / ㅁ`)."""

from __future__ import annotations

import json

import pytest
from conftest import CHEAP_SETTINGS
from textual.widgets import DataTable, Input
from ui_pilot import search, settle, sign_in, text_of, type_text, until

from staff_console.domain.errors import ConsoleError
from staff_console.domain.keyboard import is_jamo_key
from staff_console.screens.approvals import ApprovalsScreen
from staff_console.screens.audit import AuditScreen
from staff_console.screens.audit_events import EventsPane
from staff_console.screens.customer import CustomerScreen
from staff_console.screens.help import HelpScreen
from staff_console.screens.modals import ConfirmModal, RevokeModal
from staff_console.screens.search import SearchScreen
from staff_console.settings import Settings, load_settings

WIDE = (120, 40)


@pytest.fixture
def keyed_app(tmp_path, ui_backend, ui_clock):
    """The app with a keymap setting."""
    from staff_console.app import StaffConsoleApp

    def make(keymap: dict[str, str]):
        settings = Settings(home=tmp_path, db_url="sqlite:///unused", keymap=keymap,
                            **CHEAP_SETTINGS)
        app = StaffConsoleApp(settings, clock=ui_clock, backend=ui_backend)
        app.animation_level = "none"
        return app

    return make


async def _customer_by_search(pilot, customer_no: str) -> CustomerScreen:
    """From the search screen: find 홍길동 by 초성, down into the results, Enter."""
    app = pilot.app
    assert isinstance(app.screen, SearchScreen)
    await search(pilot, "ㅎㄱㄷ")
    table = app.screen.query_one("#search-results", DataTable)
    index = table.get_row_index(customer_no)
    await pilot.press("down", *["down"] * index, "enter")
    await settle(pilot)
    assert isinstance(app.screen, CustomerScreen)
    return app.screen


async def _inbox(pilot) -> ApprovalsScreen:
    await sign_in(pilot, "M001")
    await pilot.press("f3")
    await settle(pilot)
    inbox = pilot.app.screen
    assert isinstance(inbox, ApprovalsScreen)
    assert inbox.approvals, "the demo has requests for the manager to decide"
    inbox.query_one("#inbox-table", DataTable).focus()
    await settle(pilot)
    return inbox


async def test_search_then_customer_r_and_its_jamo_open_the_revocation_form(make_app, cases):
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "T001")
        customer = await _customer_by_search(pilot, cases["both_active"])
        assert customer.focused is None or not isinstance(customer.focused, Input)
        for key in ("r", "ㄱ"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, RevokeModal), key
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is customer


async def test_the_revocation_in_hangul_mode_jamo_in_the_note(make_app, cases):
    """The teller never leaves 한글 mode: ㄱ opens the form, the note takes jamo as text (ㅛ and ㅜ
    answer nothing there), Enter files the request (no confirmation: the form is one)."""
    hong = cases["both_active"]
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "T001")
        customer = await _customer_by_search(pilot, hong)
        await pilot.press("ㄱ")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RevokeModal)
        note = form.query_one("#revoke-note", Input)
        note.focus()
        await pilot.press("ㅛ", "ㅜ", "ㄱ")  # the letters' jamo, typed as text
        await type_text(pilot, " 분실")
        assert note.value == "ㅛㅜㄱ 분실"
        assert app.screen is form  # no key of the form or of the screen below fired
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is customer
        assert not any(isinstance(s, ConfirmModal) for s in app.screen_stack)
        assert [r.kind for r in customer.detail.pending] == ["revocation"]
        assert customer.detail.pending[0].note == "ㅛㅜㄱ 분실"


async def test_approvals_a_and_its_jamo_approve(make_app):
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        inbox = await _inbox(pilot)
        first = inbox.approvals[0].id
        await pilot.press("ㅁ")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("ㅛ")
        await settle(pilot)
        assert app.screen is inbox
        assert first not in [r.id for r in inbox.approvals]
        # the twins are F1's, the footer keeps the Latin keys
        assert not any(is_jamo_key(key.key) for key in inbox.query("FooterKey"))


async def test_a_jamo_typed_into_a_focused_input_is_text_and_outside_it_a_hotkey(make_app):
    """The audit filter takes `ㅍ` as text; with the table focused `ㅍ` verifies (as `v`)."""
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "AU01")
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, AuditScreen)
        pane = app.screen.query_one(EventsPane)
        box = pane.query(Input).first()
        box.focus()
        await pilot.press("ㅍ")
        await settle(pilot)
        assert box.value == "ㅍ"
        assert pane.verdict is None  # not verified
        pane.query(DataTable).first().focus()
        await pilot.press("ㅍ")
        await settle(pilot)
        assert pane.verdict is not None and pane.verdict.ok


async def test_a_remapped_key_and_its_twin(keyed_app):
    """approve moved from `a` to `p`: `ㅔ` approves, `ㅁ` and `a` no longer do."""
    app = keyed_app({"approvals.approve": "p"})
    async with app.run_test(size=WIDE) as pilot:
        inbox = await _inbox(pilot)
        for gone in ("a", "ㅁ"):
            await pilot.press(gone)
            await settle(pilot)
            assert app.screen is inbox
        for key in ("p", "ㅔ"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, ConfirmModal)
            await pilot.press("ㅜ")
            await settle(pilot)
            assert app.screen is inbox
        footer = {key.key: key.description for key in inbox.query("FooterKey")}
        assert "p" in footer and "a" not in footer
        await pilot.press("f1")
        await settle(pilot)
        shown = text_of(app.screen.query_one("#help-keys"))
        assert "p / ㅔ" in shown and "a / ㅁ" not in shown


async def test_a_key_remapped_onto_a_letter_is_text_in_a_focused_input(keyed_app):
    """The lock (Ctrl+L, a priority key: it acts before the focused widget sees the key) moved
    to `f`, Down (from the query to the results) to `z`: typed into the query, `ㄹ f ㅋ z` are
    text; with no text field focused `ㅋ` goes to the results and `ㄹ` locks. (Textual's
    App.set_keymap moves a binding after leaving out the keys an Input takes: moved that way,
    the lock's letter fired while a teller typed a name, and never reached the field.)"""
    app = keyed_app({"app.lock": "f", "search.results": "z"})
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "T001")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        box = screen.query_one("#search-input", Input)
        table = screen.query_one("#search-results", DataTable)
        await search(pilot, "ㅎㄱㄷ")
        assert screen.focused is box
        await pilot.press("ㄹ", "f", "ㅋ", "z", "down")
        await until(pilot, lambda: box.value == "ㅎㄱㄷㄹfㅋz", what=lambda: repr(box.value))
        assert screen.focused is box and not app.locked
        box.value = "ㅎㄱㄷ"
        await until(pilot, lambda: screen.query_text == "ㅎㄱㄷ")
        await settle(pilot)
        assert table.row_count >= 1
        screen.set_focus(None)
        await pilot.press("ㅋ")
        await settle(pilot)
        assert screen.focused is table
        await pilot.press("ㄹ")
        await settle(pilot)
        assert app.locked


async def test_f1_lists_each_letter_key_with_its_jamo(make_app):
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await _inbox(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        shown = text_of(app.screen.query_one("#help-keys"))
        assert "a / ㅁ" in shown and "x / ㅌ" in shown
        assert not any(line.lstrip().startswith(("ㅁ", "ㅌ")) for line in shown.splitlines())


# ---------------------------------------------------------------- the keymap setting


@pytest.mark.parametrize("keymap, says", [
    ({"approvals.nonsense": "p"}, "unknown binding id"),
    ({"approvals.approve": "x"}, "approvals.reject"),  # reject's key
    ({"approvals.approve": "ㅌ"}, "approvals.reject"),  # reject's twin
    ({"approvals.approve": "f10"}, "app.sign_out"),  # a key the app binds everywhere
    ({"confirm.yes": "n"}, "confirm.no"),
    ({"approvals.approve": "ctrl+nonsense"}, "not a key name"),
    ({"approvals.approve": "p,,q"}, "not a list of keys"),
])
def test_bad_keymaps_are_refused_at_start(keyed_app, keymap, says):
    with pytest.raises(ConsoleError) as raised:
        keyed_app(keymap)
    assert raised.value.code == "INVALID_SETTING"
    assert says in raised.value.message


def test_a_keymap_may_swap_two_keys_and_move_a_screen_key(keyed_app):
    app = keyed_app({"approvals.approve": "x", "approvals.reject": "a", "confirm.yes": "j",
                     "search.focus": "/"})
    assert app.keymap == {"approvals.approve": "x", "approvals.reject": "a", "confirm.yes": "j",
                          "search.focus": "slash"}


def test_the_keymap_setting_from_the_environment_and_config_toml(tmp_path, monkeypatch):
    monkeypatch.setenv("STAFF_CONSOLE_HOME", str(tmp_path))
    monkeypatch.delenv("STAFF_CONSOLE_KEYMAP", raising=False)
    (tmp_path / "config.toml").write_text('[keymap]\n"approvals.approve" = "p"\n',
                                          encoding="utf-8")
    assert load_settings().keymap == {"approvals.approve": "p"}
    # the environment's entries over config.toml's, id by id
    monkeypatch.setenv("STAFF_CONSOLE_KEYMAP", json.dumps({"confirm.yes": "j",
                                                           "approvals.approve": "o"}))
    assert load_settings().keymap == {"confirm.yes": "j", "approvals.approve": "o"}
    for bad in ("not json", json.dumps({"Approve": "p"}), json.dumps({"confirm.yes": ""}),
                json.dumps(["confirm.yes"])):
        monkeypatch.setenv("STAFF_CONSOLE_KEYMAP", bad)
        with pytest.raises(ConsoleError) as raised:
            load_settings()
        assert raised.value.code == "INVALID_SETTING"
        assert "STAFF_CONSOLE_KEYMAP" in raised.value.message


def test_docs_keys_lists_every_binding_id():
    """A person moves a key by its id: docs/keys.md lists them all."""
    from pathlib import Path

    from staff_console.app import StaffConsoleApp
    from staff_console.screens.keys import _console_classes

    docs = (Path(__file__).parents[2] / "docs" / "keys.md").read_text(encoding="utf-8")
    ids = {b.id for cls in [StaffConsoleApp, *_console_classes()]
           for b in cls.__dict__.get("BINDINGS", []) if getattr(b, "id", None)}
    missing = sorted(i for i in ids if f"`{i}`" not in docs)
    assert not missing, f"add these binding ids to docs/keys.md: {missing}"
