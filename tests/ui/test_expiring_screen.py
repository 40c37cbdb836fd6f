"""만료 예정 (F6): the list within N days (default from the settings), the 12-month chart, Enter
opens the customer, `e` writes a CSV under <home>/exports and the export is an access event."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import pytest
from textual.widgets import DataTable, Input
from ui_pilot import footer_keys, notifications, settle, sign_in, text_of
from views import each_view

from staff_console.demo import DEMO_PASSWORD
from staff_console.domain.errors import ConsoleError
from staff_console.i18n import t
from staff_console.screens.customer import CustomerScreen
from staff_console.screens.expiring import ExpiringScreen
from staff_console.services.audit_trail import list_events
from staff_console.services.expiry import list_expiring
from staff_console.services.exports import EXPIRING_HEADER as EXPIRING_CSV_HEADER
from staff_console.services.exports import export_expiring
from staff_console.services.staff import authenticate
from staff_console.widgets.expiry_chart import ExpiryChart

WIDE = (120, 40)
TODAY = date(2026, 11, 24)
MONTHS = ["2026-11", "2026-12", "2027-01", "2027-02", "2027-03", "2027-04", "2027-05",
          "2027-06", "2027-07", "2027-08", "2027-09", "2027-10"]


def _app(make_app, **kwargs):
    app = make_app(**kwargs)
    app.terminal = "tui@test"
    return app


async def _open(pilot, employee_no: str) -> ExpiringScreen:
    await sign_in(pilot, employee_no)
    await pilot.press("f6")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ExpiringScreen)
    return screen


async def test_the_list_within_30_days_and_the_chart(make_app, cases):
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        screen = await _open(pilot, "T001")
        assert screen.query_one("#expiring-within", Input).value == "30"
        assert screen.within == 30
        items = screen.items
        assert items, "the demo has credentials expiring within 30 days"
        assert all(0 <= i.days_left <= 30 and i.branch_code == "001" for i in items)
        assert [i.valid_until for i in items] == sorted(i.valid_until for i in items)
        expiring = next(i for i in items if i.customer_no == cases["expiring"])
        assert expiring.days_left == 12 and expiring.valid_until == TODAY + timedelta(days=12)
        table = screen.query_one("#expiring-table", DataTable)
        assert table.row_count == len(items)
        row = table.get_row(str(expiring.credential_id))
        assert str(row[0]) == cases["expiring"] and str(row[-1]) == t("expiring.days", days=12)
        status = text_of(screen.query_one("#expiring-status"))
        assert f"{len(items)}건" in status and "2026-12-24" in status

        chart = screen.query_one("#expiring-chart", ExpiryChart)
        assert [m for m, _ in chart.counts] == MONTHS
        december = dict(chart.counts)["2026-12"]
        assert december >= sum(1 for i in items if i.valid_until.month == 12)
        rendered = text_of(chart)
        assert "2026-11" in rendered and "2027-10" in rendered
        assert str(sum(n for _, n in chart.counts)) in str(
            screen.query_one("#expiring-chart-box").border_subtitle)

        # a longer period: more rows, the chart stays
        box = screen.query_one("#expiring-within", Input)
        box.focus()
        box.value = "365"
        await pilot.press("enter")
        await settle(pilot)
        assert screen.within == 365 and len(screen.items) > len(items)
        assert app.focused is table
        # a bad period: said so, nothing loaded
        box.focus()
        box.value = "9999"
        await pilot.press("enter")
        await settle(pilot)
        assert screen.within == 365
        assert t("expiring.bad_within") in notifications(app)


async def test_enter_opens_the_customer(make_app, cases):
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        screen = await _open(pilot, "T001")
        table = screen.query_one("#expiring-table", DataTable)
        index = next(n for n, i in enumerate(screen.items)
                     if i.customer_no == cases["expiring"])
        table.focus()
        table.move_cursor(row=index)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)
        assert app.screen.detail.customer_no == cases["expiring"]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_export_writes_a_csv_and_records_the_access(make_app, tmp_path, ui_backend,
                                                          ui_clock):
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        screen = await _open(pilot, "T001")
        assert t("keys.export") in footer_keys(screen)
        shown = [(i.customer_no, i.valid_until.isoformat()) for i in screen.items]
        await pilot.press("e")
        await settle(pilot)
        files = sorted((tmp_path / "exports").glob("expiring-*.csv"))
        assert [f.name for f in files] == ["expiring-20261124-100000.csv"]
        assert any(str(files[0]) in n for n in notifications(app))
        # a second export in the same second never overwrites the first
        await pilot.press("e")
        await settle(pilot)
        assert len(list((tmp_path / "exports").glob("expiring-*.csv"))) == 2

    raw = files[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: a spreadsheet reads the Korean names
    rows = list(csv.reader(files[0].read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == EXPIRING_CSV_HEADER
    assert [(r[0], r[5]) for r in rows[1:]] == shown
    assert files[0].stat().st_mode & 0o077 == 0  # owner only: it holds customer data

    manager = authenticate(ui_backend, "M001", DEMO_PASSWORD, clock=ui_clock)
    exports = list_events(ui_backend, manager, clock=ui_clock,
                          action="credential.expiring_export").items
    assert len(exports) == 2
    assert exports[0].actor == "T001" and exports[0].category == "access"
    assert exports[0].detail["count"] == len(shown) and exports[0].detail["within_days"] == 30


def test_the_export_service_refuses_roles_without_customer_access(ui_backend, ui_clock,
                                                                  tmp_path):
    admin = authenticate(ui_backend, "A0001", DEMO_PASSWORD, clock=ui_clock)
    with pytest.raises(ConsoleError) as refused:
        export_expiring(ui_backend, admin, tmp_path / "a.csv", within_days=30, clock=ui_clock)
    assert refused.value.code == "FORBIDDEN"
    assert not (tmp_path / "a.csv").exists()
    auditor = authenticate(ui_backend, "AU01", DEMO_PASSWORD, clock=ui_clock)
    done = export_expiring(ui_backend, auditor, tmp_path / "b.csv", within_days=30,
                           clock=ui_clock)
    every = list_expiring(ui_backend, auditor, within_days=30, clock=ui_clock)
    text = (tmp_path / "b.csv").read_text(encoding="utf-8-sig")
    assert done.rows == len(every) and len(text.strip().splitlines()) == len(every) + 1


async def test_an_admin_has_no_expiring_section(make_app):
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "A0001")
        assert app.check_action("section", ("expiring",)) is False
        before = app.screen
        await pilot.press("f6")
        await settle(pilot)
        assert app.screen is before and not isinstance(app.screen, ExpiringScreen)


# ---------------------------------------------------------------- snapshots


@each_view
def test_snapshot_expiring_screen(snap_compare, make_app, size, language):
    async def run_before(pilot):
        await sign_in(pilot, "T001")
        await pilot.press("f6")
        await settle(pilot)
        for box in pilot.app.screen.query(Input):
            box.cursor_blink = False
        await pilot.pause()

    assert snap_compare(_app(make_app, language=language), terminal_size=size,
                        run_before=run_before)
