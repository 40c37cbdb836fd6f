"""The live 결재함 follows a delegation (issue 15.6): a delegation granted at the manager's
terminal gives its delegate a count within 2 s, and ending it takes the count away; the
delegate's console resumes its stream where it was after a dropped connection; a session the
server ends for its lifetime signs the console out and the end is in the audit trail.
Embedded (another backend on the same SQLite file, as another terminal's process) and as a
terminal of a live console server (SQLite; PostgreSQL with -m pg)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers import CHEAP_ARGON2, PASSWORD, TEST_KEY
from live_server import SITE_BACKENDS, Site, make_site
from ui_pilot import notifications, settle, sign_in, until

from staff_console.api.local import LocalConsole
from staff_console.app import StaffConsoleApp
from staff_console.demo import DEMO_PASSWORD
from staff_console.domain.policy import Policy
from staff_console.i18n import t
from staff_console.services import sessions
from staff_console.services.backend import Backend
from staff_console.settings import Settings
from staff_console.store.engine import Store, make_engine
from staff_console.store.keyring import Keyring
from staff_console.store.sessions import STAFF_SESSION
from staff_console.store.tables import AUDIT_EVENT

WITHIN_S = 2.0  # the promise, from the other terminal's commit


def _sealed(engine, *where) -> list:
    """The `staff.session_ended` events (on PostgreSQL the server's sealer chains an event
    into the trail just after its commit: wait for it a moment)."""
    query = sa.select(AUDIT_EVENT.c.actor, AUDIT_EVENT.c.detail).where(
        AUDIT_EVENT.c.action == "staff.session_ended", *where)
    deadline = time.monotonic() + WITHIN_S
    while True:
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


async def _within(pilot, condition, what: str, timeout: float = WITHIN_S) -> None:
    await until(pilot, condition, timeout=timeout, what=lambda: what)


@pytest.fixture
def manager_elsewhere(ui_backend, ui_clock) -> Iterator[LocalConsole]:
    """The branch manager at another terminal on the same store file."""
    backend = Backend(store=Store(make_engine(str(ui_backend.store.engine.url)),
                                  Keyring(TEST_KEY)),
                      policy=Policy(), clock=ui_clock, **CHEAP_ARGON2)
    console = LocalConsole(backend)
    console.sign_in("M001", DEMO_PASSWORD, terminal="desk-M001")
    yield console
    backend.store.dispose()


async def test_embedded_a_delegates_count_appears_within_2_s_of_the_grant(
        make_app, manager_elsewhere, ui_clock):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "T003")
        await settle(pilot)
        assert app.live.running and app.pending_count is None
        now = ui_clock.now()
        granted = await asyncio.to_thread(
            manager_elsewhere.grant_delegation, delegate_employee_no="T003",
            valid_from=now - timedelta(minutes=1), valid_until=now + timedelta(hours=1))
        await _within(pilot, lambda: app.pending_count is not None,
                      "no count for the delegate")
        count = app.pending_count
        assert count is not None and count >= 1  # 001's pending
        await _within(pilot, lambda: t("live.pending", count=count) in notifications(app),
                      f"the delegate was not told: {notifications(app)}")
        await asyncio.to_thread(manager_elsewhere.end_delegation, granted.id)
        await _within(pilot, lambda: app.pending_count is None,
                      f"the count stayed {app.pending_count}")


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


async def test_client_mode_a_delegates_count_appears_within_2_s_and_survives_a_drop(
        site, tmp_path):
    """Through the server's stream: the grant gives the count; the stream's connection is cut
    and a request of the branch is made meanwhile: the resumed stream brings it (no reload of
    the lists, no 'reconnected' for a routine reconnection); the end takes the count away."""
    app = _client_app(site, tmp_path)
    manager = site.signed_in("M001")
    granted = None
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await _client_sign_in(pilot, app, "T002")
            await settle(pilot)
            assert app.live.running and app.pending_count is None
            now = site.store_backend().clock.now()
            granted = await asyncio.to_thread(
                manager.grant_delegation, delegate_employee_no="T002",
                valid_from=now - timedelta(minutes=1), valid_until=now + timedelta(hours=1))
            await _within(pilot, lambda: app.pending_count is not None,
                          "no count for the delegate")
            before = app.pending_count
            assert before is not None

            stream = app.live.watch
            connection = getattr(stream, "_connection", None)
            assert connection is not None and connection.sock is not None
            connection.sock.shutdown(socket.SHUT_RDWR)  # the connection drops
            teller = site.signed_in("T001")
            made = await asyncio.to_thread(teller.request_revocation, customer_no="C002",
                                           channel="mts", reason="customer_request",
                                           note="gap")
            await _within(pilot, lambda: app.pending_count == before + 1,
                          f"the count stayed {app.pending_count}", timeout=WITHIN_S + 1.5)
            assert app.live.watch is stream and stream.running  # the same stream, resumed
            assert t("live.reconnected") not in notifications(app)
            await asyncio.to_thread(teller.withdraw_request, made.id)

            await asyncio.to_thread(manager.end_delegation, granted.id)
            granted = None
            await _within(pilot, lambda: app.pending_count is None,
                          f"the count stayed {app.pending_count}")
    finally:
        if granted is not None:
            manager.end_delegation(granted.id)
        app.close_backend()


async def test_client_mode_a_session_past_its_lifetime_signs_out_and_is_recorded(
        site, tmp_path):
    app = _client_app(site, tmp_path)
    engine = site.store_backend().store.engine
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await _client_sign_in(pilot, app, "AU01")
            await settle(pilot)
            assert app.live.running
            digest = sessions.token_hash(app.api.session_token())
            mine = STAFF_SESSION.c.token_hash == digest
            with engine.begin() as conn:
                created = conn.execute(sa.select(STAFF_SESSION.c.created_at)
                                       .where(mine)).scalar_one()
                conn.execute(sa.update(STAFF_SESSION).where(mine)
                             .values(created_at=created - timedelta(hours=25)))
            await _within(pilot, lambda: app.session is None, "still signed in")
            await _within(pilot, lambda: any(t("live.session_ended", code="SESSION_ENDED")
                                             == n for n in notifications(app)),
                          f"not told: {notifications(app)}")
            await asyncio.to_thread(app.signed_out.wait, 5)
    finally:
        app.close_backend()
    ended = _sealed(engine, AUDIT_EVENT.c.actor == "AU01")
    with engine.connect() as conn:
        reason = conn.execute(sa.select(STAFF_SESSION.c.end_reason).where(mine)).scalar_one()
    assert len(ended) == 1, ended
    assert reason == "lifetime"
