"""Nothing silent (issue 15.4): a key shown in a footer acts, or answers why not with the rule's
code and words through the app's one error handler; the revocation form never opens while a
revocation is pending, has the same fields in the same order whatever can be revoked, and never
drops a typed note."""

from __future__ import annotations

import pytest
from textual import events
from textual.keys import _character_to_key
from textual.widgets import DataTable, Input, RadioButton, RadioSet
from ui_pilot import footer_keys, search, settle, sign_in, type_text, until

from staff_console.api.local import LocalConsole
from staff_console.demo import DEMO_PASSWORD
from staff_console.i18n import t
from staff_console.screens.approvals import ApprovalsScreen
from staff_console.screens.customer import CustomerScreen
from staff_console.screens.modals import ConfirmModal, RevokeModal
from staff_console.screens.search import SearchScreen

SIZE = (120, 40)


def refusals(app) -> list[tuple[str, str]]:
    """(title, message) of the error notifications shown now."""
    return [(n.title, n.message) for n in app._notifications if n.severity == "error"]


def answered(app, code: str) -> bool:
    """The one error handler answered with `code`: its code in the title, the catalog's words
    for it in the message."""
    return any(code in title and t(f"errors.{code}") in message
               for title, message in refusals(app))


def burst(app, *parts: str) -> None:
    """Keys posted all at once, as a terminal delivers typed-ahead keys in one read."""
    for part in parts:
        if part in ("enter", "tab"):
            app.post_message(events.Key(part, "\r" if part == "enter" else "\t"))
        else:
            for ch in part:
                app.post_message(events.Key(_character_to_key(ch), ch))


def console_as(backend, employee_no: str) -> LocalConsole:
    """Another terminal on the same store, signed in as `employee_no`."""
    console = LocalConsole(backend)
    console.sign_in(employee_no, DEMO_PASSWORD, terminal="tui@other")
    return console


async def open_customer(pilot, customer_no: str) -> CustomerScreen:
    pilot.app.open_customer(customer_no)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CustomerScreen) and screen.detail is not None
    return screen


# ---------------------------------------------------------------------------------------- r


async def test_r_with_a_pending_revocation_answers_before_the_form(make_app, cases):
    """D0000009: MTS is its only credential and its revocation is pending (T001's)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T002")
        customer = await open_customer(pilot, cases["pending_revocation"])
        assert t("keys.revoke") in footer_keys(customer)  # offered: it answers
        await pilot.press("r")
        await settle(pilot)
        assert app.screen is customer, "the form opened although a revocation is pending"
        assert answered(app, "DUPLICATE_PENDING"), refusals(app)


async def test_r_reads_the_store_not_the_screen(make_app, cases):
    """A revocation requested since the screen opened (another terminal, here the same
    console's facade behind the screen's back) is answered before the form opens."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T001")
        customer = await open_customer(pilot, cases["mts_only"])
        assert customer.detail.pending == []
        app.api.request_revocation(customer_no=cases["mts_only"], channel="mts",
                                   reason="lost_device", note="elsewhere")
        await pilot.press("r")
        await settle(pilot)
        assert not isinstance(app.screen, RevokeModal)
        assert app.screen is customer
        assert answered(app, "DUPLICATE_PENDING"), refusals(app)
        # the screen now shows what the store said
        assert [r.kind for r in customer.detail.pending] == ["revocation"]


async def test_r_without_a_current_credential_answers_not_registered(make_app, cases):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T001")
        customer = await open_customer(pilot, cases["expired"])
        await pilot.press("r")
        await settle(pilot)
        assert app.screen is customer
        assert answered(app, "NOT_REGISTERED"), refusals(app)


