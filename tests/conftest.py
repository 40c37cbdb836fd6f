"""Shared fixtures: a migrated store on SQLite (always) and PostgreSQL (when
STAFF_CONSOLE_TEST_PG_URL is set; unreachable then is an error, never a skip), a fixed clock,
and a small world of branches, staff and customers built through the services."""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers import CHEAP_ARGON2, NOW, TEST_KEY, World, build_world

from staff_console.domain.clock import FixedClock, parse_instant
from staff_console.domain.policy import Policy
from staff_console.services.backend import Backend
from staff_console.store.audit import init_chain
from staff_console.store.engine import Store, make_engine
from staff_console.store.keyring import Keyring
from staff_console.store.migrate import upgrade
from staff_console.store.tables import metadata

PG_URL = os.environ.get("STAFF_CONSOLE_TEST_PG_URL")
# A catalog key or field the code names and the catalog lacks fails the test (staff_console.i18n);
# subprocesses (the CLI, servers) inherit it.
os.environ.setdefault("STAFF_CONSOLE_I18N_STRICT", "1")

BACKENDS = ["sqlite"] + (["pg"] if PG_URL else [])

# The loggers staff_console.logs.configure takes over (handlers, level, no propagation), as they
# were before any test ran.
_PRISTINE_LOGGERS = [(logger, logger.handlers[:], logger.level, logger.propagate)
                     for logger in map(logging.getLogger, ("staff_console", "sqlalchemy", "alembic"))]


@pytest.fixture(autouse=True)
def _logging_restored():
    """After each test the loggers are as before the session: a CLI command run in-process (in a
    test or in a module's fixture) configures the log, and a later test's caplog would miss the
    records that stop at a logger which no longer propagates."""
    yield
    for logger, handlers, level, propagate in _PRISTINE_LOGGERS:
        for handler in [h for h in logger.handlers if h not in handlers]:
            logger.removeHandler(handler)
            handler.close()
        logger.setLevel(level)
        logger.propagate = propagate


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, Keyring(TEST_KEY))
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database_url():
    """A fresh database for this test session, migrated once."""
    if not PG_URL:
        pytest.skip("PostgreSQL not configured (set STAFF_CONSOLE_TEST_PG_URL)")
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"sc_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:  # fail, do not skip: CI must see it
        pytest.fail(f"PostgreSQL at {PG_URL} is unreachable: {exc}")
    url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine, Keyring(TEST_KEY))
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
    admin.dispose()


def _truncate_pg(engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    with engine.begin() as conn:
        init_chain(conn, Keyring(TEST_KEY))


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "store.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database_url")
    engine = make_engine(url)
    _truncate_pg(engine)
    engine.dispose()
    return url


@pytest.fixture
def backend(db_url) -> Backend:
    store = Store(make_engine(db_url), Keyring(TEST_KEY))
    yield Backend(store=store, policy=Policy(), **CHEAP_ARGON2)
    store.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(parse_instant(NOW))




@pytest.fixture
def world(backend, clock) -> World:
    """The test world (tests/helpers.py `build_world`)."""
    return build_world(backend, clock)


def pytest_collection_modifyitems(items):
    """Tests that run on the PostgreSQL backend carry the `pg` marker (`pytest -m pg`)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("db_url") == "pg":
            item.add_marker(pytest.mark.pg)
