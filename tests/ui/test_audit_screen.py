"""감사 기록 (F7): filters, `v` verifies the chain (ok, and a tampered event found), the monthly
access-log review with a sign-off that is itself an audit event, `e` exports what is shown to
CSV; a teller has no audit section and an admin no access-log review, and the services refuse."""

from __future__ import annotations

import csv
from dataclasses import replace

import pytest
import sqlalchemy as sa
from textual.widgets import DataTable, Input, TabbedContent
from ui_pilot import footer_keys, notifications, settle, sign_in, text_of, type_text, until
from views import each_view

from staff_console.demo import DEMO_PASSWORD
from staff_console.domain.errors import ConsoleError
from staff_console.i18n import t
from staff_console.screens.audit import AuditScreen
from staff_console.screens.audit_access import AccessPane
from staff_console.screens.audit_events import EventsPane, problem_text
from staff_console.screens.modals import ConfirmModal, NoteModal
from staff_console.services.audit_trail import (
    access_log,
    list_events,
    sign_off_access_review,
)
from staff_console.services.staff import authenticate

WIDE = (120, 40)
CSV_HEADER = ["seq", "at", "actor", "terminal", "action", "category", "customer_no", "target",
              "detail"]


def _app(make_app, **kwargs):
    app = make_app(**kwargs)
    app.terminal = "tui@test"
    return app


async def _open(pilot, employee_no: str) -> AuditScreen:
    await sign_in(pilot, employee_no)
    await pilot.press("f7")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AuditScreen)
    return screen


async def _browse(pilot, *queries: str) -> None:
    """Some customer-data reads to review: searches through the search screen."""
    for query in queries:
        await pilot.press("f2")
        await settle(pilot)
        box = pilot.app.screen.query_one("#search-input", Input)
        # The whole query at once: typed key by key on a loaded machine, the debounce could
        # send a prefix too, one more read in the trail than the test counts.
        box.value = ""
        box.value = query
        await until(pilot, lambda sent=query: pilot.app.screen.query_text == sent)
        await settle(pilot)


async def _apply(pilot, screen, **values: str) -> None:
    """Set some filters and press Enter in the first one."""
    for name, value in values.items():
        screen.query_one(f"#filter-{name}", Input).value = value
    screen.query_one("#filter-customer", Input).focus()
    await pilot.press("enter")
    await settle(pilot)


def _actor(backend, clock, employee_no="M001"):
    return authenticate(backend, employee_no, DEMO_PASSWORD, clock=clock)


async def test_events_filters_and_verify_the_chain(make_app, ui_backend, ui_clock):
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "M001")
        await _browse(pilot, "홍길동", "ㄱㅊㅅ")
        await pilot.press("f7")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        seqs = [e.seq for e in screen.query_one(EventsPane).events]
        assert seqs == sorted(seqs, reverse=True) and len(seqs) >= 4
        table = screen.query_one("#audit-table", DataTable)
        assert table.row_count == len(seqs)
        assert app.focused is table
        first = screen.query_one(EventsPane).events[0]
        assert f"#{first.seq}" in text_of(screen.query_one("#audit-detail"))

        # filter: staff and action prefix
        await pilot.press("slash")
        assert app.focused is screen.query_one("#filter-customer", Input)
        await _apply(pilot, screen, staff="M001", action="customer.search")
        events = screen.query_one(EventsPane).events
        assert [e.action for e in events] == ["customer.search", "customer.search"]
        assert {e.actor for e in events} == {"M001"}
        assert app.focused is table  # on to the results
        # a bad date is said, nothing changes
        await _apply(pilot, screen, **{"from": "2026-13-01"})
        assert len(screen.query_one(EventsPane).events) == 2
        assert any(t("audit.filter.from") in n for n in notifications(app))
        assert app.focused is screen.query_one("#filter-from", Input)
        await _apply(pilot, screen, **{"from": "2026-11-24", "to": "2026-11-24"})
        assert len(screen.query_one(EventsPane).events) == 2
        await _apply(pilot, screen, to="2026-11-23")
        assert any(t("audit.bad_range") in n for n in notifications(app))
        await _apply(pilot, screen, staff="", action="", to="", **{"from": ""})
        assert len(screen.query_one(EventsPane).events) == len(seqs)

        # verify
        assert screen.query_one(EventsPane).check_action("verify", ()) is True
        table.focus()
        await pilot.press("v")
        await settle(pilot)
        verdict = screen.query_one(EventsPane).verdict
        assert verdict.ok and verdict.count >= len(seqs)
        shown = text_of(screen.query_one("#audit-verdict"))
        assert t("audit.verify_ok", count=verdict.count, when="2026-11-24 10:00") in shown
        assert any(t("audit.verify_title_ok") in n or "✓" in n for n in notifications(app))
        events = screen.query_one(EventsPane).events
        assert events[0].action == "audit.verified"  # the check is itself recorded
        assert events[0].detail["ok"] is True


