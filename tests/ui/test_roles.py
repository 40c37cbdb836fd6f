"""What a role may not do is hidden, and the services still refuse it; the maker withdraws."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable
from ui_pilot import footer_keys, notifications, settle, sign_in, text_of

from staff_console.demo import DEMO_PASSWORD
from staff_console.domain.errors import ConsoleError
from staff_console.i18n import t
from staff_console.screens.approvals import ApprovalsScreen
from staff_console.screens.customer import CustomerScreen
from staff_console.screens.modals import ConfirmModal
from staff_console.services.requests import approve_request, get_request
from staff_console.services.staff import authenticate


async def test_teller_sees_no_approve_action_and_the_service_refuses(make_app, cases,
                                                                      ui_backend, ui_clock):
    pending = cases["pending_revocation"]  # D0000009: revocation by T001, pending for M001
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "T002")
        app.open_customer(pending)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerScreen)
        assert [r.kind for r in screen.detail.pending] == ["revocation"]
        assert screen.check_action("approve", ()) is False
        assert screen.check_action("reject", ()) is False
        shown = {b.binding.action for b in screen.active_bindings.values()
                 if b.enabled and b.binding.show}
        assert "approve" not in shown and "reject" not in shown and "revoke" in shown
        footer = footer_keys(screen)
        assert t("keys.approve") not in footer and t("keys.revoke") in footer
        await pilot.press("a")
        await settle(pilot)
        assert app.screen is screen  # nothing opened

        # 결재함: nothing decidable for a teller without a delegation
        await pilot.press("f3")
        await settle(pilot)
        inbox = app.screen
        assert isinstance(inbox, ApprovalsScreen)
        assert inbox.approvals == []
        assert t("approvals.not_decider") in text_of(inbox.query_one("#inbox-detail"))
        assert inbox.check_action("approve", ()) is False

    # the service refuses it anyway
    teller = authenticate(ui_backend, "T002", DEMO_PASSWORD, clock=ui_clock)
    request_id = next(r.id for r in _pending(ui_backend, ui_clock, pending))
    with pytest.raises(ConsoleError) as refused:
        approve_request(ui_backend, teller, request_id, clock=ui_clock)
    assert refused.value.code == "FORBIDDEN"
    assert get_request(ui_backend, teller, request_id, clock=ui_clock).status == "pending"


def _pending(backend, clock, customer_no):
    from staff_console.services.customer_view import show_customer

    manager = authenticate(backend, "M001", DEMO_PASSWORD, clock=clock)
    return show_customer(backend, manager, customer_no, clock=clock).pending


async def test_auditor_sees_no_revoke_action(make_app, cases):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "AU01")
        app.open_customer(cases["both_active"])
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerScreen)
        assert screen.check_action("revoke", ()) is False
        await pilot.press("r")
        await settle(pilot)
        assert app.screen is screen


async def test_maker_withdraws_own_request_in_the_second_tab(make_app, cases):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "T001")
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ApprovalsScreen)
        mine = [r for r in screen.mine if r.customer_no == cases["pending_revocation"]]
        assert mine and mine[0].status == "pending"
        await pilot.press("tab")  # to the second tab
        await settle(pilot)
        table = screen.query_one("#mine-table", DataTable)
        table.move_cursor(row=screen.mine.index(mine[0]))
        await settle(pilot)
        assert screen.check_action("withdraw", ()) is True
        assert screen.check_action("approve", ()) is False
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        after = next(r for r in screen.mine if r.id == mine[0].id)
        assert after.status == "withdrawn", notifications(app)
        # decided now: the key stays and answers ALREADY_DECIDED (test_nothing_silent.py)
        assert screen.check_action("withdraw", ()) is True
