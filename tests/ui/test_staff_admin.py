"""직원 관리 (F9): an admin adds a member, locks, unlocks and changes their role with the
keyboard alone, each through the facade (audited by the services); the admin's own account is
refused at once; a branch and a channel key are added (the key shown once); nobody else opens
the screen."""

from __future__ import annotations

import pytest
from textual.widgets import Input
from ui_pilot import notifications, settle, sign_in, text_of, type_text, until
from views import each_view

from staff_console.api.local import LocalConsole
from staff_console.demo import DEMO_PASSWORD
from staff_console.i18n import t
from staff_console.screens.modals import ConfirmModal
from staff_console.screens.staff_admin import (
    ChangeStaffModal,
    SecretModal,
    StaffAdminScreen,
    StaffFormModal,
)
from staff_console.widgets.session_bar import SessionBar

NEW_PASSWORD = "Counter-Desk-9931"


def admin_console(backend) -> LocalConsole:
    console = LocalConsole(backend)
    console.sign_in("A0001", DEMO_PASSWORD, terminal="test")
    return console


def stored(backend, employee_no):
    [member] = [v for v in admin_console(backend).list_staff() if v.employee_no == employee_no]
    return member


def trail(backend, action):
    page = admin_console(backend).list_events(action=action, limit=20)
    return [(e.actor, e.target) for e in page.items]


async def select_member(pilot, employee_no):
    screen = pilot.app.screen
    table = screen.query_one("#staff-table")
    await until(pilot, lambda: employee_no in [v.employee_no for v in screen.staff],
                what=lambda: f"{employee_no} is not listed")
    index = [v.employee_no for v in screen.staff].index(employee_no)
    table.focus()
    table.move_cursor(row=index)
    await pilot.pause()
    assert screen._member().employee_no == employee_no


async def open_admin(pilot):
    app = pilot.app
    await sign_in(pilot, "A0001")
    await until(pilot, lambda: isinstance(app.screen, StaffAdminScreen),
                what=lambda: f"the admin landed on {app.screen!r}")
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_an_admin_adds_locks_unlocks_and_changes_a_member(make_app, ui_backend, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await open_admin(pilot)
        # add: every field by keyboard, the role chosen with the arrows
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, StaffFormModal))
        await type_text(pilot, "T900")
        await pilot.press("tab")
        await type_text(pilot, "신입직원")
        await pilot.press("tab")
        await type_text(pilot, "001")
        await pilot.press("tab")  # the role: 창구 is chosen; keep it
        await pilot.press("tab")
        await type_text(pilot, NEW_PASSWORD)
        await pilot.press("tab")
        await type_text(pilot, NEW_PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, StaffAdminScreen)
        assert any("T900" in n for n in notifications(app)), notifications(app)
        member = stored(ui_backend, "T900")
        assert (member.name, member.branch_code, member.role, member.locked) == (
            "신입직원", "001", "teller", False)
        assert ("A0001", "T900") in trail(ui_backend, "staff.add")
        # lock, after a confirmation
        await select_member(pilot, "T900")
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await settle(pilot)
        assert stored(ui_backend, "T900").locked
        assert ("A0001", "T900") in trail(ui_backend, "staff.locked")
        assert t("staff.state.locked") in text_of(app.screen.query_one("#staff-table"))
        # unlock
        await select_member(pilot, "T900")
        await pilot.press("u")
        await settle(pilot)
        assert not stored(ui_backend, "T900").locked
        assert ("A0001", "T900") in trail(ui_backend, "staff.unlock")
        # change the role: 창구 -> 지점장 (one arrow to the right), then confirm
        await select_member(pilot, "T900")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ChangeStaffModal))
        await pilot.press("right", "enter")  # the role set has the focus
        await pilot.press("tab")  # the branch: kept
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        question = text_of(app.screen.query_one(".dialog-body"))
        assert t("role.teller") in question and t("role.manager") in question, question
        await pilot.press("y")
        await settle(pilot)
        member = stored(ui_backend, "T900")
        assert (member.role, member.branch_code) == ("manager", "001")
        assert ("A0001", "T900") in trail(ui_backend, "staff.changed")


async def test_a_cancelled_confirmation_changes_nothing(make_app, ui_backend):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_admin(pilot)
        await select_member(pilot, "T001")
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("n")
        await settle(pilot)
        assert not stored(ui_backend, "T001").locked
        assert ("A0001", "T001") not in trail(ui_backend, "staff.locked")


async def test_the_admin_own_account_is_refused_with_a_code(make_app, ui_backend):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_admin(pilot)
        await select_member(pilot, "A0001")
        for key in ("l", "c"):
            app.clear_notifications()
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, StaffAdminScreen), key  # no dialog opened
            said = [(n.title, n.message) for n in app._notifications]
            assert any("FORBIDDEN" in title and t("errors.detail.own_account") in message
                       for title, message in said), said
        assert not stored(ui_backend, "A0001").locked


