"""Engine, pool and transactions.

Every use case runs as one function in one transaction through `Store.run`, which retries the
whole function on transient failures (PostgreSQL serialization failures and deadlocks, SQLite
busy, a dropped connection) and turns a store that stays unreachable into STORE_UNAVAILABLE.

SQLite: WAL, `BEGIN IMMEDIATE` for every transaction (nearly every use case writes the audit
trail, and taking the write lock up front avoids the deadlock of two readers upgrading), and a
busy timeout so that terminals sharing one file queue instead of failing.
PostgreSQL: READ COMMITTED with explicit row locks in a fixed order (customer, then request, then
the audit head last), a bounded pool with pre-ping, and short transactions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from ..domain.errors import ConsoleError
from .keyring import Keyring

T = TypeVar("T")

# SQLSTATEs worth a retry: serialization_failure, deadlock_detected, and connection failures.
_RETRY_SQLSTATES = {"40001", "40P01", "08000", "08003", "08006", "57P01", "57P02", "57P03"}


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 5) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
        )
        _configure_sqlite(engine)
        return engine
    return sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        pool_timeout=10,
        pool_recycle=1800,
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event issue the BEGIN, so it can be IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if code in _RETRY_SQLSTATES:
            return True
        if isinstance(exc, OperationalError):
            text = str(exc.orig).lower()
            return "database is locked" in text or "could not connect" in text or (
                "connection" in text and ("refused" in text or "closed" in text)
            )
    return False


class Store:
    """The engine plus the keys; services receive one of these."""

    def __init__(
        self,
        engine: Engine,
        keyring: Keyring,
        *,
        attempts: int = 5,
        backoff: float = 0.05,
    ) -> None:
        self.engine = engine
        self.keyring = keyring
        self.attempts = attempts
        self.backoff = backoff

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def run(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one transaction; commit if it returns, roll back if it raises.
        Transient failures retry the whole function with backoff."""
        last: BaseException | None = None
        for attempt in range(self.attempts):
            try:
                with Session(self.engine, expire_on_commit=False) as session:
                    with session.begin():
                        result = work(session)
                    return result
            except ConsoleError:
                raise
            except DBAPIError as exc:
                if not is_transient(exc):
                    raise
                last = exc
                time.sleep(self.backoff * (2**attempt))
        raise ConsoleError(
            "STORE_UNAVAILABLE", f"the store did not answer after {self.attempts} attempts"
        ) from last

    def dispose(self) -> None:
        self.engine.dispose()
