"""The live 결재함 (issue 15 item 6): a manager's count of the requests they may decide follows
a request made at another terminal within 2 s, with a notification; the maker hears that their
request was decided; the watch ends at sign-out and at the lock. Embedded (a second backend on
the same SQLite file: another connection, as another terminal's process would be) and as a
terminal of a live console server (its event stream)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from helpers import CHEAP_ARGON2, PASSWORD, TEST_KEY
from live_server import SITE_BACKENDS, Site, make_site
from ui_pilot import notifications, settle, sign_in, until

from staff_console.api.local import LocalConsole
from staff_console.app import StaffConsoleApp
from staff_console.demo import DEMO_PASSWORD
from staff_console.domain.policy import Policy
from staff_console.i18n import t
from staff_console.screens.approvals import ApprovalsScreen
from staff_console.services.backend import Backend
from staff_console.settings import Settings
from staff_console.store.engine import Store, make_engine
from staff_console.store.keyring import Keyring
from staff_console.widgets import format as fmt

WITHIN_S = 2.0  # the promise, from the other terminal's commit


def _watch_threads() -> list[threading.Thread]:
    return [th for th in threading.enumerate()
            if th.name in ("store-watch", "event-stream") and th.is_alive()]


@pytest.fixture
def other_terminal(ui_backend, ui_clock) -> Iterator:
    """Consoles of another terminal on the same store file: a backend (an engine, its own
    connections) of its own, as another process would have."""
    made: list[Backend] = []

    def open_as(employee_no: str) -> LocalConsole:
        backend = Backend(store=Store(make_engine(str(ui_backend.store.engine.url)),
                                      Keyring(TEST_KEY)),
                          policy=Policy(), clock=ui_clock, **CHEAP_ARGON2)
        made.append(backend)
        console = LocalConsole(backend)
        console.sign_in(employee_no, DEMO_PASSWORD, terminal=f"desk-{employee_no}")
        return console

    yield open_as
    for backend in made:
        backend.store.dispose()


async def _within(pilot, condition, what: str, timeout: float = WITHIN_S) -> None:
    await until(pilot, condition, timeout=timeout, what=lambda: what)


async def test_a_request_made_elsewhere_reaches_the_managers_count_and_a_notification(
        make_app, cases, other_terminal):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "M001")
        await until(pilot, lambda: app.pending_count is not None, what="no first count")
        before = app.pending_count
        assert before is not None and before >= 1  # the demo's pending requests of 001
        assert app.live.running

        teller = other_terminal("T001")
        made = await asyncio.to_thread(teller.request_revocation,
                                       customer_no=cases["both_active"], channel="web",
                                       reason="customer_request", note="live")
        expected = t("live.arrived", kind=fmt.kind("revocation"), count=1)
        await _within(pilot, lambda: app.pending_count == before + 1,
                      f"the count stayed {app.pending_count}")
        await _within(pilot, lambda: expected in notifications(app), "no notification")
        assert made.status == "pending"

        # Every mounted SessionBar was asked to show it; the open 결재함 reloads its list.
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ApprovalsScreen)
        assert made.id in [r.id for r in screen.approvals]

        # A decision by someone else (a delegate would do; here the request is withdrawn by
        # its maker) takes it off the count and off the open list.
        await asyncio.to_thread(teller.withdraw_request, made.id)
        await _within(pilot, lambda: app.pending_count == before,
                      f"the count stayed {app.pending_count}")
        await _within(pilot, lambda: made.id not in [r.id for r in screen.approvals],
                      "the open 결재함 kept the withdrawn request")
        # The count only grew once: one notification of arrival.
        assert notifications(app).count(expected) == 1


async def test_an_active_delegate_is_counted_and_told_like_the_manager(
        make_app, cases, other_terminal, ui_clock):
    """직무대행: a teller with an active delegation of 001 sees the count and hears of a new
    request of 001; another teller of the branch (no delegation) sees no count."""
    now = ui_clock.now()
    manager = other_terminal("M001")
    await asyncio.to_thread(manager.grant_delegation, delegate_employee_no="D001",
                            valid_from=now - timedelta(hours=1),
                            valid_until=now + timedelta(hours=2))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "D001")
        await until(pilot, lambda: app.pending_count is not None, what="no count for D001")
        before = app.pending_count
        assert before is not None and before >= 1
        teller = other_terminal("T002")
        await asyncio.to_thread(teller.request_revocation, customer_no=cases["both_active"],
                                channel="web", reason="customer_request", note="deputy")
        await _within(pilot, lambda: app.pending_count == before + 1,
                      f"the count stayed {app.pending_count}")
        expected = t("live.arrived", kind=fmt.kind("revocation"), count=1)
        await _within(pilot, lambda: expected in notifications(app), "no notification")

        await pilot.press("f10")
        await settle(pilot)
        await sign_in(pilot, "T003")
        await settle(pilot)
        assert app.live.running and app.pending_count is None


async def test_the_maker_hears_that_the_request_was_decided(make_app, cases, other_terminal):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "T001")
        await settle(pilot)
        assert app.live.running
        assert app.pending_count is None  # a teller decides nothing: no count shown

        manager = other_terminal("M001")
        pending = [r for r in await asyncio.to_thread(manager.list_approvals)
                   if r.customer_no == cases["pending_revocation"]]
        assert [r.maker for r in pending] == ["T001"]
        decided = await asyncio.to_thread(manager.approve_request, pending[0].id)
        expected = t("live.decided", id=decided.id, kind=fmt.kind("revocation"),
                     status=fmt.request_status("approved"))
        await _within(pilot, lambda: expected in notifications(app), "the maker was not told")
        assert app.pending_count is None


async def test_the_watch_ends_at_sign_out_and_at_the_lock(make_app, other_terminal, cases):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "M001")
        await until(pilot, lambda: app.pending_count is not None, what="no first count")
        first = app.live.watch
        assert first is not None and first.running and _watch_threads()

        await pilot.press("ctrl+l")  # the lock: a locked console learns nothing
        await settle(pilot)
        await _within(pilot, lambda: not first.running, "the watch outlived the lock")
        assert app.live.watch is None

        await pilot.press(*DEMO_PASSWORD, "enter")  # unlock: watching again
        await settle(pilot)
        second = app.live.watch
        assert second is not None and second is not first
        await _within(pilot, lambda: second.running, "no watch after the unlock")

        count = app.pending_count
        await pilot.press("f10")  # sign-out: the thread is gone, the count forgotten
        await settle(pilot)
        await _within(pilot, lambda: not second.running, "the watch outlived the sign-out")
        assert app.live.watch is None and app.pending_count is None
        await _within(pilot, lambda: not _watch_threads(), "a watch thread is still alive")

        # What happens after the sign-out reaches nobody (not the next person at the desk).
        teller = other_terminal("T001")
        await asyncio.to_thread(teller.request_revocation, customer_no=cases["both_active"],
                                channel="web", reason="customer_request", note="after")
        await asyncio.sleep(1.0)  # two of the watch's looks, had it still been running
        await settle(pilot)
        assert app.pending_count is None and count is not None
        assert not any(n == t("live.arrived", kind=fmt.kind("revocation"), count=1)
                       for n in notifications(app))


async def test_reconnections_read_the_list_only_when_something_may_have_been_missed(make_app):
    """A stream reconnects every few minutes by design: the open 결재함 is not read again
    then (a list is the person's call on the server) unless the count moved; after an outage
    it is, and the person is told of the outage and of the return. An event of an older watch
    reaches nobody."""
    from staff_console.api.events import Event
    from staff_console.screens.live import LiveEvent

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "M001")
        await until(pilot, lambda: app.pending_count is not None, what="no first count")
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ApprovalsScreen)
        reloads: list[int] = []
        screen.action_reload = lambda: reloads.append(1)  # type: ignore[method-assign]
        generation = app.live.generation

        app.post_message(LiveEvent(generation, Event("ready", None, {})))
        await settle(pilot)
        assert reloads == []

        app.post_message(LiveEvent(generation, Event("disconnected", None, {})))
        app.post_message(LiveEvent(generation, Event("ready", None, {})))
        await settle(pilot)
        assert reloads == [1]
        shown = notifications(app)
        assert t("live.disconnected") in shown and t("live.reconnected") in shown

        stale = {"request_id": 99, "kind": "revocation", "status": "approved"}
        app.post_message(LiveEvent(generation - 1, Event("request.decided", 1, stale)))
        await settle(pilot)
        assert not any("#99" in n for n in notifications(app)) and reloads == [1]


# -- as a terminal of a live console server -----------------------------------------------------

@pytest.fixture(scope="module", params=[pytest.param(kind, marks=pytest.mark.pg)
                                        if kind == "pg" else kind for kind in SITE_BACKENDS])
def site(request, tmp_path_factory) -> Iterator[Site]:
    for made in make_site(request.param, tmp_path_factory.mktemp("live-site")):
        made.start()
        yield made


def _client_app(site: Site, home: Path) -> StaffConsoleApp:
    settings = Settings(home=home, server=site.url, server_allow_http=True, language="ko")
    app = StaffConsoleApp(settings)
    app.animation_level = "none"
    return app


async def _client_sign_in(pilot, app: StaffConsoleApp, employee_no: str) -> None:
    await until(pilot, app._backend_ready.is_set, what="the console did not open")
    await sign_in(pilot, employee_no, PASSWORD)
    await until(pilot, lambda: app.session is not None, what="no sign-in")


async def test_client_mode_the_managers_count_follows_the_servers_stream(site, tmp_path):
    app = _client_app(site, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await _client_sign_in(pilot, app, "M001")
        await until(pilot, lambda: app.pending_count is not None, what="no first count")
        before = app.pending_count
        assert before is not None
        assert [th.name for th in _watch_threads()] == ["event-stream"]

        teller = site.signed_in("T001")
        made = await asyncio.to_thread(teller.request_revocation, customer_no="C002",
                                       channel="mts", reason="customer_request", note="live")
        expected = t("live.arrived", kind=fmt.kind("revocation"), count=1)
        await _within(pilot, lambda: app.pending_count == before + 1,
                      f"the count stayed {app.pending_count}")
        await _within(pilot, lambda: expected in notifications(app), "no notification")

        await asyncio.to_thread(teller.withdraw_request, made.id)
        await _within(pilot, lambda: app.pending_count == before,
                      f"the count stayed {app.pending_count}")

        stream = app.live.watch
        await pilot.press("f10")
        await settle(pilot)
        assert stream is not None
        await _within(pilot, lambda: not stream.running, "the stream outlived the sign-out")
        assert app.pending_count is None
    app.close_backend()


async def test_client_mode_the_maker_hears_the_decision(site, tmp_path):
    app = _client_app(site, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await _client_sign_in(pilot, app, "T001")
        await settle(pilot)
        assert app.pending_count is None and app.live.running
        made = await asyncio.to_thread(app.api.request_revocation, customer_no="C001",
                                       channel="web", reason="customer_request", note="live")
        manager = site.signed_in("M001")
        await asyncio.to_thread(manager.reject_request, made.id, note="no")
        expected = t("live.decided", id=made.id, kind=fmt.kind("revocation"),
                     status=fmt.request_status("rejected"))
        await _within(pilot, lambda: expected in notifications(app), "the maker was not told")
    app.close_backend()


def test_the_count_is_not_the_persons_activity_on_the_server(site):
    """The live count is asked whenever an event arrives: it must not keep a session awake
    (the server's idle lock holds), unlike any call the person makes."""
    import sqlalchemy as sa

    from staff_console.store.sessions import STAFF_SESSION

    console = site.remote()
    console.sign_in("M001", PASSWORD, terminal="quiet-count")
    mine = STAFF_SESSION.c.terminal == "quiet-count"
    engine = site.store_backend().store.engine

    def last_seen() -> datetime:
        with engine.connect() as conn:
            return conn.execute(sa.select(STAFF_SESSION.c.last_seen_at).where(mine)).scalar_one()

    earlier = last_seen() - timedelta(minutes=2)  # past the touch's 30 s, within the idle lock
    with engine.begin() as conn:
        conn.execute(sa.update(STAFF_SESSION).where(mine).values(last_seen_at=earlier))
    assert console.count_approvals() is not None
    assert last_seen() == earlier
    console.list_branches()  # the person's own call is activity
    assert last_seen() > earlier
    console.sign_out()


def test_the_embedded_watch_on_the_sites_store(site):
    """The embedded console's watch on the site's store (SQLite: the data version; on
    PostgreSQL with -m pg: the feed's head): a request made through the server reaches a
    watching manager within 2 s, and nothing about another branch does."""
    import queue

    manager = site.local("M001")
    events: queue.Queue = queue.Queue()
    watch = manager.watch(events.put)
    try:
        assert events.get(timeout=WITHIN_S).kind == "ready"
        other_branch = site.signed_in("T201")
        elsewhere = other_branch.request_revocation(customer_no="C003", channel="mts",
                                                    reason="customer_request", note="002")
        teller = site.signed_in("T002")
        made = teller.request_revocation(customer_no="C002", channel="mts",
                                         reason="lost_device", note="watch")
        deadline = time.monotonic() + WITHIN_S
        seen = []
        while time.monotonic() < deadline and made.id not in [e.data.get("request_id")
                                                              for e in seen]:
            try:
                seen.append(events.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                break
        arrived = [e for e in seen if e.kind == "request.arrived"]
        assert [e.data["request_id"] for e in arrived] == [made.id], seen
        assert elsewhere.id not in [e.data.get("request_id") for e in seen]
        teller.withdraw_request(made.id)
        other_branch.withdraw_request(elsewhere.id)
    finally:
        watch.stop()
    assert not watch.running


async def test_client_mode_an_admins_lock_ends_the_console_session(site, tmp_path):
    """The server ends the session (an admin locked the member): the console learns it from
    the stream, signs out and says why on the sign-in screen."""
    app = _client_app(site, tmp_path)
    admin = site.signed_in("A0001")
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await _client_sign_in(pilot, app, "T002")
            await settle(pilot)
            assert app.live.running
            await asyncio.to_thread(admin.lock_staff, "T002")
            await _within(pilot, lambda: app.session is None, "still signed in",
                          timeout=WITHIN_S + 1.0)
            await _within(pilot, lambda: any(t("live.session_ended", code="SESSION_ENDED")
                                             == n for n in notifications(app)),
                          f"not told: {notifications(app)}")
            assert app.live.watch is None and app.current_mode == "signin"
    finally:
        admin.unlock_staff("T002")
        app.close_backend()
