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

So on our engines a transaction that is still healthy (nothing failed in it) is ended with a
plain `ROLLBACK` on the libpq connection, which leaves psycopg's statement cache alone. That is
what a refusal, a busy seal and a pool reset are. It is safe because use cases do not change
the schema: DDL runs only in migrations, whose transaction commits, and a rolled-back one leaves
the schema as the statements were prepared against. A transaction in which a statement failed
(a unique violation, a failing migration), and a connection that broke, still get psycopg's
own `rollback()`: it forgets the statements as before, raises as before, and SQLAlchemy
invalidates a broken connection as before.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine


def rollback_keeping_prepared(dbapi_connection: Any) -> None:
    """End a healthy transaction of a psycopg connection without forgetting its prepared
    statements; psycopg's own rollback for a failed transaction or if this one fails."""
    from psycopg import pq

    pgconn = dbapi_connection.pgconn
    status = pgconn.transaction_status
    if status == pq.TransactionStatus.IDLE:
        return
    if status == pq.TransactionStatus.INTRANS:
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
