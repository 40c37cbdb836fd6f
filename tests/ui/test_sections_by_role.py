"""Sections in sight, by role (issue 15 item 5): who lands where after sign-in, and the header
that lists exactly the sections a role may open, with their keys, never running together at 80
or 120 columns (the person's name and the breadcrumb intact)."""

from __future__ import annotations

import pytest
from ui_pilot import settle, sign_in, text_of, until

from staff_console.i18n import t
from staff_console.screens.registry import SECTIONS, visible_sections
from staff_console.widgets.session_bar import SessionBar, Tab, Who, header_line, sections_line

SIZES = [(80, 24), (120, 40)]
# The demo's people (docs/demo.md) and what each may open.
EXPECTED = {
    "T001": ["search", "approvals", "matrix", "expiring"],
    "M001": ["search", "approvals", "delegation", "matrix", "expiring", "audit"],
    "AU01": ["search", "approvals", "matrix", "expiring", "audit"],
    "A0001": ["approvals", "matrix", "audit", "policy", "staff"],
}
NAMES = {"T001": "박창구", "M001": "김강남", "AU01": "최감사", "A0001": "관리자"}


def bar_lines(app) -> list[str]:
    return text_of(app.screen.query_one(SessionBar)).splitlines()


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
@pytest.mark.parametrize("who", sorted(EXPECTED))
async def test_the_header_lists_exactly_the_roles_sections(make_app, size, who):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await sign_in(pilot, who)
        await until(pilot, lambda: app.current_mode != "signin")
        await settle(pilot)
        assert [s.name for s in visible_sections(app.session)] == EXPECTED[who]
        head, tabs = bar_lines(app)
        shown = [s for s in SECTIONS if f"{s.key.upper()} " in tabs + " "]
        assert [s.name for s in shown] == EXPECTED[who], tabs
        # the current section is named in full, and on line 1 the breadcrumb and the person
        current = t(f"keys.section.{app.current_mode}")
        assert current in tabs
        title = app.screen.query_one(SessionBar).section_title
        assert title in head, head
        assert NAMES[who] in head, head
        # never run together: the name stands apart from what is left of it
        before = head[:head.index(NAMES[who])]
        assert before.endswith("  "), head
        if size[0] >= 120:  # wide: everything, the title and the employee number included
            assert t("app.title") in head and f"({who})" in head, head


@pytest.mark.parametrize("who, landing", [
    ("T001", "search"),  # a teller: the search
    ("AU01", "audit"),  # an auditor: the audit trail
    ("A0001", "staff"),  # an admin: the staff administration
])
async def test_landing_by_role(make_app, who, landing):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, who)
        await until(pilot, lambda: app.current_mode == landing,
                    what=lambda: f"{who} landed on {app.current_mode}")


async def test_a_manager_with_requests_lands_on_the_approvals(make_app, cases):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "M001")  # the demo has requests waiting at 001
        await until(pilot, lambda: app.current_mode == "approvals",
                    what=lambda: f"landed on {app.current_mode}")


async def test_a_manager_with_nothing_to_decide_lands_on_the_search(make_app, ui_backend):
    from staff_console.api.local import LocalConsole

    # Withdraw every pending request of the manager's branch: nothing waits for them.
    console = LocalConsole(ui_backend)
    console.sign_in("M001", "Demo12345!", terminal="test")
    waiting = console.list_approvals()
    assert waiting, "the demo should have requests waiting for M001"
    for request in waiting:
        console.reject_request(request.id, note="정리")
    assert console.count_approvals() == 0
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "M001")
        await until(pilot, lambda: app.current_mode == "search",
                    what=lambda: f"landed on {app.current_mode}")


async def test_the_pending_count_shows_beside_the_approvals_key(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "M001")
        await until(pilot, lambda: app.current_mode != "signin")
        await settle(pilot)
        app.pending_count = 3
        for bar in app.screen.query(SessionBar):
            bar.refresh_bar()
        await pilot.pause()
        tabs = bar_lines(app)[1]
        assert t("bar.pending", count=3) in tabs, tabs
        assert tabs.index("F3") < tabs.index(t("bar.pending", count=3)) < tabs.index("F4"), tabs
        app.pending_count = None
        for bar in app.screen.query(SessionBar):
            bar.refresh_bar()
        await pilot.pause()
        assert t("bar.pending", count=3) not in bar_lines(app)[1]


WHO = Who("김강남", "M001", "지점장", "001 지점", "2026-11-24")


@pytest.mark.parametrize("width", range(30, 131, 5))
@pytest.mark.parametrize("mark", [None, "훈련"])
def test_line_one_never_runs_together(width, mark):
    line = header_line(width, mark=mark, title="간편인증 관리 콘솔", section="고객 정보",
                       who=WHO).plain
    from rich.cells import cell_len

    assert cell_len(line) <= width, (width, line)
    if mark:
        assert mark in line  # never dropped
    left, _, right = line.rstrip().rpartition("  ")
    assert left.strip() and right.strip(), line  # two sides, a gap of two cells at least
    if width >= 60:
        assert "고객 정보" in line and "김강남" in line, line


def test_line_one_drops_in_the_stated_order():
    full = header_line(200, mark=None, title="콘솔", section="검색", who=WHO).plain
    assert all(x in full for x in ("콘솔", "검색", "김강남 (M001)", "지점장", "001 지점",
                                   "2026-11-24"))
    widths = {}
    for width in range(len(full) + 40, 10, -1):
        line = header_line(width, mark=None, title="콘솔", section="검색", who=WHO).plain
        for part, text in (("role", "지점장"), ("date", "2026-11-24"), ("title", "콘솔"),
                           ("employee_no", "(M001)")):
            if text not in line and part not in widths:
                widths[part] = width
    # dropped one after the other as the line narrows: role first, then date, title, number
    assert widths["role"] > widths["date"] > widths["title"] > widths["employee_no"], widths


def test_line_two_keeps_every_key():
    tabs = [Tab("F2", "고객 검색"), Tab("F3", "결재함", True, "결재 대기 12"),
            Tab("F4", "직무대행"), Tab("F5", "서비스표"), Tab("F6", "만료 예정"),
            Tab("F7", "감사")]
    for width in (40, 60, 80, 120):
        line = sections_line(width, tabs).plain
        for key in ("F2", "F3", "F4", "F5", "F6", "F7"):
            assert key in line, (width, line)
        assert "결재함" in line and "결재 대기 12" in line
    assert "직무대행" in sections_line(120, tabs).plain