async def test_branches_and_a_channel_key_shown_once(make_app, ui_backend):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_admin(pilot)
        await pilot.press("2")
        await pilot.press("n")
        await until(pilot, lambda: app.screen.__class__.__name__ == "BranchFormModal")
        await type_text(pilot, "005")
        await pilot.press("tab")
        await type_text(pilot, "광주지점")
        await pilot.press("enter")
        await settle(pilot)
        assert "광주지점" in text_of(app.screen.query_one("#branch-table"))
        assert ("A0001", "005") in trail(ui_backend, "branch.add")
        await pilot.press("3")
        await pilot.press("n")
        await until(pilot, lambda: app.screen.__class__.__name__ == "KeyFormModal")
        await pilot.press("tab")
        await type_text(pilot, "MTS 서버")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SecretModal))
        secret = app.screen.created.secret
        assert secret.startswith("sck_mts_") and secret in text_of(app.screen.query_one(
            "#secret-value"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, StaffAdminScreen)
        # shown once: nothing on screen holds it any more
        assert secret[:20] not in app.export_screenshot().replace("&#160;", " ")
        assert not any(isinstance(s, SecretModal) for s in app.screen_stack)
        [key] = admin_console(ui_backend).list_channel_keys()
        assert (key.channel, key.name, key.revoked_at) == ("mts", "MTS 서버", None)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await settle(pilot)
        [key] = admin_console(ui_backend).list_channel_keys()
        assert key.revoked_at is not None


@pytest.mark.parametrize("who", ["T001", "M001", "AU01"])
async def test_nobody_else_opens_it(make_app, who):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, who)
        await until(pilot, lambda: app.current_mode != "signin")
        await settle(pilot)
        before = app.current_mode
        await pilot.press("f9")
        await settle(pilot)
        app.open_section("staff")
        await settle(pilot)
        assert app.current_mode == before
        assert not isinstance(app.screen, StaffAdminScreen)
        assert "F9" not in text_of(app.screen.query_one(SessionBar))


async def test_a_refused_member_keeps_the_form_open_with_what_was_typed(make_app, ui_backend):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_admin(pilot)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, StaffFormModal))
        await type_text(pilot, "T001")  # taken
        await pilot.press("tab")
        await type_text(pilot, "중복직원")
        await pilot.press("tab")
        await type_text(pilot, "001")
        await pilot.press("tab", "tab")
        await type_text(pilot, NEW_PASSWORD)
        await pilot.press("tab")
        await type_text(pilot, NEW_PASSWORD)
        await pilot.press("enter")
        await until(pilot, lambda: "DUPLICATE" in text_of(app.screen.query_one(
            "#staff-message")), what=lambda: text_of(app.screen.query_one("#staff-message")))
        assert isinstance(app.screen, StaffFormModal)
        assert app.screen.query_one("#name").value == "중복직원"
        assert any("DUPLICATE" in n.title for n in app._notifications)
        # corrected, sent again: added
        number = app.screen.query_one("#employee-no")
        number.value = "T901"
        number.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, StaffAdminScreen)
        assert stored(ui_backend, "T901").name == "중복직원"


# ------------------------------------------------------------------ snapshots (issue 15 item 3)


def _admin_then(*keys):
    async def run_before(pilot) -> None:
        await sign_in(pilot, "A0001")
        await until(pilot, lambda: isinstance(pilot.app.screen, StaffAdminScreen)
                    or pilot.app.screen.__class__.__name__.endswith("Modal"))
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        await pilot.wait_for_scheduled_animations()
        for box in pilot.app.screen.query(Input):
            box.cursor_blink = False
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


@each_view
def test_staff_admin_snapshot(snap_compare, make_app, size, language):
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_admin_then())


@each_view
def test_staff_add_form_snapshot(snap_compare, make_app, size, language):
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_admin_then("n"))


@each_view
def test_staff_change_form_snapshot(snap_compare, make_app, size, language):
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_admin_then("down", "down", "c"))


@each_view
def test_staff_lock_confirmation_snapshot(snap_compare, make_app, size, language):
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_admin_then("down", "down", "l"))


@each_view
def test_branches_tab_snapshot(snap_compare, make_app, size, language):
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_admin_then("2"))


@each_view
def test_channel_keys_tab_snapshot(snap_compare, make_app, size, language):
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_admin_then("3"))


async def test_the_list_by_branch(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_admin(pilot)
        screen = app.screen
        assert {v.branch_code for v in screen.staff} >= {"HQ", "001", "002"}
        screen.query_one("#staff-filter").focus()
        await pilot.press("enter")  # the branch list opens: 전체, then the branches by code
        await pilot.press("down", "down", "enter")  # 001, 002
        await settle(pilot)
        assert screen.branch_filter == "002"
        assert [v.branch_code for v in screen.staff] and {
            v.branch_code for v in screen.staff} == {"002"}
        assert "M002" in text_of(screen.query_one("#staff-table"))
        assert "M001" not in text_of(screen.query_one("#staff-table"))


def _burst(app, *parts: str) -> None:
    """Keys posted to the app all at once, as a terminal driver hands over one read (typed
    ahead, pasted, a slow link): not pressed one by one with a pause."""
    from textual import events
    from textual.keys import _character_to_key

    for part in parts:
        if part in ("enter", "tab"):
            app.post_message(events.Key(part, "\r" if part == "enter" else "\t"))
        else:
            for ch in part:
                app.post_message(events.Key(_character_to_key(ch), ch))


async def test_a_new_member_typed_in_one_burst_lands_field_by_field(make_app, ui_backend):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_admin(pilot)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, StaffFormModal))
        _burst(app, "T950", "tab", "테스트", "tab", "002", "tab", "tab", NEW_PASSWORD, "tab",
               NEW_PASSWORD, "enter")
        await settle(pilot)
        assert isinstance(app.screen, StaffAdminScreen), app.screen
        member = stored(ui_backend, "T950")
        assert (member.name, member.branch_code, member.role) == ("테스트", "002", "teller")
