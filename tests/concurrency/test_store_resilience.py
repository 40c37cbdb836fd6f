"""Sessions, pooling and retries on PostgreSQL: a dead store is reported quickly as
STORE_UNAVAILABLE, a killed connection is replaced, a lost commit is never silently repeated, a
lock that is not granted does not hang the terminal, and the terminal works again as soon as
the store is back."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import sqlalchemy as sa
from helpers import CHEAP_ARGON2, TEST_KEY
from sqlalchemy import event

from staff_console.domain.errors import ConsoleError
from staff_console.domain.policy import Policy
from staff_console.services.backend import Backend
from staff_console.services.customer_search import search_customers
from staff_console.store.engine import Store, make_engine
from staff_console.store.keyring import Keyring

pytestmark = pytest.mark.pg  # (the dead-store test needs no server and runs everywhere)


def _store(url: str, **engine_kwargs) -> Store:
    return Store(make_engine(url, **engine_kwargs), Keyring(TEST_KEY))


def _admin(url: str):
    return sa.create_engine(url, isolation_level="AUTOCOMMIT")


def _terminate(url: str, pid: int) -> None:
    admin = _admin(url)
    with admin.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
    admin.dispose()


def _backend_pid(store: Store) -> int:
    return store.run(lambda s: s.execute(sa.text("SELECT pg_backend_pid()")).scalar())


def test_dead_store_is_reported_quickly():
    store = _store("postgresql+psycopg://postgres@127.0.0.1:1/nothing", connect_timeout=1)
    started = time.monotonic()
    with pytest.raises(ConsoleError) as info:
        store.run(lambda s: s.execute(sa.text("SELECT 1")).scalar())
    assert info.value.code == "STORE_UNAVAILABLE"
    assert "5 attempts" in info.value.message
    assert time.monotonic() - started < 5
    store.dispose()


def test_killed_pooled_connection_is_replaced(pg_database_url):
    # Busy terminal (no ping: the connection was used a moment ago): the first statement hits
    # the dead connection, Store.run retries on a new one.
    store = _store(pg_database_url)
    pid = _backend_pid(store)
    _terminate(pg_database_url, pid)
    assert _backend_pid(store) != pid
    # Idle terminal: the pool pings a connection that idled and replaces it before use.
    store_idle = _store(pg_database_url, ping_after_idle=0)
    attempts = []
    pid = _backend_pid(store_idle)
    _terminate(pg_database_url, pid)

    def work(s):
        attempts.append(1)
        return s.execute(sa.text("SELECT pg_backend_pid()")).scalar()

    assert store_idle.run(work) != pid
    assert len(attempts) == 1  # replaced at checkout: the use case ran once
    store.dispose()
    store_idle.dispose()


def test_connection_lost_mid_transaction_is_retried_once(pg_database_url):
    store = _store(pg_database_url)
    attempts = []

    def work(s):
        attempts.append(1)
        pid = s.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        if len(attempts) == 1:
            _terminate(pg_database_url, pid)
        return s.execute(sa.text("SELECT 42")).scalar()

    assert store.run(work) == 42
    assert len(attempts) == 2
    store.dispose()


def test_connection_lost_at_commit_is_not_repeated(pg_database_url):
    store = _store(pg_database_url)
    attempts = []

    @event.listens_for(store.engine, "commit")
    def _kill_before_commit(conn):
        _terminate(pg_database_url, conn.exec_driver_sql("SELECT pg_backend_pid()").scalar())

    def work(s):
        attempts.append(1)
        return s.execute(sa.text("SELECT 1")).scalar()

    with pytest.raises(ConsoleError) as info:
        store.run(work)
    assert info.value.code == "STORE_UNAVAILABLE"
    assert "outcome is unknown" in info.value.message
    assert len(attempts) == 1
    store.dispose()


@pytest.mark.parametrize("db_url", ["pg"], indirect=True)
def test_lock_not_granted_gives_a_clear_error_then_works(world):
    b = world.backend
    url = b.store.engine.url.render_as_string(hide_password=False)
    impatient = Backend(store=Store(make_engine(url, lock_timeout_ms=200), Keyring(TEST_KEY),
                                    attempts=2, backoff=0.05),
                        policy=Policy(), **CHEAP_ARGON2)
    from helpers import register

    from staff_console.services.requests import approve_request

    intake = register(world)
    holder = b.store.engine.connect()
    holder.begin()
    holder.execute(sa.text("SELECT id FROM customer WHERE customer_no = 'C001' FOR UPDATE"))
    started = time.monotonic()
    with pytest.raises(ConsoleError) as info:
        approve_request(impatient, world.manager, intake.request_id, clock=world.clock)
    assert info.value.code == "STORE_UNAVAILABLE"
    assert time.monotonic() - started < 5
    holder.rollback()
    holder.close()
    assert approve_request(impatient, world.manager, intake.request_id,
                           clock=world.clock).status == "approved"
    impatient.store.dispose()


class _Proxy:
    """A TCP proxy in front of PostgreSQL that can be switched off and on: a store that goes
    away and comes back, without touching the real server."""

    def __init__(self, target_port: int = 5432) -> None:
        self.target = ("127.0.0.1", target_port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def up(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def down(self) -> None:
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        except OSError:
            pass
        self.listener.close()
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.close()
                except OSError:
                    pass


@pytest.mark.parametrize("db_url", ["pg"], indirect=True)
def test_terminal_recovers_when_the_store_comes_back(world):
    b = world.backend
    url = sa.engine.make_url(b.store.engine.url.render_as_string(hide_password=False))
    proxy = _Proxy(url.port or 5432)
    proxy.up()
    via_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    terminal = Backend(store=Store(make_engine(via_proxy, connect_timeout=1), Keyring(TEST_KEY)),
                       policy=Policy(), **CHEAP_ARGON2)
    try:
        assert search_customers(terminal, world.teller, "홍", clock=world.clock).items
        proxy.down()
        started = time.monotonic()
        with pytest.raises(ConsoleError) as info:
            search_customers(terminal, world.teller, "홍", clock=world.clock)
        assert info.value.code == "STORE_UNAVAILABLE"
        assert time.monotonic() - started < 5
        proxy.up()
        # The pool's dead connections are replaced; the very next call works.
        assert search_customers(terminal, world.teller, "홍", clock=world.clock).items
    finally:
        terminal.store.dispose()
        proxy.down()
