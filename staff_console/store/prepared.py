"""Keeping the server-side prepared statements of a pooled psycopg connection.

psycopg prepares a statement on the server once the connection has run it a few times
(`prepare_threshold`, store/engine.py), and from then on PostgreSQL skips parsing and, once it
has settled on a generic plan, planning. But psycopg's `rollback()` also forgets every prepared
statement and sends `DEALLOCATE ALL` (a rolled-back transaction may have dropped or recreated
something a statement refers to). A terminal rolls back often without touching the schema:
every refused use case (ALREADY_DECIDED, SELF_APPROVAL, an ineligible customer ...) and a
background seal that found another seal at work. In the load benchmark that left most
statements never prepared: PostgreSQL planned 78% of all executions again, and planning took as
much of its CPU as executing.

So our engines' psycopg connections end a transaction that is still healthy (nothing failed in
it) with a plain `ROLLBACK` on the libpq connection, which leaves psycopg's statement cache
alone. It is safe because use cases do not change the schema: DDL runs only in migrations, whose
transaction commits, and a rolled-back one leaves the schema as the statements were prepared
against. A transaction in which a statement failed (a unique violation, a failing migration),
and a connection that broke, still get psycopg's own `rollback()`: it forgets the statements,
raises as before, and SQLAlchemy invalidates a broken connection as before.

How it is installed: by supported means only. SQLAlchemy's `do_connect` event may return the
DBAPI connection it makes, and psycopg's `Connection` is meant to be subclassed; our subclass
overrides `rollback` (docs/decisions.md, issue 13). No SQLAlchemy internals are replaced.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    import psycopg


def rollback_keeping_prepared(dbapi_connection: Any) -> None:
    """End a healthy transaction of a psycopg connection without forgetting its prepared
    statements; psycopg's own rollback for a failed transaction or if this one fails."""
    if not _ended_healthy(dbapi_connection.pgconn):
        import psycopg

        psycopg.Connection.rollback(dbapi_connection)


def _ended_healthy(pgconn: Any) -> bool:
    """Whether the connection is out of its transaction by a plain ROLLBACK (or was in none);
    False for a failed transaction or a broken connection."""
    from psycopg import pq

    status = pgconn.transaction_status
    if status == pq.TransactionStatus.IDLE:
        return True
    # PQexec releases the GIL while it waits, like psycopg's own round trips.
    return (status == pq.TransactionStatus.INTRANS
            and pgconn.exec_(b"ROLLBACK").status == pq.ExecStatus.COMMAND_OK)


@cache
def _connection_class() -> type[psycopg.Connection]:
    import psycopg

    class KeepPreparedConnection(psycopg.Connection):
        """A psycopg connection whose rollback of a healthy transaction keeps its prepared
        statements (module docstring)."""

        def rollback(self) -> None:
            if not _ended_healthy(self.pgconn):
                super().rollback()

    return KeepPreparedConnection


def keep_prepared_statements(engine: Engine) -> None:
    """Make this engine's psycopg connections keep their prepared statements through the
    rollback of a healthy transaction (other drivers are left as they are)."""
    if engine.dialect.driver != "psycopg":
        return

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect, _record, cargs, cparams):
        return _connection_class().connect(*cargs, **cparams)
