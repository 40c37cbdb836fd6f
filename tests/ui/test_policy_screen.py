"""정책 screen (F8, admins): the store's policy, a strengthening change applied at once (and the
app's idle lock follows it), a weakening change that waits for a second admin, who approves it
on the same screen. A teller has no such section."""

from __future__ import annotations

from textual.widgets import DataTable, Input
from ui_pilot import notifications, settle, sign_in
from views import each_view

from staff_console.demo import DEMO_PASSWORD
from staff_console.domain.clock import FixedClock
from staff_console.screens.modals import ConfirmModal
from staff_console.screens.policy import PolicyScreen, PolicyValueModal
from staff_console.screens.registry import visible_sections
from staff_console.services import staff as staff_service
from staff_console.services.policy import current_policy

WIDE = (140, 42)


async def _set(pilot, row: int, value: str) -> None:
    """Select a row of the policy table, `e`, type the value, Enter, then confirm with `y`."""
    screen = pilot.app.screen
    screen.query_one("#policy-table", DataTable).move_cursor(row=row)
    await pilot.press("e")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, PolicyValueModal)
    form.query_one("#policy-value", Input).value = value
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ConfirmModal)
    await pilot.press("y")
    await settle(pilot)


async def test_admins_change_the_policy_and_a_second_admin_approves_a_weakening(
        make_app, ui_backend, ui_clock: FixedClock):
    admin = staff_service.authenticate(ui_backend, "A0001", DEMO_PASSWORD, clock=ui_clock)
    staff_service.add_staff(ui_backend, admin, employee_no="A0002", name="부관리자",
                            branch_code="HQ", role="admin", password=DEMO_PASSWORD,
                            clock=ui_clock)
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "A0001")
        assert app.idle_seconds == 600  # the store's policy (the default), read at sign-in
        await pilot.press("f8")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PolicyScreen)
        assert [e.key for e in screen.entries][3] == "policy.idle_lock_minutes"

        # a shorter idle lock applies at once, and this terminal's lock follows it
        await _set(pilot, 3, "5")
        assert current_policy(ui_backend).idle_lock_minutes == 5
        assert app.idle_seconds == 300
        assert any("5" in n for n in notifications(app))

        # a bad value stays in the form with a message
        screen.query_one("#policy-table", DataTable).move_cursor(row=2)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        form.query_one("#policy-value", Input).value = "31"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
        await pilot.press("escape")
        await settle(pilot)

        # switching the revocation checker off waits for a second admin
        await _set(pilot, 1, "off")
        assert current_policy(ui_backend).needs_checker("revocation")
        assert [c.status for c in screen.changes] == ["pending"]
        # one's own change: the key answers why not (the service's SELF_APPROVAL), nothing
        # to confirm (issue 15.4)
        assert screen.check_action("approve", ()) is True
        await pilot.press("a")
        await settle(pilot)
        assert app.screen is screen
        assert any("SELF_APPROVAL" in n.title for n in app._notifications)
        assert [c.status for c in screen.changes] == ["pending"]
        await pilot.press("f10")
        await settle(pilot)

        await sign_in(pilot, "A0002")
        await pilot.press("f8")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PolicyScreen)
        assert screen.check_action("approve", ()) is True
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        assert not current_policy(ui_backend).needs_checker("revocation")
        assert screen.changes == []
        assert screen.entries[1].value is False
        await pilot.press("f10")
        await settle(pilot)


async def test_a_teller_has_no_policy_section(make_app):
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "T001")
        before = app.screen
        await pilot.press("f8")
        await settle(pilot)
        assert app.screen is before
        assert not isinstance(app.screen, PolicyScreen)
        assert "policy" not in [s.name for s in visible_sections(app.session)]


# ---------------------------------------------------------------- snapshots


def _policy(*keys):
    async def run_before(pilot):
        await sign_in(pilot, "A0001")
        await pilot.press("f8")
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        for box in pilot.app.screen.query(Input):
            box.cursor_blink = False
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


@each_view
def test_snapshot_policy_screen(snap_compare, make_app, size, language):
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_policy())


@each_view
def test_snapshot_policy_value_dialog(snap_compare, make_app, size, language):
    assert snap_compare(make_app(language=language), terminal_size=size,
                        run_before=_policy("e"))
