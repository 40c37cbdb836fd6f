"""Search kinds, paging, stale results, refusals and unexpected errors."""

from __future__ import annotations

from textual.widgets import DataTable
from ui_pilot import footer_keys, notifications, search, settle, sign_in, text_of

from staff_console.i18n import t
from staff_console.screens.customer import CustomerScreen
from staff_console.screens.search import DEBOUNCE_SECONDS, PAGE_SIZE, SearchScreen


def _keys(table: DataTable) -> list[str]:
    return [row.value for row in table.rows]


def _phone_of(backend, customer_no: str) -> str:
    import sqlalchemy as sa

    from staff_console.store.tables import CUSTOMER

    return backend.store.run(lambda s: s.execute(
        sa.select(CUSTOMER.c.phone).where(CUSTOMER.c.customer_no == customer_no)).scalar_one())


async def test_every_search_kind_finds_the_customer(make_app, cases, ui_backend):
    hong = cases["both_active"]
    phone = _phone_of(ui_backend, hong)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "T001")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        table = screen.query_one("#search-results", DataTable)
        box = screen.query_one("#search-input")
        # the account number comes from the customer view
        from staff_console.services.customer_view import show_customer

        detail = show_customer(ui_backend, app.actor, hong, clock=app.clock)
        birth = detail.id_masked[:6]
        for query, kind in [("홍길동", "name"), ("홍길", "name"), ("ㅎㄱㄷ", "chosung"),
                            (hong, "customer_no"), (detail.accounts[0], "account"),
                            (phone, "phone"), (phone[-4:], "phone_last4"),
                            (birth, "birth_date")]:
            box.value = ""
            await search(pilot, query)
            assert hong in _keys(table), (query, kind)
            assert kind in screen.page.kinds
            row = table.get_row(hong)
            assert "*" in row[2] and "****" in row[3]  # masked ID and phone


async def test_paging_and_debounce(make_app):
    assert DEBOUNCE_SECONDS <= 0.15
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "T001")
        screen = app.screen
        await search(pilot, "김")
        table = screen.query_one("#search-results", DataTable)
        first = _keys(table)
        assert len(first) == PAGE_SIZE and screen.page.has_more
        await pilot.press("pagedown")
        await settle(pilot)
        assert screen.page.offset == PAGE_SIZE and _keys(table) != first
        assert "21" in text_of(screen.query_one("#search-status"))
        await pilot.press("pageup")
        await settle(pilot)
        assert _keys(table) == first


async def test_newer_query_wins_over_an_older_one(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "T001")
        screen = app.screen
        screen.search("김", 0)
        screen.search("ㅎㄱㄷ", 0)
        await settle(pilot)
        assert screen.page.query == "ㅎㄱㄷ"
        assert "chosung" in screen.page.kinds


async def test_half_typed_query_is_no_notification(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "T001")
        await search(pilot, "!!")
        assert notifications(app) == []
        assert text_of(app.screen.query_one("#search-status")).strip().startswith(
            t("search.status.invalid")[:10])


async def test_a_refusal_shows_its_message(make_app, cases):
    """T001 asks to revoke the MTS of D0000009, whose revocation is already pending: the
    refusal comes before the form (issue 15.4; the submit's refusal: test_nothing_silent)."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "T001")
        app.open_customer(cases["pending_revocation"])
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)
        messages = notifications(app)
        detail = t("errors.detail.revocation_pending", channel=t("channel.mts"))
        assert any(t("errors.DUPLICATE_PENDING") in m and detail in m for m in messages)
        # in the selected language only: the service's English message stays in the log
        assert not any("a revocation of this mts credential is pending" in m for m in messages)
        note = app._notifications
        assert any(n.severity == "error" and "DUPLICATE_PENDING" in n.title for n in note)


async def test_unexpected_error_is_generic_and_shows_nothing_personal(make_app, monkeypatch):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "T001")

        def boom(*_args, **_kwargs):
            raise RuntimeError("900101-1234567 secret")

        monkeypatch.setattr(app.api, "search_customers", boom)
        await search(pilot, "홍길동")
        messages = notifications(app)
        assert t("errors.UNEXPECTED") in messages
        assert not any("900101" in m or "secret" in m for m in messages)


async def test_english_catalog_is_selected_by_the_setting(make_app):
    app = make_app(language="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "Branch staff sign-in" in text_of(app.screen.query_one("#signin-heading"))
        await sign_in(pilot, "T001")
        assert "Search" in footer_keys(app.screen)
        assert "Customer search" in text_of(app.screen.query_one("SessionBar"))
    from staff_console.i18n import set_language

    set_language("ko")
