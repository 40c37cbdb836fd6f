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

The same connection class hands out cursors whose `description` is built only when something
reads into it. psycopg builds a new list of `Column` objects (name decoded, type looked up) on
every access to `cursor.description`, and SQLAlchemy reads it after every statement that
returns rows, only to see whether there are columns: what it needs of them (the result's keys
and types) it takes once per compiled statement and caches. For the load benchmark's mix that
was 13 `Column`s per statement, made and thrown away: 0.02-0.04 ms of a terminal's 0.9-1.1 ms
of CPU per operation (docs/decisions.md, issue 13). The lazy description has the length and the
truth value at once and the columns, taken from the very result it describes, on first
indexing or iteration.

How it is installed: by supported means only. SQLAlchemy's `do_connect` event may return the
DBAPI connection it makes, and psycopg's `Connection` and `Cursor` are meant to be subclassed;
our connection overrides `rollback` and sets psycopg's `cursor_factory` to our cursor
(docs/decisions.md, issue 13). No SQLAlchemy internals are replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, overload

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
    status = pgconn.transaction_status
    if status == _IDLE:  # the pool's reset after a commit: most calls
        return True
    from psycopg import pq

    # PQexec releases the GIL while it waits, like psycopg's own round trips.
    return (status == pq.TransactionStatus.INTRANS
            and pgconn.exec_(b"ROLLBACK").status == pq.ExecStatus.COMMAND_OK)


_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE (libpq's PQTRANS_IDLE); tests/store checks it


class _ResultAt:
    """What psycopg's `Column` reads of a cursor, pinned to one result."""

    __slots__ = ("_encoding", "adapters", "pgresult")

    def __init__(self, cursor: Any, pgresult: Any) -> None:
        self.pgresult = pgresult
        self._encoding = cursor._encoding
        self.adapters = cursor.adapters


class LazyDescription(Sequence[Any]):
    """A cursor's `description` (a sequence of psycopg `Column`s) that makes its columns on
    first use, from the result it was taken of (module docstring)."""

    __slots__ = ("_columns", "_cursor", "_n", "_result")

    def __init__(self, cursor: Any, pgresult: Any) -> None:
        self._cursor = cursor
        self._result = pgresult
        self._n: int = pgresult.nfields
        self._columns: list[Any] | None = None

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        return self._made()[index]

    def __iter__(self) -> Any:
        return iter(self._made())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyDescription):
            other = other._made()
        return self._made() == other

    __hash__ = None  # type: ignore[assignment]  # a list's equality, a list's hashability

    def __repr__(self) -> str:
        return repr(self._made())

    def _made(self) -> list[Any]:
        if self._columns is None:
            from psycopg import Column

            at = _ResultAt(self._cursor, self._result)
            self._columns = [Column(at, i) for i in range(self._n)]  # type: ignore[arg-type]
            self._cursor = self._result = None
        return self._columns


@cache
def _connection_class() -> type[psycopg.Connection]:
    import psycopg
    from psycopg import pq

    rows = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK)

    class LazyDescriptionCursor(psycopg.Cursor):
        """psycopg's cursor with a `LazyDescription` (module docstring)."""

        @property
        def description(self) -> Any:
            res = self.pgresult
            # psycopg's own test: columns, or a result that said it has rows ("SELECT ;").
            if res is not None and (res.nfields or res.status in rows):
                return LazyDescription(self, res)
            return None

    class KeepPreparedConnection(psycopg.Connection):
        """A psycopg connection whose rollback of a healthy transaction keeps its prepared
        statements, and whose cursors describe their results lazily (module docstring)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.cursor_factory = LazyDescriptionCursor

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
