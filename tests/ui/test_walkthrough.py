"""The issue's keyboard walkthrough on the demo data, with a fixed clock: a teller finds a customer
by 초성, requests an MTS revocation and signs out; the manager lands on 결재함, opens the request's
customer with Enter and approves it there; the customer's MTS panel shows it revoked.

The README's keys (section "The keyboard walkthrough"), step by step, each step's keys posted at
once (typed ahead: a burst, SSH lag), in 한글 mode except for the passwords."""

from __future__ import annotations

from textual.widgets import DataTable, Input
from ui_pilot import burst, notifications, settle, sign_in, text_of, until

from staff_console.demo import DEMO_PASSWORD
from staff_console.i18n import t
from staff_console.screens.approvals import ApprovalsScreen
from staff_console.screens.customer import CustomerScreen
from staff_console.screens.modals import ConfirmModal, RevokeModal
from staff_console.screens.signin import SignInScreen
from staff_console.widgets.credential_panel import CredentialPanel

# The README's table: (keys as sent, keys a person presses). A Korean syllable is its jamo
# keys (분실 = ㅂㅜㄴㅅㅣㄹ); 한/영 is pressed but sends nothing.
TELLER_SIGN_IN = (("T001", "enter", DEMO_PASSWORD, "enter"), 4 + 1 + 10 + 1)
FIND = (("ㅎㄱㄷ", "enter"), 1 + 3 + 1)  # 한/영 first
REQUEST = (("ㄱ", "분실", "enter"), 1 + 6 + 1)
SIGN_OUT = (("f10",), 1)
MANAGER_SIGN_IN = (("ㅡ001", "enter", DEMO_PASSWORD, "enter"), 4 + 1 + 1 + 10 + 1)  # 한/영
APPROVE = (("enter", "a", "y"), 3)


def test_the_readme_counts():
    """50 keys with the teller's sign-in, 34 from the teller's search screen (the issue's
    script); the two passwords are 20 of them."""
    steps = [TELLER_SIGN_IN, FIND, REQUEST, SIGN_OUT, MANAGER_SIGN_IN, APPROVE]
    assert sum(count for _, count in steps) == 50
    assert sum(count for _, count in steps[1:]) == 34
    assert 2 * len(DEMO_PASSWORD) == 20


async def test_teller_requests_manager_approves_panel_shows_revoked(make_app, cases):
    hong = cases["both_active"]  # D0000001 홍길동: MTS and mobile web active
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # --- the teller: signs in, finds 홍길동 by 초성 (Enter opens the only match)
        burst(app, *TELLER_SIGN_IN[0])
        await until(pilot, lambda: app.session is not None)
        await settle(pilot)
        burst(app, *FIND[0])
        await until(pilot, lambda: isinstance(app.screen, CustomerScreen))
        await settle(pilot)
        customer = app.screen
        assert isinstance(customer, CustomerScreen)
        assert customer.detail.customer_no == hong and customer.detail.mts.status == "active"
        # a teller may request, and may not decide
        assert customer.check_action("revoke", ()) is True
        assert customer.check_action("approve", ()) is False

        # ㄱ (r), the note, Enter: filed at once, no confirmation (the form is one)
        burst(app, *REQUEST[0])
        await until(pilot, lambda: bool(customer.detail.pending))
        await settle(pilot)
        assert app.screen is customer
        [request] = customer.detail.pending
        assert (request.kind, request.channel, request.reason, request.note) == (
            "revocation", "mts", "lost_device", "분실")
        assert any(f"#{request.id}" in n for n in notifications(app))

        burst(app, *SIGN_OUT[0])
        await until(pilot, lambda: app.session is None)
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)

        # --- the manager: lands on 결재함, the request first
        burst(app, *MANAGER_SIGN_IN[0])
        await until(pilot, lambda: isinstance(app.screen, ApprovalsScreen)
                    and bool(app.screen.approvals))
        await settle(pilot)
        assert app.session.actor.employee_no == "M001"
        inbox = app.screen
        assert inbox.approvals[0].id == request.id
        assert inbox.query_one("#inbox-table", DataTable).cursor_row == 0
        detail = text_of(inbox.query_one("#inbox-detail"))
        assert "박창구" in detail and "분실" in detail  # the maker, the note

        # Enter (the customer, opened for that request), a, y: approved there
        burst(app, *APPROVE[0])
        await until(pilot, lambda: isinstance(app.screen, CustomerScreen)
                    and app.screen.detail is not None and app.screen.detail.mts is None)
        await settle(pilot)
        customer = app.screen
        assert isinstance(customer, CustomerScreen) and customer.customer_no == hong
        assert customer.detail.pending == []
        latest_mts = next(c for c in customer.detail.history if c.channel == "mts")
        assert latest_mts.status == "revoked" and latest_mts.end_reason == "lost_device"
        assert t("status.revoked") in text_of(customer.query_one("#panel-mts", CredentialPanel))
        assert app.api.get_request(request.id).status == "approved"