async def test_verify_names_the_first_tampered_event(make_app, ui_backend, ui_clock):
    manager = _actor(ui_backend, ui_clock)
    # three more events, then someone edits the second one behind the console's back
    for month in ("2026-08", "2026-09", "2026-10"):
        sign_off_access_review(ui_backend, manager, month, note="ok", clock=ui_clock)
    target = list_events(ui_backend, manager, clock=ui_clock,
                         action="access_log.signed_off").items[1].seq
    with ui_backend.store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_event SET detail = :d WHERE seq = :s"),
                     {"d": '{"month": "2026-09", "note": "edited", "scope": "001"}',
                      "s": target})
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        screen = await _open(pilot, "AU01")
        await pilot.press("v")
        await settle(pilot)
        verdict = screen.query_one(EventsPane).verdict
        assert not verdict.ok and verdict.first_bad_seq == target
        shown = text_of(screen.query_one("#audit-verdict"))
        assert verdict.problem == "EDITED"
        assert str(target) in shown and t("audit.problem.EDITED") in shown
        assert t("audit.verify_unanchored") in shown  # what the check could not see
        assert screen.query_one("#audit-verdict").has_class("-bad")
        assert any(verdict.problem in n for n in notifications(app))


async def test_verify_shows_a_cut_head_by_its_code(make_app, ui_backend, ui_clock):
    """The newest events deleted and the head moved back by SQL: the screen says so in words
    of its catalog (not UNEXPECTED, not intact)."""
    manager = _actor(ui_backend, ui_clock)
    for month in ("2026-08", "2026-09", "2026-10"):
        sign_off_access_review(ui_backend, manager, month, note="ok", clock=ui_clock)
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        # Signed in before the cut: a cut store refuses every audited use case, sign-in too.
        screen = await _open(pilot, "AU01")
        with ui_backend.store.engine.begin() as conn:
            last = conn.execute(sa.text("SELECT max(seq) FROM audit_event")).scalar()
            kept = conn.execute(sa.text("SELECT hash FROM audit_event WHERE seq = :s"),
                                {"s": last - 2}).scalar()
            conn.execute(sa.text("DELETE FROM audit_event WHERE seq > :s"), {"s": last - 2})
            conn.execute(sa.text("UPDATE audit_head SET seq = :s, hash = :h"),
                         {"s": last - 2, "h": kept})
        await pilot.press("v")
        await settle(pilot)
        verdict = screen.query_one(EventsPane).verdict
        assert not verdict.ok and verdict.problem == "HEAD_MISMATCH"
        assert verdict.first_bad_seq == last - 1
        shown = text_of(screen.query_one("#audit-verdict"))
        assert t("audit.problem.HEAD_MISMATCH") in shown
        assert screen.query_one("#audit-verdict").has_class("-bad")


def test_problem_words():
    from staff_console.domain.trail import ChainProblem
    from staff_console.i18n import language, set_language
    from staff_console.services.views import VerifyResult

    cut = VerifyResult(False, 9, 10, "TRUNCATED", (10, 14))
    assert problem_text(cut) == t("audit.problem.TRUNCATED", first=10, last=14)
    assert "10" in problem_text(cut) and "14" in problem_text(cut)
    edited = VerifyResult(False, 6, 7, "EDITED")
    assert problem_text(edited) == t("audit.problem.EDITED")
    assert problem_text(VerifyResult(False, 1, 2, "SOMETHING_NEW")) == "SOMETHING_NEW"
    assert problem_text(VerifyResult(True, 3, None, None)) == "-"
    previous = language()
    try:  # every code has words in both languages, and they differ
        for language in ("ko", "en"):
            set_language(language)
            for code in ChainProblem:
                words = problem_text(VerifyResult(False, 1, 2, code.value, (2, 3)))
                assert words != code.value and "{" not in words
    finally:
        set_language(previous)


