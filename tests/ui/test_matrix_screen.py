"""모바일웹 서비스표 (F5): the 17 services grouped, online trading Y/-, verification in words; a
customer number adds ✓/✗ and why (recorded as an access); an admin sees the table only."""

from __future__ import annotations

from textual.widgets import DataTable, Input
from ui_pilot import notifications, settle, sign_in, text_of, type_text
from views import each_view

from staff_console.demo import DEMO_PASSWORD
from staff_console.i18n import t
from staff_console.screens.matrix import MatrixScreen
from staff_console.services.audit_trail import list_events
from staff_console.services.staff import authenticate

WIDE = (120, 40)
GROUPS = ["간편인증", "MY 정보", "모바일 지점"]


def _app(make_app, **kwargs):
    app = make_app(**kwargs)
    app.terminal = "tui@test"
    return app


def _column(table: DataTable, key: str) -> list[str]:
    return [str(cell) for cell in table.get_column(key)]


async def _open(pilot, employee_no: str) -> MatrixScreen:
    await sign_in(pilot, employee_no)
    await pilot.press("f5")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, MatrixScreen)
    return screen


async def test_the_matrix_shows_17_services_grouped(make_app):
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        screen = await _open(pilot, "T001")
        table = screen.query_one("#matrix-table", DataTable)
        assert table.row_count == 17
        groups = [g for g in _column(table, "group") if g]
        assert groups == GROUPS  # each group named once, on its first row
        services = _column(table, "service")
        assert services[0] == "간편인증 로그인" and "계좌폐쇄" in services
        online = _column(table, "online")
        assert online.count("Y") == 16 and online[services.index("간편인증 안내")] == "-"
        verification = _column(table, "verification")
        assert verification[services.index("간편인증 등록/재등록")] == \
            t("matrix.verification.nonface3") == "비대면 실명확인 3종"
        assert verification[services.index("MY자산")] == "간편로그인"
        assert verification[0] == t("matrix.verification.none")
        assert "available" not in [c.value for c in table.columns]


async def test_a_customer_number_adds_availability_and_is_recorded(
        make_app, cases, ui_backend, ui_clock):
    customer = cases["no_online_trading"]  # D0000012: only the information page
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        screen = await _open(pilot, "T001")
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await type_text(pilot, customer.lower())
        await pilot.press("enter")
        await settle(pilot)
        table = screen.query_one("#matrix-table", DataTable)
        assert app.focused is table
        assert screen.customer_no == customer
        marks = _column(table, "available")
        services = _column(table, "service")
        assert marks.count("✓") == 1 and marks[services.index("간편인증 안내")] == "✓"
        why = _column(table, "why")
        assert why[0] == t("matrix.reason.NO_ONLINE_TRADING")
        assert customer in text_of(screen.query_one("#matrix-status"))

        # an unknown customer: the core's refusal, and the plain table again
        await pilot.press("slash")
        screen.query_one("#matrix-customer", Input).value = "X9999999"
        await pilot.press("enter")
        await settle(pilot)
        assert any(t("errors.NOT_FOUND") in n and "X9999999" in n for n in notifications(app))
        assert screen.customer_no is None and table.row_count == 17
        assert "available" not in [c.value for c in table.columns]

    manager = authenticate(ui_backend, "M001", DEMO_PASSWORD, clock=ui_clock)
    seen = list_events(ui_backend, manager, clock=ui_clock, action="customer.matrix").items
    assert [(e.actor, e.customer_no, e.category) for e in seen] == [("T001", customer, "access")]


async def test_an_admin_sees_the_table_without_customer_lookup(make_app):
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        screen = await _open(pilot, "A0001")
        assert screen.query_one("#matrix-table", DataTable).row_count == 17
        box = screen.query_one("#matrix-customer", Input)
        assert box.disabled and not box.display
        assert screen.check_action("focus_customer", ()) is False
        assert t("matrix.status.no_customers", count=17) in text_of(
            screen.query_one("#matrix-status"))


async def test_english_names_and_words(make_app):
    app = _app(make_app, language="en")
    async with app.run_test(size=WIDE) as pilot:
        screen = await _open(pilot, "T001")
        table = screen.query_one("#matrix-table", DataTable)
        assert [g for g in _column(table, "group") if g] == [
            "Simple authentication", "My information", "Mobile branch"]
        assert "Close account" in _column(table, "service")
        assert "Simple login" in _column(table, "verification")


# ---------------------------------------------------------------- snapshots


@each_view
def test_snapshot_matrix_for_a_customer(snap_compare, make_app, cases, size, language):
    async def run_before(pilot):
        await sign_in(pilot, "T001")
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, cases["expired"])  # D0000006: web expired
        await pilot.press("enter")
        await settle(pilot)
        for box in pilot.app.screen.query(Input):
            box.cursor_blink = False
        await pilot.pause()

    assert snap_compare(_app(make_app, language=language), terminal_size=size,
                        run_before=run_before)