async def test_the_server_still_refuses_on_submit(make_app, cases):
    """The form was open when another request arrived: the service refuses the submit."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T001")
        await open_customer(pilot, cases["mts_only"])
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, RevokeModal)
        app.api.request_revocation(customer_no=cases["mts_only"], channel="mts",
                                   reason="lost_device", note="elsewhere")
        await pilot.press("tab", "tab")
        await type_text(pilot, "memo")
        await pilot.press("enter")  # filed at once (the form is the confirmation)
        await settle(pilot)
        assert answered(app, "DUPLICATE_PENDING"), refusals(app)


# ------------------------------------------------------------------------- the revocation form


async def test_form_lists_both_channels_the_unrevocable_one_disabled(make_app, cases):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T001")
        await open_customer(pilot, cases["mts_only"])
        await pilot.press("r")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RevokeModal)
        mts = form.query_one("#channel-mts", RadioButton)
        web = form.query_one("#channel-web", RadioButton)
        assert mts.value and not mts.disabled
        assert web.disabled and not web.value
        assert t("revoke.channel_none") in str(web.label)
        assert form.focused is form.query_one("#revoke-channel", RadioSet)
        # the arrows never land on the disabled channel (Space picks the one under the cursor)
        await pilot.press("down", "space")
        assert form.query_one("#revoke-channel", RadioSet).pressed_button is mts


async def test_form_marks_the_channel_whose_revocation_is_pending(make_app, cases):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T001")
        await open_customer(pilot, cases["both_active"])
        app.api.request_revocation(customer_no=cases["both_active"], channel="mts",
                                   reason="lost_device")
        await pilot.press("r")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RevokeModal)
        mts = form.query_one("#channel-mts", RadioButton)
        web = form.query_one("#channel-web", RadioButton)
        assert mts.disabled and t("revoke.channel_pending") in str(mts.label)
        assert web.value and not web.disabled


async def test_form_follows_the_store_read_while_it_is_open(make_app, cases):
    """The screen showed both channels revocable; another terminal has just requested MTS:
    the form opens at once, and the store's answer disables MTS and picks the web."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T001")
        customer = await open_customer(pilot, cases["both_active"])
        app.api.request_revocation(customer_no=cases["both_active"], channel="mts",
                                   reason="lost_device")
        assert customer.detail.pending == []  # the screen does not know yet
        await pilot.press("r")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RevokeModal)
        mts = form.query_one("#channel-mts", RadioButton)
        web = form.query_one("#channel-web", RadioButton)
        assert mts.disabled and not mts.value and web.value
        assert t("revoke.channel_pending") in str(mts.label)
        assert [r.channel for r in customer.detail.pending] == ["mts"]


@pytest.mark.parametrize("case, channel", [("both_active", "mts"), ("mts_only", "mts"),
                                           ("web_only", "web")])
async def test_the_readme_keys_keep_the_note_whatever_is_revocable(make_app, cases, case,
                                                                   channel):
    """`r`, Tab, Tab, the note, Enter: the same keys with two channels or one; Enter files the
    request (no confirmation: the form is one)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T001")
        customer = await open_customer(pilot, cases[case])
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, RevokeModal)
        await pilot.press("tab", "tab")
        assert app.screen.focused is app.screen.query_one("#revoke-note", Input)
        await type_text(pilot, "분실 신고 접수")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is customer
        [request] = customer.detail.pending
        assert (request.channel, request.reason, request.note) == (channel, "lost_device",
                                                                   "분실 신고 접수")


@pytest.mark.parametrize("case", ["both_active", "mts_only"])
async def test_a_note_typed_on_the_choices_goes_into_the_note(make_app, cases, case):
    """Typed too early (on the channels) or too late (on the buttons): kept, in the note."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T001")
        await open_customer(pilot, cases[case])
        await pilot.press("r")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RevokeModal)
        note = form.query_one("#revoke-note", Input)
        await type_text(pilot, "고객 요청")  # on the channels
        assert note.value == "고객 요청" and form.focused is note
        await pilot.press("tab")  # to the submit button
        assert form.focused is not note
        await type_text(pilot, "함")
        assert note.value == "고객 요청함"


@pytest.mark.parametrize("case", ["both_active", "mts_only"])
async def test_a_note_typed_in_a_burst_keeps_every_character(make_app, cases, case):
    """Typed ahead on the channels, the keys arrive together: the space after the first word
    must find the note already focused (a space on a choice would pick it)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T001")
        customer = await open_customer(pilot, cases[case])
        await pilot.press("r")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RevokeModal)
        burst(app, "고객 요청 건")
        await settle(pilot)
        assert form.query_one("#revoke-note", Input).value == "고객 요청 건"
        await pilot.press("escape")
        await settle(pilot)
        # the README's keys, `r` included, all at once: the keys typed after `r` reach the
        # form even if it is not on screen yet
        burst(app, "r", "tab", "tab", "분실 신고", "enter")
        await until(pilot, lambda: bool(customer.detail.pending))
        await settle(pilot)
        assert app.screen is customer
        [request] = customer.detail.pending
        assert request.note == "분실 신고"


# ---------------------------------------------------------------------------------- a and x


async def test_a_on_ones_own_request_answers_self_approval_on_the_customer(make_app, cases):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "M001")
        app.api.request_revocation(customer_no=cases["both_active"], channel="mts",
                                   reason="lost_device")
        customer = await open_customer(pilot, cases["both_active"])
        assert customer.check_action("approve", ()) is True  # shown: it answers
        for key in ("a", "x"):
            app.clear_notifications()
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is customer, key
            assert answered(app, "SELF_APPROVAL"), (key, refusals(app))


async def test_a_on_another_branchs_request_answers_forbidden(make_app, cases, ui_backend):
    """A request made at branch 002 is not 001's manager's to decide."""
    console_as(ui_backend, "T004").request_revocation(  # a teller of 002
        customer_no=cases["locked"], channel="mts", reason="lost_device")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "M001")
        customer = await open_customer(pilot, cases["locked"])
        await pilot.press("a")
        await settle(pilot)
        assert app.screen is customer
        assert answered(app, "FORBIDDEN"), refusals(app)


async def test_a_on_ones_own_request_in_the_approvals_answers_self_approval(make_app, cases):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "M001")
        app.api.request_revocation(customer_no=cases["both_active"], channel="mts",
                                   reason="lost_device")
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ApprovalsScreen)
        await pilot.press("tab")  # my requests
        await settle(pilot)
        assert screen.mine and screen.mine[0].customer_no == cases["both_active"]
        assert t("keys.approve") in footer_keys(screen)
        for key in ("a", "x"):
            app.clear_notifications()
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is screen, key
            assert answered(app, "SELF_APPROVAL"), (key, refusals(app))


async def test_a_teller_is_offered_no_decision_keys(make_app, cases):
    """A key that can never act is not shown: a teller decides nothing."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T002")
        customer = await open_customer(pilot, cases["pending_revocation"])
        keys = footer_keys(customer)
        assert t("keys.approve") not in keys and t("keys.reject") not in keys
        assert t("keys.revoke") in keys


