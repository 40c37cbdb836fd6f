"""A registration approved by the branch's delegate inside the window, refused after it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable
from ui_pilot import settle, sign_in, text_of

from staff_console.demo import DEMO_PASSWORD
from staff_console.domain.errors import ConsoleError
from staff_console.i18n import t
from staff_console.screens.approvals import ApprovalsScreen
from staff_console.screens.modals import ConfirmModal
from staff_console.services.delegations import grant_delegation
from staff_console.services.intake import register_from_channel
from staff_console.services.requests import approve_request, get_request
from staff_console.services.staff import authenticate


async def test_delegate_approves_inside_the_window_and_is_refused_after(
        make_app, cases, ui_backend, ui_clock):
    now = ui_clock.now()
    manager = authenticate(ui_backend, "M001", DEMO_PASSWORD, clock=ui_clock)
    grant = grant_delegation(ui_backend, manager, delegate_employee_no="D001",
                             valid_from=now - timedelta(hours=1),
                             valid_until=now + timedelta(hours=2), clock=ui_clock)
    registration_customer = cases["pending_registration"]  # D0000008, branch 001

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "D001")  # a teller, acting for the manager
        await pilot.press("f3")
        await settle(pilot)
        inbox = app.screen
        assert isinstance(inbox, ApprovalsScreen)
        target = next(r for r in inbox.approvals if r.customer_no == registration_customer)
        assert target.kind == "registration"
        assert sorted(e.kind for e in target.evidence if e.passed) == ["id_card", "one_won",
                                                                      "phone"]
        inbox.query_one("#inbox-table", DataTable).move_cursor(
            row=inbox.approvals.index(target))
        await settle(pilot)
        detail = text_of(inbox.query_one("#inbox-detail"))
        assert t("evidence.one_won") in detail and t("authority.delegate") in detail
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        decided = get_request(ui_backend, manager, target.id, clock=ui_clock)
        assert decided.status == "approved"
        assert decided.authority == "delegate" and decided.delegation_id == grant.id
        assert decided.decider == "D001"

        # a new registration arrives; the window then closes
        intake = register_from_channel(
            ui_backend, customer_no=cases["mts_only"], channel="web", device_id="BRW-new",
            device_model="Safari", methods="pin", verified="id_card,one_won,phone",
            clock=ui_clock)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert intake.request_id in [r.id for r in inbox.approvals]
        ui_clock.advance(hours=3)
        # the approve key is gone at once (the window is over), before any refresh
        assert inbox.check_action("approve", ()) is False
        await pilot.press("a")
        await settle(pilot)
        assert app.screen is inbox
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert inbox.approvals == []

    # and the service refuses the delegate after the window
    delegate = authenticate(ui_backend, "D001", DEMO_PASSWORD, clock=ui_clock)
    with pytest.raises(ConsoleError) as refused:
        approve_request(ui_backend, delegate, intake.request_id, clock=ui_clock)
    assert refused.value.code == "DELEGATION_INVALID"
