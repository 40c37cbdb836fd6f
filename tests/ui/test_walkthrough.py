"""The issue's keyboard walkthrough on the demo data, with a fixed clock: a teller finds a customer
by 초성, requests an MTS revocation and signs out; the manager approves it in 결재함; the customer's
MTS panel shows it revoked."""

from __future__ import annotations

from textual.widgets import DataTable
from ui_pilot import notifications, search, settle, sign_in, text_of, type_text

from staff_console.i18n import t
from staff_console.screens.approvals import ApprovalsScreen
from staff_console.screens.customer import CustomerScreen
from staff_console.screens.modals import ConfirmModal, RevokeModal
from staff_console.screens.search import SearchScreen
from staff_console.screens.signin import SignInScreen
from staff_console.widgets.credential_panel import CredentialPanel


async def test_teller_requests_manager_approves_panel_shows_revoked(make_app, cases):
    hong = cases["both_active"]  # D0000001 홍길동: MTS and mobile web active
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        # --- the teller
        await sign_in(pilot, "T001")
        assert isinstance(app.screen, SearchScreen)
        await search(pilot, "ㅎㄱㄷ")
        table = app.screen.query_one("#search-results", DataTable)
        assert table.row_count >= 1
        index = table.get_row_index(hong)
        await pilot.press("down")  # from the query to the results
        for _ in range(index):
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        customer = app.screen
        assert isinstance(customer, CustomerScreen)
        assert customer.detail.customer_no == hong and customer.detail.mts.status == "active"
        # a teller may request, and may not decide
        assert customer.check_action("revoke", ()) is True
        assert customer.check_action("approve", ()) is False

        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, RevokeModal)
        # channel: MTS is the first choice; reason: lost device is the first; a note
        await pilot.press("tab", "tab")
        await type_text(pilot, "분실 신고 접수")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        question = text_of(app.screen.query_one(".dialog-body"))
        assert "\\n" not in question and "계속할까요?" in question  # two lines, no escape
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is customer
        assert [r.kind for r in customer.detail.pending] == ["revocation"]
        request_id = customer.detail.pending[0].id
        assert any(f"#{request_id}" in n for n in notifications(app))

        await pilot.press("f10")  # sign out
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and app.session is None

        # --- the manager
        await sign_in(pilot, "M001")
        await pilot.press("f3")
        await settle(pilot)
        inbox = app.screen
        assert isinstance(inbox, ApprovalsScreen)
        ids = [r.id for r in inbox.approvals]
        assert request_id in ids
        table = inbox.query_one("#inbox-table", DataTable)
        table.focus()
        table.move_cursor(row=ids.index(request_id))
        await settle(pilot)
        detail = text_of(inbox.query_one("#inbox-detail"))
        assert "박창구" in detail  # the maker
        assert t("authority.manager") in detail
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        assert request_id not in [r.id for r in inbox.approvals]

        # --- the customer's MTS panel shows it revoked
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, hong)
        await settle(pilot)  # the palette's search is a worker: settle waits for it
        await pilot.press("enter")
        await settle(pilot)
        customer = app.screen
        assert isinstance(customer, CustomerScreen)
        assert customer.detail.mts is None
        latest_mts = next(c for c in customer.detail.history if c.channel == "mts")
        assert latest_mts.status == "revoked" and latest_mts.end_reason == "lost_device"
        panel = text_of(customer.query_one("#panel-mts", CredentialPanel))
        assert t("status.revoked") in panel