async def test_access_review_sign_off_is_an_audit_event(make_app, ui_backend, ui_clock):
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "T001")
        await _browse(pilot, "홍길동")
        await pilot.press("f10")
        await settle(pilot)
        await sign_in(pilot, "M001")
        await pilot.press("f7")
        await settle(pilot)
        screen = app.screen
        assert t("keys.sign_off") not in footer_keys(screen)  # the events pane has the focus
        await pilot.press("ctrl+t")
        await settle(pilot)
        tabs = screen.query_one("#audit-tabs", TabbedContent)
        assert tabs.active == "tab-access"
        assert screen.query_one("#access-month", Input).value == "2026-11"
        assert screen.query_one(AccessPane).access_month == "2026-11"
        actions = {(e.actor, e.action) for e in screen.query_one(AccessPane).access}
        assert ("T001", "customer.search") in actions
        assert {e.category for e in screen.query_one(AccessPane).access} == {"access"}
        assert t("audit.not_signed", month="2026-11") in text_of(
            screen.query_one("#access-signed"))
        assert t("keys.sign_off") in footer_keys(screen)

        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, NoteModal)
        await type_text(pilot, "이상 없음")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen
        signed = text_of(screen.query_one("#access-signed"))
        assert "M001" in signed and "이상 없음" in signed
        assert t("audit.access_scope.branch", branch="001") in signed  # words, not the code
        assert any("2026-11" in n and t("audit.signed_done", month="2026-11",
                                         seq="")[:5] in n for n in notifications(app))
        # the events tab shows the sign-off, then the review's reload of the access log
        assert [e.action for e in screen.query_one(EventsPane).events[:2]] == ["access_log.view",
                                                         "access_log.signed_off"]

    manager = _actor(ui_backend, ui_clock)
    [event] = list_events(ui_backend, manager, clock=ui_clock,
                          action="access_log.signed_off").items
    head = event.detail.pop("head_seq"), event.detail.pop("head_hash")
    assert event.actor == "M001" and event.detail == {"month": "2026-11", "scope": "001",
                                                      "note": "이상 없음"}
    assert head[0] == event.seq - 1 and len(head[1]) == 64  # the head it signed


async def test_export_writes_the_events_shown(make_app, tmp_path, ui_backend, ui_clock):
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "M001")
        await _browse(pilot, "홍길동")
        app.open_customer("D0000001")
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        screen = app.screen
        screen.query_one("#filter-customer", Input).value = "d0000001"
        screen.query_one("#filter-customer", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        shown = [e.seq for e in screen.query_one(EventsPane).events]
        assert shown and all(e.customer_no == "D0000001" for e in screen.query_one(EventsPane).events)
        await pilot.press("e")
        await settle(pilot)
        [path] = list((tmp_path / "exports").glob("audit-events-*.csv"))
        assert any(str(path) in n for n in notifications(app))
        # the access-log tab exports too
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        [access_path] = list((tmp_path / "exports").glob("access-log-2026-11-*.csv"))

    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == CSV_HEADER
    assert [int(r[0]) for r in rows[1:]] == shown
    assert {r[6] for r in rows[1:]} == {"D0000001"}
    access_rows = list(csv.reader(access_path.read_text(encoding="utf-8-sig").splitlines()))
    assert access_rows[0] == CSV_HEADER and len(access_rows) > 1
    # each export is recorded as an export of what it wrote, naming the customers
    manager = _actor(ui_backend, ui_clock)
    exports = list_events(ui_backend, manager, clock=ui_clock, action="audit.export").items
    assert [e.detail["customers"] for e in exports] == [["D0000001"]]
    assert exports[0].detail["count"] == len(shown)
    access_exports = list_events(ui_backend, manager, clock=ui_clock,
                                 action="access_log.export").items
    assert [e.detail["count"] for e in access_exports] == [len(access_rows) - 1]


async def test_a_teller_has_no_audit_section_and_the_services_refuse(
        make_app, ui_backend, ui_clock):
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "T001")
        assert app.check_action("section", ("audit",)) is False
        assert t("keys.section.audit") not in footer_keys(app.screen)
        before = app.screen
        await pilot.press("f7")
        await settle(pilot)
        assert app.screen is before
        # reached anyway: the service refuses and the screen says so
        app.push_screen(AuditScreen())
        await settle(pilot)
        screen = app.screen
        assert screen.query_one(EventsPane).events == []
        assert t("audit.not_allowed") in text_of(screen.query_one("#audit-status"))
        assert screen.query_one(EventsPane).check_action("verify", ()) is False
        assert any(t("errors.FORBIDDEN") in n for n in notifications(app))
    teller = _actor(ui_backend, ui_clock, "T001")
    for call in (lambda: list_events(ui_backend, teller, clock=ui_clock),
                 lambda: access_log(ui_backend, teller, "2026-11", clock=ui_clock),
                 lambda: sign_off_access_review(ui_backend, teller, "2026-11", clock=ui_clock)):
        with pytest.raises(ConsoleError) as refused:
            call()
        assert refused.value.code == "FORBIDDEN"