async def test_the_request_is_filed_by_enter_without_a_confirmation(make_app, cases):
    """Enter from the note, from the submit button and from the picked choice files at once;
    on a choice other than the picked one Enter picks it first."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "T001")
        app.open_customer(cases["both_active"])
        await settle(pilot)
        customer = app.screen
        assert isinstance(customer, CustomerScreen)

        # on the channels, the cursor on the picked one (MTS): Enter files
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, RevokeModal)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is customer
        assert [(r.channel, r.reason, r.note) for r in customer.detail.pending] == [
            ("mts", "lost_device", None)]
        assert not any(isinstance(s, ConfirmModal) for s in app.screen_stack)

        # on the reasons: ↓ moves the cursor, Enter picks 고객 요청, Enter again files (web)
        await pilot.press("r")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RevokeModal)
        assert form.query_one("#channel-mts").disabled  # pending: the choice is web
        await pilot.press("tab", "down", "enter")
        await settle(pilot)
        assert app.screen is form
        assert form.query_one("#reason-customer_request").value
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is customer
        assert sorted((r.channel, r.reason) for r in customer.detail.pending) == [
            ("mts", "lost_device"), ("web", "customer_request")]


async def test_enter_on_the_submit_button_files(make_app, cases):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "T001")
        app.open_customer(cases["mts_only"])
        await settle(pilot)
        customer = app.screen
        await pilot.press("r")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RevokeModal)
        await pilot.press("tab", "tab")
        assert form.focused is form.query_one("#revoke-note", Input)
        await pilot.press(*"memo")
        await pilot.press("tab")  # the submit button
        assert getattr(form.focused, "id", None) == "ok"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is customer
        [request] = customer.detail.pending
        assert request.note == "memo"


async def test_a_decides_the_request_the_customer_was_opened_for(make_app, cases, ui_backend):
    """The customer has two pending requests: opened with Enter on one of them in 결재함, `a`
    (here ㅁ, 한글 mode) asks about that one, and ㅛ approves it; the other stays pending.
    Opened from the search, `a` asks which."""
    from test_nothing_silent import console_as

    hong = cases["both_active"]
    teller = console_as(ui_backend, "T001")
    older = teller.request_revocation(customer_no=hong, channel="mts", reason="lost_device")
    newer = teller.request_revocation(customer_no=hong, channel="web", reason="customer_request")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "M001")
        inbox = app.screen
        assert isinstance(inbox, ApprovalsScreen)
        ids = [r.id for r in inbox.approvals]
        assert ids[0] == newer.id  # newest first
        table = inbox.query_one("#inbox-table", DataTable)
        table.move_cursor(row=ids.index(older.id))  # the older one, not the first row
        await settle(pilot)
        burst(app, "enter", "ㅁ")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        customer = app.screen_stack[-2]
        assert isinstance(customer, CustomerScreen) and customer.came_for.id == older.id
        assert f"#{older.id}" in text_of(app.screen.query_one(".dialog-body"))
        burst(app, "ㅛ")
        await until(pilot, lambda: app.api.get_request(older.id).status == "approved")
        await settle(pilot)
        assert app.screen is customer
        assert app.api.get_request(newer.id).status == "pending"
        assert [r.id for r in customer.detail.pending] == [newer.id]

        # the one it came for is decided: `a` takes the customer's other pending one
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert f"#{newer.id}" in text_of(app.screen.query_one(".dialog-body"))
        await pilot.press("n")
        await settle(pilot)
        assert app.api.get_request(newer.id).status == "pending"


async def test_opened_from_the_search_a_asks_which_of_two(make_app, cases, ui_backend):
    from test_nothing_silent import console_as

    from staff_console.screens.modals import PickModal

    hong = cases["both_active"]
    teller = console_as(ui_backend, "T001")
    teller.request_revocation(customer_no=hong, channel="mts", reason="lost_device")
    teller.request_revocation(customer_no=hong, channel="web", reason="customer_request")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "M001")
        app.open_customer(hong)
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, PickModal)


async def test_withdraw_still_confirms(make_app, cases):
    """A request is filed without a confirmation; withdrawing it (w, 결재함's second tab) and
    every decision keep theirs."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "T001")
        made = app.api.request_revocation(customer_no=cases["both_active"], channel="web",
                                          reason="customer_request")
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ApprovalsScreen)
        await pilot.press("tab")
        await settle(pilot)
        table = screen.query_one("#mine-table", DataTable)
        table.move_cursor(row=table.get_row_index(str(made.id)))
        await settle(pilot)
        await pilot.press("ㅈ")  # w in 한글 mode
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("ㅜ")  # no
        await settle(pilot)
        assert app.api.get_request(made.id).status == "pending"
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("ㅛ")
        await settle(pilot)
        assert app.api.get_request(made.id).status == "withdrawn"


async def test_a_backspace_typed_ahead_in_the_note_takes_its_place(make_app, cases):
    """A note with a typo taken back, and Enter, all at once: the note is what was meant, with
    the form on screen and with `r` in the same burst (the form not mounted yet)."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "T001")
        app.open_customer(cases["both_active"])
        await settle(pilot)
        customer = app.screen
        await pilot.press("ㄱ")
        await settle(pilot)
        assert isinstance(app.screen, RevokeModal)
        burst(app, "분싷", "backspace", "실 신고", "enter")
        await until(pilot, lambda: len(customer.detail.pending) == 1)
        await settle(pilot)
        burst(app, "ㄱ", "고객 욫", "backspace", "요청", "enter")  # the web, MTS pending
        await until(pilot, lambda: len(customer.detail.pending) == 2)
        await settle(pilot)
        notes = {r.channel: r.note for r in customer.detail.pending}
        assert notes == {"mts": "분실 신고", "web": "고객 요청"}
