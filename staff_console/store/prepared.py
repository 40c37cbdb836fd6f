"""Keeping the server-side prepared statements of a pooled psycopg connection.

psycopg prepares a statement on the server once the connection has run it a few times
(`prepare_threshold`), and from then on PostgreSQL skips parsing and, once it has settled on a
generic plan, planning. But psycopg's `rollback()` also forgets every prepared statement and
sends `DEALLOCATE ALL` (a rolled-back transaction may have dropped or recreated something a
statement refers to). A terminal rolls back often without touching the schema: every refused
use case (ALREADY_DECIDED, SELF_APPROVAL, an ineligible customer ...), a background seal that
found another seal at work, and the pool's reset of a connection returned from a read. In the
load benchmark that left most statements never prepared: PostgreSQL planned 78% of all
executions again, and planning took as much of its CPU as executing.

So on our engines a rollback is sent as a plain `ROLLBACK` on the libpq connection, which
leaves psycopg's statement cache alone. That is safe because no use case changes the schema
(the migrations run on their own connections, through Alembic, and commit). If the plain
rollback does not succeed (the connection broke), psycopg's own `rollback()` runs and raises as
usual, so SQLAlchemy sees the same error as before and invalidates the connection.

Statements that psycopg stops tracking after a failed execution stay allocated on the server
until the connection closes; `pool_recycle` closes every connection within 30 minutes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine


def rollback_keeping_prepared(dbapi_connection: Any) -> None:
    """End the transaction of a psycopg connection without forgetting its prepared statements;
    psycopg's own rollback if that fails."""
    from psycopg import pq

    pgconn = dbapi_connection.pgconn
    status = pgconn.transaction_status
    if status == pq.TransactionStatus.IDLE:
        return
    if status in (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR):
        # PQexec releases the GIL while it waits, like psycopg's own round trips.
        if pgconn.exec_(b"ROLLBACK").status == pq.ExecStatus.COMMAND_OK:
            return
    dbapi_connection.rollback()


def keep_prepared_statements(engine: Engine) -> None:
    """Make every rollback of this engine's connections keep their prepared statements
    (psycopg only; other drivers are left as they are)."""
    dialect = engine.dialect
    if dialect.driver != "psycopg":
        return
    # The dialect belongs to this engine alone (create_engine builds one per call).
    dialect.do_rollback = rollback_keeping_prepared  # type: ignore[method-assign]
