"""A terminal's connections keep their prepared statements through rollbacks (refused use
cases, busy seals, the pool's reset), so PostgreSQL does not parse and plan them again
(store/prepared.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from helpers import TEST_KEY

from staff_console.domain.errors import ConsoleError
from staff_console.store.audit import seal_pending
from staff_console.store.engine import Store, make_engine
from staff_console.store.keyring import Keyring
from staff_console.store.prepared import rollback_keeping_prepared

pytestmark = pytest.mark.pg

_LOOKUP = sa.text("SELECT count(*) FROM staff WHERE id = :id")


def _prepared(conn: sa.Connection) -> set[str]:
    return set(conn.exec_driver_sql("SELECT name FROM pg_prepared_statements").scalars())


def _warm(store: Store) -> tuple[int, set[str]]:
    """Run one statement often enough on the pool's one connection that psycopg prepares it;
    the connection's backend and its prepared statements."""
    for _ in range(8):
        store.run(lambda s: s.execute(_LOOKUP, {"id": 1}).scalar())
    return store.run(lambda s: (s.execute(sa.text("SELECT pg_backend_pid()")).scalar(),
                                _prepared(s)))


@pytest.fixture
def store(pg_database_url):
    store = Store(make_engine(pg_database_url, pool_size=1, max_overflow=0), Keyring(TEST_KEY))
    yield store
    store.dispose()


def test_a_refused_use_case_keeps_the_prepared_statements(store):
    pid, before = _warm(store)
    assert before, "psycopg should have prepared the repeated statement"

    def refused(s):
        s.execute(_LOOKUP, {"id": 1}).scalar()
        raise ConsoleError("ALREADY_DECIDED", "someone else was quicker")

    with pytest.raises(ConsoleError):
        store.run(refused)  # rolled back by the run
    after_pid, after = store.run(lambda s: (s.execute(sa.text("SELECT pg_backend_pid()")).scalar(),
                                            _prepared(s)))
    assert after_pid == pid  # the same connection, not a new one
    assert before <= after


def test_the_pool_reset_of_a_read_connection_keeps_them(store):
    pid, before = _warm(store)
    with store.engine.connect() as conn:  # a read, returned to the pool in a transaction
        conn.execute(_LOOKUP, {"id": 1}).scalar()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() == pid
        assert before <= _prepared(conn)


def test_a_seal_with_nothing_to_do_keeps_them(store):
    with store.engine.begin() as conn:  # nothing waits (another test may have left a row)
        conn.exec_driver_sql("DELETE FROM audit_outbox")
    _pid, before = _warm(store)
    with store.engine.connect() as conn:
        assert seal_pending(conn, store.keyring) == 0  # nothing waiting: rolls back
        assert before <= _prepared(conn)


def test_a_failed_transaction_forgets_them_as_psycopg_does(store):
    """After a failed statement (a unique violation, a failing migration) nothing is assumed:
    psycopg's own rollback runs and drops the statements."""
    _pid, before = _warm(store)

    def failing(s):
        s.execute(_LOOKUP, {"id": 1}).scalar()
        s.execute(sa.text("SELECT 1 / 0"))

    with pytest.raises(sa.exc.DBAPIError):
        store.run(failing)
    with store.engine.connect() as conn:
        assert not (before & _prepared(conn))


def test_the_rollback_really_ends_the_transaction(store):
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        raw.execute("CREATE TEMP TABLE scratch (x int)")
        raw.execute("INSERT INTO scratch VALUES (1)")
        rollback_keeping_prepared(raw)
        assert raw.pgconn.transaction_status == 0  # IDLE
        with pytest.raises(Exception, match="scratch"):
            raw.execute("SELECT * FROM scratch")  # the table went with the transaction
        rollback_keeping_prepared(raw)  # after an error: still ends it
        assert raw.execute("SELECT 1").fetchone() == (1,)
        rollback_keeping_prepared(raw)  # idle: nothing to do


def test_a_broken_connection_still_raises_on_rollback(pg_database_url):
    store = Store(make_engine(pg_database_url, pool_size=1, max_overflow=0), Keyring(TEST_KEY))
    admin = sa.create_engine(pg_database_url, isolation_level="AUTOCOMMIT")
    try:
        with store.engine.connect() as conn:
            raw = conn.connection.driver_connection
            raw.execute("SELECT 1")  # now in a transaction
            with admin.connect() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:p)"),
                              {"p": raw.info.backend_pid})
            with pytest.raises(Exception):  # noqa: B017 - psycopg's own error, as before
                rollback_keeping_prepared(raw)
            conn.invalidate()
    finally:
        admin.dispose()
        store.dispose()


def test_a_statement_is_prepared_from_its_second_run(store):
    """A person at a terminal makes a few calls a minute: waiting for psycopg's default of 5
    runs per connection would leave statements unprepared for a long time."""
    lookup = sa.text("SELECT count(*) FROM branch WHERE code = :c")
    prepared = sa.text("SELECT count(*) FROM pg_prepared_statements "
                       "WHERE statement LIKE '%FROM branch WHERE code%' "
                       "AND statement NOT LIKE '%pg_prepared_statements%'")
    with store.engine.connect() as conn:
        conn.execute(lookup, {"c": "001"})
        assert conn.execute(prepared).scalar() == 0
        conn.execute(lookup, {"c": "002"})
        assert conn.execute(prepared).scalar() == 1