async def test_an_admin_reads_and_verifies_but_has_no_access_review(make_app, ui_backend,
                                                                    ui_clock):
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        screen = await _open(pilot, "A0001")
        assert screen.query_one(EventsPane).events
        tabs = screen.query_one("#audit-tabs", TabbedContent)
        assert not tabs.get_tab("tab-access").display
        assert screen.query_one(AccessPane).check_action("sign_off", ()) is False
        assert screen.check_action("switch_tab", ()) is False
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert tabs.active == "tab-events"
        await pilot.press("v")
        await settle(pilot)
        verdict = screen.query_one(EventsPane).verdict
        assert verdict is not None and verdict.ok
    admin = _actor(ui_backend, ui_clock, "A0001")
    with pytest.raises(ConsoleError) as refused:
        sign_off_access_review(ui_backend, admin, "2026-11", clock=ui_clock)
    assert refused.value.code == "FORBIDDEN"


# ---------------------------------------------------------------- snapshots


async def _still(pilot) -> None:
    await settle(pilot)
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    pilot.app.clear_notifications()
    await pilot.pause()


@each_view
def test_snapshot_audit_events_after_verify(snap_compare, make_app, size, language):
    async def run_before(pilot):
        await sign_in(pilot, "M001")
        await _browse(pilot, "홍길동", "ㅎㅁㄱ")
        pilot.app.open_customer("D0000005")
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        await pilot.press("v")
        await _still(pilot)

    assert snap_compare(_app(make_app, language=language), terminal_size=size,
                        run_before=run_before)


@each_view
def test_snapshot_access_review_signed_off(snap_compare, make_app, size, language):
    async def run_before(pilot):
        await sign_in(pilot, "T001")
        await _browse(pilot, "홍길동", "5678")
        pilot.app.open_customer("D0000001")
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        await sign_in(pilot, "M001")
        await pilot.press("f7")
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await type_text(pilot, "이상 없음")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")
        await _still(pilot)

    assert snap_compare(_app(make_app, language=language), terminal_size=size,
                        run_before=run_before)


async def test_pages_of_events(make_app, monkeypatch):
    import staff_console.screens.audit_events as events_pane

    monkeypatch.setattr(events_pane, "PAGE", 2)
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "M001")
        await _browse(pilot, "홍길동", "ㄱㅊㅅ")
        await pilot.press("f7")
        await settle(pilot)
        screen = app.screen
        first = [e.seq for e in screen.query_one(EventsPane).events]
        assert len(first) == 2 and screen.query_one(EventsPane).has_more
        assert screen.query_one(EventsPane).check_action("page", (-1,)) is False  # not shown
        # Page down to the chain's first event (the manager's landing on 결재함, the search
        # and the view each left their access events): pages of 2, newest first, no gaps.
        pages = [first]
        while screen.query_one(EventsPane).has_more:
            await pilot.press("pagedown")
            await settle(pilot)
            page = [e.seq for e in screen.query_one(EventsPane).events]
            assert 1 <= len(page) <= 2 and max(page) == min(pages[-1]) - 1
            pages.append(page)
        last = pages[-1]
        assert last[-1] == 1 and len(pages) >= 2  # the chain's first event ends the last page
        assert t("audit.status", count=len(last), first=last[0], last=1, page=len(pages),
                 more="") in text_of(screen.query_one("#audit-status"))
        assert screen.query_one(EventsPane).check_action("page", (1,)) is False
        for _ in pages[1:]:
            await pilot.press("pageup")
            await settle(pilot)
        assert [e.seq for e in screen.query_one(EventsPane).events] == first