# --------------------------------------------------------------------------------------- w


async def test_w_on_a_decided_request_answers_already_decided(make_app, cases):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T001")
        made = app.api.request_revocation(customer_no=cases["both_active"], channel="web",
                                          reason="customer_request")
        app.api.withdraw_request(made.id)  # decided: withdrawn
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ApprovalsScreen)
        assert t("keys.withdraw") not in footer_keys(screen)  # nothing of mine on tab 1
        await pilot.press("tab")
        await settle(pilot)
        table = screen.query_one("#mine-table", DataTable)
        table.move_cursor(row=table.get_row_index(str(made.id)))
        await settle(pilot)
        assert t("keys.withdraw") in footer_keys(screen)
        await pilot.press("w")
        await settle(pilot)
        assert app.screen is screen  # no confirmation for what cannot be done
        assert answered(app, "ALREADY_DECIDED"), refusals(app)


async def test_w_on_a_pending_request_still_withdraws(make_app, cases):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T001")
        made = app.api.request_revocation(customer_no=cases["both_active"], channel="web",
                                          reason="customer_request")
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        await pilot.press("tab")
        await settle(pilot)
        table = screen.query_one("#mine-table", DataTable)
        table.move_cursor(row=table.get_row_index(str(made.id)))
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        assert app.api.get_request(made.id).status == "withdrawn"
        assert not refusals(app)


# ------------------------------------------------------------------------------------- F2, F3


async def test_f2_from_the_results_goes_back_to_the_query(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T001")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        await search(pilot, "ㅎㄱㄷ")
        await pilot.press("down")
        table = screen.query_one("#search-results", DataTable)
        assert screen.focused is table
        await pilot.press("f2")
        await settle(pilot)
        box = screen.query_one("#search-input", Input)
        assert app.screen is screen and screen.focused is box
        # the query is selected: what is typed next is a new search
        await search(pilot, "김철수")
        assert box.value == "김철수"


async def test_f2_from_another_section_goes_to_the_query(make_app):
    """F2 means: type a search. From 결재함, with the focus left on the results before."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T001")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        await search(pilot, "ㄱㅊㅅ")
        await pilot.press("down")
        assert screen.focused is screen.query_one("#search-results", DataTable)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        box = screen.query_one("#search-input", Input)
        assert app.screen is screen and screen.focused is box
        await search(pilot, "ㅎㄱㄷ")
        assert box.value == "ㅎㄱㄷ"


async def test_f2_from_a_customer_comes_back_to_the_query(make_app, cases):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "T001")
        search_screen = app.screen
        await open_customer(pilot, cases["both_active"])
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen is search_screen
        assert search_screen.focused is search_screen.query_one("#search-input", Input)


async def test_f3_in_the_approvals_reads_them_again(make_app, cases, ui_backend):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "M001")
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ApprovalsScreen)
        # a request made at another terminal while the screen is open
        made = console_as(ui_backend, "T003").request_revocation(
            customer_no=cases["both_active"], channel="mts", reason="lost_device")
        assert made.id not in {r.id for r in screen.approvals}
        await pilot.press("f3")  # here already: read again
        await settle(pilot)
        assert app.screen is screen
        assert made.id in {r.id for r in screen.approvals}
