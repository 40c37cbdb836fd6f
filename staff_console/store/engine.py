"""Engine, pool and transactions: how many terminals share one store safely.

Every use case runs as one function in one transaction through `Store.run`, which retries the
whole function on transient failures (PostgreSQL serialization failures, deadlocks and lock
timeouts, SQLite busy, a dropped or refused connection) with jittered exponential backoff, and
turns a store that stays unreachable into ConsoleError STORE_UNAVAILABLE (bounded by `attempts`
and by `retry_window` seconds, so a terminal never hangs on a dead store: it shows the error and
the next call, once the store is back, works again: pre-ping replaces dead pooled connections).

Concurrency design (the same on both databases, chosen for correctness first, then speed):

* PostgreSQL runs at READ COMMITTED with explicit row locks, taken in one fixed order in every
  use case: staff row (sign-in only), customer row, request row, credential rows. The customer
  row is the per-customer mutex for everything that changes that customer's credentials and
  requests (intake, logins, revocation requests, decisions), so two terminals acting on one
  customer queue, and the second one re-reads what the first one committed (READ COMMITTED
  takes a fresh snapshot per statement, and a locked row is re-read after the wait): a second
  approval sees ALREADY_DECIDED, a second intake sees the pending request. One order means no
  waits-for cycle between use cases. A deadlock can still come from outside that order (the
  expiry batch locks credentials by id); PostgreSQL detects it (40P01) and `Store.run` retries.
  Why not SERIALIZABLE: the conflicts here are real write-write conflicts on few hot rows (one
  request, one customer, the audit head); under SSI they would abort and retry instead of
  queueing, which costs more and is less predictable, and every service would have to be
  written for retries anyway. Why not advisory locks: a row lock is tied to the row the
  transaction changes, cannot be forgotten by a code path that updates the row, and is
  released by the server with the transaction, also when the client dies.
* The invariants do not rest on the locks alone: partial unique indexes (store/tables.py)
  `uq_credential_current` (one active-or-locked credential per customer and channel) and
  `uq_request_pending` (one pending request per customer, channel and kind) make the database
  refuse a second row whatever the interleaving; `audit_event.seq` is the primary key.
* The audit chain: the single `audit_head` row is locked to extend it; on PostgreSQL outside
  the use case's transaction, in batches (store/audit_postgres.py explains the outbox and the
  seal, store/sealer.py the console's background sealer).
* SQLite (one terminal, the demo, or a few terminals sharing one file): WAL, `BEGIN IMMEDIATE`
  for every transaction that may write (nearly every use case writes the audit trail, and
  taking the write lock up front avoids the deadlock of two readers upgrading), and a busy
  timeout so that terminals sharing the file queue instead of failing. SQLite thus runs
  writers one at a time. A run that writes nothing at all (`Store.run(snapshot=True)`: the
  server's event polls, the hash a sign-in verifies, a channel key) reads a WAL snapshot under
  a plain `BEGIN`, neither waiting for the write lock nor holding it.

Sessions and pooling (PostgreSQL): a bounded QueuePool per process (`pool_size` +
`max_overflow`, waiting at most `pool_timeout` s for a free connection), a pre-ping of
connections that idled more than `ping_after_idle` s so a connection the server or a network
device closed is replaced at checkout (a busy connection is not pinged: that would cost a
round trip per use case), `pool_recycle`, a `connect_timeout`, and server-side
`lock_timeout` (a lock wait never hangs a terminal) and `idle_in_transaction_session_timeout`
(a client that stalls inside a transaction cannot hold its locks for long). Transactions are
short: no use case waits for a person inside one.

A lost connection during COMMIT is not retried: the commit may or may not have happened, so
the caller gets STORE_UNAVAILABLE saying the outcome is unknown (reload and look before doing
it again) instead of a silent second execution.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from ..domain.errors import ConsoleError
from ..files import private_sqlite
from .audit import NEEDS_SEAL, SEAL_LATER, durable_flush, seal_pending
from .failures import brief, classify, is_disconnect, sqlstate_of
from .keyring import Keyring
from .prepared import keep_prepared_statements
from .sealer import DEFAULT_LINGER_S, BackgroundSealer
from .tables import postgresql_options

T = TypeVar("T")
log = logging.getLogger(__name__)

# What a use case's work receives from `Store.run`: a Core connection inside the transaction.
# (No ORM session: the statements are SQLAlchemy Core, and `sqlalchemy.orm` is never loaded.)
Tx = Connection

# SQLSTATEs after which the whole transaction can simply run again: serialization_failure,
# deadlock_detected, lock_not_available (our lock_timeout), and the connection failures.
_RETRY_SQLSTATES = {"40001", "40P01", "55P03"}
# What a store that stopped answering raises (every statement, the seal's too, goes through
# SQLAlchemy, which wraps the driver's errors).
_STORE_FAILURES: tuple[type[BaseException], ...] = (DBAPIError, PoolTimeoutError)

# Defaults for PostgreSQL connections (each overridable by make_engine's arguments; values
# already in the URL's query string win).
DEFAULT_CONNECT_TIMEOUT_S = 5
DEFAULT_LOCK_TIMEOUT_MS = 10_000
DEFAULT_IDLE_IN_TRANSACTION_MS = 60_000
DEFAULT_PING_AFTER_IDLE_S = 5.0


def make_engine(
    url: str,
    *,
    pool_size: int = 5,
    max_overflow: int = 5,
    pool_timeout: float = 10,
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT_S,
    lock_timeout_ms: int | None = DEFAULT_LOCK_TIMEOUT_MS,
    idle_in_transaction_ms: int | None = DEFAULT_IDLE_IN_TRANSACTION_MS,
    application_name: str = "staff-console",
    ping_after_idle: float = DEFAULT_PING_AFTER_IDLE_S,
) -> Engine:
    """An engine for one process. A terminal needs one or two connections; the defaults
    (5 + 5 overflow) leave room for the UI's background work. With many terminals, size
    PostgreSQL's max_connections for terminals x (pool_size + max_overflow)."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            hide_parameters=True,  # no names, phones or ID hashes in exception messages
        )
        _configure_sqlite(engine)
        return engine
    postgresql_options()  # the partial indexes' PostgreSQL form (store/tables.py)
    parsed = sa.engine.make_url(url)
    connect_args: dict = {}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = connect_timeout
    if "application_name" not in parsed.query:
        connect_args["application_name"] = application_name
    if parsed.get_driver_name() == "psycopg":
        connect_args["prepare_threshold"] = PREPARE_THRESHOLD
    if "options" not in parsed.query:
        options = []
        if lock_timeout_ms:
            options.append(f"-c lock_timeout={int(lock_timeout_ms)}")
        if idle_in_transaction_ms:
            options.append(
                f"-c idle_in_transaction_session_timeout={int(idle_in_transaction_ms)}"
            )
        if options:
            connect_args["options"] = " ".join(options)
    engine = sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_recycle=1800,
        connect_args=connect_args,
        hide_parameters=True,  # no names, phones or ID hashes in exception messages
    )
    _ping_idle_connections(engine, ping_after_idle)
    keep_prepared_statements(engine)
    return engine