async def test_the_table_has_the_focus_after_a_slow_first_load(make_app, ui_backend, ui_clock,
                                                               monkeypatch):
    """Under load the loading indicator can show before the table's focus request is handled,
    and the tabs get the focus (seen in CI). Once the events are in, the table has it, so the
    arrow keys work at once."""
    import threading

    from textual.widgets._tabbed_content import ContentTabs

    from staff_console.services import audit_trail

    original = audit_trail.list_events
    release = threading.Event()

    def slow_list_events(*args, **kwargs):
        release.wait(10)  # held until the test has seen the loading indicator
        return original(*args, **kwargs)

    monkeypatch.setattr(audit_trail, "list_events", slow_list_events)
    app = _app(make_app)
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "M001")  # starts on the search screen
        await pilot.press("f7")
        table = app.screen.query_one("#audit-table", DataTable)
        await until(pilot, lambda: table.loading)
        tabs = app.screen.query_one(ContentTabs)
        app.set_focus(tabs)  # where the focus went in CI
        await pilot.pause()
        assert app.focused is tabs
        release.set()
        await settle(pilot)
        assert not table.loading and table.row_count > 0
        assert app.focused is table
        await pilot.press("down")
        assert table.cursor_row == 1


def _with_anchor_file(app, path):
    app.settings = replace(app.settings, audit_anchor_path=path)
    return app


async def test_the_app_signs_off_into_the_anchor_file_and_verifies_against_it(
        make_app, ui_backend, ui_clock, tmp_path):
    """The app's sign-off appends its signed head to the anchor file of the settings, and the
    app's verify checks that file: a later cut by someone holding the key is then named."""
    import json

    anchors = tmp_path / "trail.anchors"
    app = _with_anchor_file(_app(make_app), anchors)
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "M001")
        await pilot.press("f7")
        await settle(pilot)
        screen = app.screen
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("enter")  # no note
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        [line] = anchors.read_text().splitlines()
        anchor = json.loads(line)
        assert anchor["kind"] == "sign-off"
        assert (anchors.stat().st_mode & 0o777) == 0o600
        await pilot.press("ctrl+t")
        await settle(pilot)
        # Someone holding the key cuts back to before the signed head and re-signs the head.
        keyring = ui_backend.store.keyring
        keep = anchor["seq"] - 1
        with ui_backend.store.engine.begin() as conn:
            digest = conn.execute(sa.text("SELECT hash FROM audit_event WHERE seq = :s"),
                                  {"s": keep}).scalar()
            conn.execute(sa.text("DELETE FROM audit_event WHERE seq > :s"), {"s": keep})
            conn.execute(sa.text("UPDATE audit_head SET seq = :s, hash = :h, mac = :m"),
                         {"s": keep, "h": digest, "m": keyring.head_mac(keep, digest)})
        screen.query_one("#audit-table", DataTable).focus()
        await pilot.press("v")
        await settle(pilot)
        verdict = screen.query_one(EventsPane).verdict
        assert not verdict.ok and verdict.problem == "TRUNCATED"
        assert verdict.missing == (keep + 1, anchor["seq"])
        shown = text_of(screen.query_one("#audit-verdict"))
        assert t("audit.problem.TRUNCATED", first=keep + 1, last=anchor["seq"]) in shown
        assert t("audit.verify_anchored", anchors=1, seq=anchor["seq"]) in shown


async def test_a_sign_off_whose_anchor_cannot_be_written_says_so(make_app, ui_backend,
                                                                 tmp_path):
    app = _with_anchor_file(_app(make_app), tmp_path / "no-such-folder" / "trail.anchors")
    async with app.run_test(size=WIDE) as pilot:
        await sign_in(pilot, "M001")
        await pilot.press("f7")
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        for key in ("s", "enter", "y"):
            await pilot.press(key)
            await settle(pilot)
        assert any(t("audit.anchor_failed", error="")[:10] in n for n in notifications(app))
        assert any(t("audit.signed_done", month="2026-11", seq="")[:5] in n
                   for n in notifications(app))
