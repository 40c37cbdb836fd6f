"""Time is the store's, not the caller's (issue 12 item 1): a fixed clock only on a training
store, the mode fixed at creation, and on PostgreSQL "now" is the database server's clock
whatever the terminal's own clock says. Store-level tests on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from helpers import NOW, PASSWORD, TEST_KEY
from svc_helpers import execute, refused, scalar, snapshot

from staff_console.domain.clock import FixedClock, SystemClock, parse_instant
from staff_console.domain.errors import ConsoleError
from staff_console.services import staff as staff_service
from staff_console.services.backend import open_backend
from staff_console.services.database import init_backend
from staff_console.store.clock import StoreClock
from staff_console.store.engine import make_engine
from staff_console.store.keyring import encode_key

FIXED = FixedClock(parse_instant(NOW))


def settings(db_url, tmp_path):
    return SimpleNamespace(db_url=db_url, home=tmp_path, key_file=tmp_path / "master.key",
                           key_text=encode_key(TEST_KEY), argon2_time_cost=1,
                           argon2_memory_kib=8192)


def store(db_url, tmp_path, mode, clock=None):
    return init_backend(settings(db_url, tmp_path), mode=mode, clock=clock)


def with_admin(backend):
    staff_service.bootstrap_admin(backend, employee_no="A0001", name="관리자", branch_code="HQ",
                                  branch_name="본사", password=PASSWORD, clock=backend.clock)


def test_a_real_store_refuses_a_fixed_clock_and_a_training_store_takes_it(db_url, tmp_path):
    backend = store(db_url, tmp_path, None)  # plain `db init`: real
    assert backend.identity.mode == "real" and not backend.training
    with_admin(backend)
    before = snapshot(backend)
    with refused("CLOCK_FIXED_REFUSED"):
        open_backend(settings(db_url, tmp_path), clock=FIXED)
    with refused("CLOCK_FIXED_REFUSED"):  # db init again, with a fixed clock
        store(db_url, tmp_path, None, FIXED)
    assert snapshot(backend) == before
    own = open_backend(settings(db_url, tmp_path))
    assert not isinstance(own.clock, FixedClock)
    own.store.dispose()
    backend.store.dispose()


def test_a_training_store_runs_on_the_fixed_clock_it_is_given(db_url, tmp_path):
    backend = store(db_url, tmp_path, "training", FIXED)
    assert backend.training and backend.clock is FIXED
    with_admin(backend)
    backend.store.dispose()
    later = FixedClock(parse_instant("2029-01-01T09:00:00+09:00"))
    backend = open_backend(settings(db_url, tmp_path), clock=later)
    assert backend.clock.now() == later.now()
    backend.store.dispose()
    backend = open_backend(settings(db_url, tmp_path))  # a training store on its own clock
    assert backend.training and not isinstance(backend.clock, FixedClock)
    backend.store.dispose()


def test_a_stores_mode_is_fixed_when_it_is_created(db_url, tmp_path):
    real = store(db_url, tmp_path, None)
    with refused("INVALID_INPUT", "training"):
        store(db_url, tmp_path, "training", FIXED)
    assert store(db_url, tmp_path, "real").identity.mode == "real"
    real.store.dispose()
    execute(real, "DELETE FROM setting WHERE key = 'store_mode'")  # an empty, unmarked store
    training = store(db_url, tmp_path, "training")
    with refused("INVALID_INPUT", "training"):
        store(db_url, tmp_path, "real")
    assert store(db_url, tmp_path, None).identity.mode == "training"  # kept
    training.store.dispose()


def test_a_store_from_before_modes_with_data_is_real(db_url, tmp_path):
    backend = store(db_url, tmp_path, "training", FIXED)
    with_admin(backend)
    execute(backend, "DELETE FROM setting WHERE key = 'store_mode'")
    before = snapshot(backend)
    with refused("CLOCK_FIXED_REFUSED"):
        open_backend(settings(db_url, tmp_path), clock=FIXED)
    with refused("INVALID_INPUT", "training"):
        store(db_url, tmp_path, "training", FIXED)
    assert snapshot(backend) == before
    again = store(db_url, tmp_path, None)  # db init records it: real, for good
    assert again.identity.mode == "real" and again.identity.mode_recorded
    again.store.dispose()
    backend.store.dispose()


def test_sqlite_time_is_the_system_clock(tmp_path):
    backend = store(f"sqlite:///{tmp_path / 's.sqlite3'}", tmp_path, None)
    assert isinstance(backend.clock, SystemClock)
    backend.store.dispose()


# ---------------------------------------------------------------- PostgreSQL: the server's clock


@pytest.fixture
def pg_engine(pg_database_url):
    engine = make_engine(pg_database_url)
    yield engine
    engine.dispose()


def _server_now(engine):
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT clock_timestamp()")).scalar_one()


@pytest.mark.pg
def test_a_postgresql_store_runs_on_the_servers_clock(pg_database_url, tmp_path):
    backend = store(pg_database_url, tmp_path, None)
    assert isinstance(backend.clock, StoreClock)
    assert abs(backend.clock.now() - _server_now(backend.store.engine)) < timedelta(seconds=1)
    backend.store.dispose()


@pytest.mark.pg
def test_a_terminal_whose_clock_is_off_still_gets_the_servers_time(pg_engine, caplog):
    days_ahead = 3 * 86400.0
    clock = StoreClock(pg_engine, wall=lambda: time.time() + days_ahead)
    with caplog.at_level(logging.WARNING, logger="staff_console.store.clock"):
        now = clock.now()
    assert abs(now - _server_now(pg_engine)) < timedelta(seconds=1)
    assert abs(clock.skew - days_ahead) < 5
    assert "off the store's clock" in caplog.text
    behind = StoreClock(pg_engine, wall=lambda: time.time() - days_ahead)
    assert abs(behind.now() - _server_now(pg_engine)) < timedelta(seconds=1)


@pytest.mark.pg
def test_the_store_clock_asks_the_server_once_then_counts_on_the_monotonic_clock(pg_engine):
    mono = [1000.0]
    wall = [5000.0]
    clock = StoreClock(pg_engine, resync_seconds=60, monotonic=lambda: mono[0],
                       wall=lambda: wall[0])
    syncs = []
    real_sync = clock.sync
    clock.sync = lambda: (syncs.append(1), real_sync())[1]
    first = clock.now()
    assert len(syncs) == 1
    mono[0] += 10
    wall[0] += 10
    assert clock.now() - first == timedelta(seconds=10) and len(syncs) == 1  # no round trip
    wall[0] += 3600  # someone sets the terminal's clock: asked again, time is not moved
    second = clock.now()
    assert len(syncs) == 2 and abs(second - _server_now(pg_engine)) < timedelta(seconds=1)
    mono[0] += 61
    wall[0] += 61
    clock.now()
    assert len(syncs) == 3  # the periodic resync


@pytest.mark.pg
def test_a_store_that_stops_answering_leaves_the_clock_counting_from_its_last_reading(
        pg_engine, caplog):
    dead = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none", connect_timeout=1)
    with pytest.raises(ConsoleError) as info:
        StoreClock(dead).now()  # never read: no time to give
    assert info.value.code == "STORE_UNAVAILABLE"
    mono = [1000.0]
    clock = StoreClock(pg_engine, resync_seconds=60, monotonic=lambda: mono[0],
                       wall=lambda: mono[0] + 5000)
    first = clock.now()
    clock._engine = dead
    mono[0] += 120
    with caplog.at_level(logging.WARNING, logger="staff_console.store.clock"):
        assert clock.now() - first == timedelta(seconds=120)
    assert "counting from the last reading" in caplog.text
    dead.dispose()


def test_a_mode_set_to_training_by_sql_alone_leaves_the_store_real(db_url, tmp_path):
    backend = store(db_url, tmp_path, None)
    with_admin(backend)
    execute(backend, "UPDATE setting SET value = 'training' WHERE key = 'store_mode'")
    # Nor does the check of another training store (same key): it names its own store.
    other = store(f"sqlite:///{tmp_path / 'other.sqlite3'}", tmp_path, "training")
    other_check = scalar(other, "SELECT value FROM setting WHERE key = 'store_mode_check'")
    other.store.dispose()
    for check in (None, other_check):
        if check is not None:
            execute(backend, "UPDATE setting SET value = :v WHERE key = 'store_mode_check'",
                    v=check)
        before = snapshot(backend)
        with refused("CLOCK_FIXED_REFUSED"):
            open_backend(settings(db_url, tmp_path), clock=FIXED)
        with refused("CLOCK_FIXED_REFUSED"):
            store(db_url, tmp_path, None, FIXED)
        assert snapshot(backend) == before
        reopened = open_backend(settings(db_url, tmp_path))
        assert not reopened.training
        reopened.store.dispose()
    backend.store.dispose()