# psycopg prepares a statement on the server once a connection has run it this many times
# (its default is 5). A terminal runs a few dozen statements over and over, and a person at it
# makes a few calls a minute spread over the pooled connections: at 5 a statement would go
# unprepared, parsed and planned anew, for most of the morning. A statement run twice is one
# of those (store/prepared.py keeps them through rollbacks).
PREPARE_THRESHOLD = 1


def _ping_idle_connections(engine: Engine, after: float) -> None:
    """Pre-ping, but only connections that sat idle in the pool for more than `after` seconds.

    SQLAlchemy's `pool_pre_ping` costs a round trip on every checkout, i.e. on every use case;
    a busy terminal's connection was used a moment ago and is alive. A connection that idled (a
    terminal nobody touched, a server restart, a firewall dropping idle sessions) is pinged and,
    if dead, replaced before the use case starts. A connection that dies between the ping and
    the use case shows up as a disconnect inside `Store.run`, which retries on a new connection.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since <= after:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - any failure: the pool replaces the connection
            raise sa.exc.DisconnectionError("connection was dead after idling") from exc


def _configure_sqlite(engine: Engine) -> None:
    database = engine.url.database or ""
    if database not in ("", ":memory:") and not database.startswith("file:"):
        path = database

        @event.listens_for(engine, "do_connect")
        def _private_file(_dialect, _record, _cargs, _cparams):
            # Before the driver opens the file, so a new store is 0600 from its first byte
            # (SQLite gives -wal and -shm the same mode) and an existing one is tightened.
            private_sqlite(path)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event issue the BEGIN, so it can be IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Reads at 1M customers (a ~1 GB file): map the file instead of read() into a 2 MB
        # cache. A search's first page touches ~50 random table pages; mapped, a page that is
        # in the OS cache costs a memory access instead of a system call and a copy (measured:
        # the birth-date query 0.65 -> 0.22 ms p50, 1.5-2.4 -> 0.4 ms p95). Writes still go
        # through the WAL; SQLite caps the size at its compile-time limit.
        cursor.execute("PRAGMA mmap_size=2147418112")
        cursor.execute("PRAGMA cache_size=-16384")  # 16 MiB of page cache per connection
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        snapshot = conn.get_execution_options().get(_SNAPSHOT, False)
        conn.exec_driver_sql("BEGIN" if snapshot else "BEGIN IMMEDIATE")


_SNAPSHOT = "staff_console_snapshot"  # a connection's execution option: Store.run(snapshot=True)


class SnapshotWrite(RuntimeError):
    """A `Store.run(snapshot=True)` wrote: a defect of the code that called it (rolled back)."""


class PreludeWrite(Exception):
    """A `Store.run` that may write was called while a prelude (`Store.prelude`) was running:
    the prelude needs a transaction of its own. Raised before anything is written; the run
    that carried the prelude rolls back."""


class _PreludeState(threading.local):
    """Per thread: `pending`, the prelude the next `run` starts with; `tx`, the transaction of
    the prelude under way (its reading runs join it)."""

    pending: Callable[[], None] | None = None
    tx: Tx | None = None


def is_transient(exc: BaseException) -> bool:
    """Worth running the whole transaction again."""
    if not isinstance(exc, DBAPIError):
        return False
    if is_disconnect(exc):
        return True
    if sqlstate_of(exc) in _RETRY_SQLSTATES:
        return True
    if isinstance(exc, OperationalError):
        text = str(exc.orig).lower()
        return "database is locked" in text or "database is busy" in text
    return False


class Store:
    """The engine plus the keys; services receive one of these.

    `attempts` and `retry_window` bound how long `run` keeps trying: with the defaults a
    refused connection is reported as STORE_UNAVAILABLE after about 1.5 s; a host that does not
    answer at all after at most `retry_window` s plus one connect timeout.

    `background_seal` (PostgreSQL; for a long-lived process such as a terminal): the audit
    events of a use case are chained by this process's sealer thread a few milliseconds after
    `run` returns, in batches, instead of before (store/sealer.py). Off: chained before `run`
    returns (the CLI, one command per process). Call `dispose` at the end either way.
    """

    def __init__(
        self,
        engine: Engine,
        keyring: Keyring,
        *,
        attempts: int = 5,
        backoff: float = 0.05,
        retry_window: float = 15.0,
        background_seal: bool = False,
        seal_linger: float = DEFAULT_LINGER_S,
    ) -> None:
        self.engine = engine
        self.keyring = keyring
        self.attempts = attempts
        self.backoff = backoff
        self.retry_window = retry_window
        self._unavailable = False  # the last call ended in STORE_UNAVAILABLE (for the log)
        self._prelude = _PreludeState()
        log.info("store opened: %s", engine.url.render_as_string(hide_password=True))
        self._sealer = (BackgroundSealer(partial(self._seal_once, wait=False),
                                         linger=seal_linger)
                        if background_seal and self.is_postgres else None)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @contextmanager
    def prelude(self, first: Callable[[], None]) -> Iterator[None]:
        """Within this block, on this thread: `first()` runs at the start of the next `run`,
        inside its transaction, before its work (again on each retry of that run; a later
        `run` has no prelude). While `first` runs, a `run(..., reads_only=True)` it makes runs
        its work on that same transaction, and a `run` that may write raises PreludeWrite
        (nothing written; the carrying run rolls back). Whatever `first` raises ends the
        carrying run the same way, before its work. Other threads' runs are untouched.

        The console server checks a staff session this way, in the use case's own transaction
        (server/deps.py `Credentials.call`): one transaction per call instead of two."""
        state = self._prelude
        state.pending = first
        try:
            yield
        finally:
            state.pending = None

    def run(self, work: Callable[[Tx], T], *, reads_only: bool = False,
            snapshot: bool = False) -> T:
        """Run `work` in one transaction (see `_run`); the log says when the store stops
        answering and when it answers again. A prelude (`prelude`) pending on this thread
        runs first in that transaction; a reading run from inside a prelude joins its
        transaction."""
        reads_only = reads_only or snapshot
        state = self._prelude
        if state.tx is not None:
            if not reads_only:
                raise PreludeWrite
            return work(state.tx)
        first = state.pending
        if first is not None:
            state.pending = None
            work = _after(first, work, state)
        try:
            result = self._run(work, reads_only=reads_only, snapshot=snapshot)
        except ConsoleError as exc:
            if exc.code == "STORE_UNAVAILABLE":
                self._unavailable = True
                log.error("store unavailable: %s", exc.message)
            raise
        if self._unavailable:
            self._unavailable = False
            log.info("store reachable again")
        return result

    def _run(self, work: Callable[[Tx], T], *, reads_only: bool = False,
             snapshot: bool = False) -> T:
        """Run `work` in one transaction; commit if it returns, roll back if it raises.
        Transient failures retry the whole function with jittered exponential backoff, so
        `work` must not have effects outside the transaction.

        `reads_only`: `work` only reads, apart from its audit events (a search, a customer
        view). On PostgreSQL it then runs without a transaction block: each statement commits
        on its own, which saves the BEGIN and COMMIT round trips, and the one write (the
        events, one INSERT into the outbox) is atomic by itself. (A connection lost right
        after that INSERT is retried like any other: the read may then be logged twice, never
        not at all.) On SQLite the events are chained in the transaction (head read, insert,
        head update), so it always has one.

        `snapshot`: `work` writes nothing at all, not even an audit event. On SQLite it reads
        a WAL snapshot (a plain BEGIN: it neither waits for the write lock nor holds it, where
        every other run takes it up front); a row it did change raises SnapshotWrite and is
        rolled back. On PostgreSQL it runs as `reads_only`."""
        last: BaseException | None = None
        started = time.monotonic()
        autocommit = reads_only and self.is_postgres
        for attempt in range(self.attempts):
            committing = False
            try:
                with self._connection(autocommit, snapshot) as tx:
                    # `info` belongs to the pooled driver connection and outlives this use
                    # case: what a run leaves there is cleared at its start and its end.
                    info = tx.info
                    info.pop(NEEDS_SEAL, None)
                    info.pop(SEAL_LATER, None)
                    try:
                        if self._sealer is not None:
                            info[SEAL_LATER] = True
                        with tx.begin():
                            if snapshot and not self.is_postgres:
                                result = _unwritten(work, tx)
                            else:
                                result = work(tx)
                            committing = True
                    finally:
                        mine = info.pop(NEEDS_SEAL, None)
                        info.pop(SEAL_LATER, None)
                if mine:
                    if self._sealer is not None:
                        self._sealer.notify(mine)
                    else:
                        self._seal(mine)
                return result
            except ConsoleError:
                raise
            except PoolTimeoutError as exc:
                raise ConsoleError(
                    "STORE_UNAVAILABLE",
                    "no free connection to the store (all in use); try again",
                ) from exc
            except DBAPIError as exc:
                if committing and is_disconnect(exc):
                    raise ConsoleError(
                        "STORE_UNAVAILABLE",
                        "the connection to the store was lost while saving; the outcome is "
                        "unknown: reload and check before doing it again",
                    ) from exc
                if not is_transient(exc):
                    known = classify(exc)
                    if known is None:
                        raise
                    raise known from exc
                last = exc
                delay = self.backoff * (2**attempt) * random.uniform(0.5, 1.5)
                if attempt + 1 >= self.attempts or (
                    time.monotonic() - started + delay > self.retry_window
                ):
                    break
                log.warning("store failure, retry %d of %d in %.0f ms: %s", attempt + 1,
                            self.attempts - 1, delay * 1000, brief(exc))
                time.sleep(delay)
        raise ConsoleError(
            "STORE_UNAVAILABLE",
            f"the store did not answer after {attempt + 1} attempts ({brief(last)})",
        ) from last

    @contextmanager
    def _connection(self, autocommit: bool, snapshot: bool = False) -> Iterator[Tx]:
        with self.engine.connect() as conn:
            if snapshot and not self.is_postgres:  # read by SQLite's BEGIN only (_on_begin)
                conn.execution_options(**{_SNAPSHOT: True})  # this Connection only
            if autocommit:
                # The driver connection goes back to the pool in its usual mode (SQLAlchemy
                # resets the isolation level at check-in; for psycopg that sends nothing to the
                # server).
                conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    def _seal(self, mine: list[int]) -> None:
        """After a commit that put events in the outbox (PostgreSQL, store/audit.py): chain
        them. The use case is committed already, so it is never run again from here. If the
        seal cannot run, the events wait safely in the outbox for the next seal (by any
        terminal); what must not be left open is whether the commit is durable, so fall back to
        a plain WAL flush, and only if that fails too report that the outcome is unknown."""
        last: BaseException | None = None
        for attempt in range(2):
            try:
                self._seal_once(mine)
                return
            except _STORE_FAILURES as exc:
                last = exc
                transient = not isinstance(exc, DBAPIError) or is_transient(exc)  # pool timeout
                if not transient or attempt:
                    break
                time.sleep(self.backoff)
        log.warning("audit seal failed, events left in the outbox: %s", brief(last))
        try:
            with self.engine.connect() as conn:
                durable_flush(conn.execution_options(isolation_level="AUTOCOMMIT"))
        except _STORE_FAILURES as exc:
            raise ConsoleError(
                "STORE_UNAVAILABLE",
                "the store stopped answering right after saving; the outcome is unknown: "
                "reload and check before doing it again",
            ) from exc

    def _seal_once(self, mine: list[int] | None = None, *, wait: bool = True) -> int:
        """One seal (store/audit.py `seal_pending`) on a pooled connection. `wait=False` (the
        background sealer): BUSY instead of queueing behind another seal."""
        # Through SQLAlchemy like every statement: a driver error arrives as its DBAPIError, and
        # a connection lost on the way is invalidated by the pool, not handed out again.
        with self.engine.connect() as conn:
            return seal_pending(conn, self.keyring, mine=mine, wait=wait)

    def seal_pending(self) -> int:
        """Chain every event waiting in the outbox, now: before reading the trail (so that it
        holds everything committed so far), and for events left by a terminal that died
        between its commit and its seal. SQLite: always 0."""
        if not self.is_postgres:
            return 0
        return self._seal_once()

    def flush_audit(self) -> None:
        """Before reading the trail: chain what is waiting, so the reader sees every event
        committed so far. A store that does not answer is STORE_UNAVAILABLE, as in `run`."""
        if not self.is_postgres:
            return
        try:
            self.seal_pending()
        except _STORE_FAILURES as exc:
            raise ConsoleError(
                "STORE_UNAVAILABLE", f"the audit trail could not be brought up to date "
                f"({brief(exc)})") from exc

    def dispose(self) -> None:
        """Stop the background sealer, chain what it left, close the connections."""
        if self._sealer is not None:
            self._sealer.close()
            try:
                self.seal_pending()
            except _STORE_FAILURES as exc:
                log.warning("audit seal at close failed, events wait in the outbox: %s",
                            brief(exc))
        self.engine.dispose()


def _unwritten(work: Callable[[Tx], T], tx: Tx) -> T:
    """`work` on SQLite, refused if it changed a row (the driver counts every change)."""
    driver: sqlite3.Connection = tx.connection.driver_connection  # type: ignore[assignment]
    before = driver.total_changes
    result = work(tx)
    if driver.total_changes != before:
        raise SnapshotWrite("a snapshot run changed the store")
    return result


def _after(first: Callable[[], None], work: Callable[[Tx], T],
           state: _PreludeState) -> Callable[[Tx], T]:
    """`work` with `first` before it on the same transaction (Store.prelude)."""

    def both(tx: Tx) -> T:
        state.tx = tx
        try:
            first()
        finally:
            state.tx = None
        return work(tx)

    return both
