"""What a store failure means, as a code a person or a script can act on.

`Store.run` retries what is transient (store/engine.py); what is left is named here: a schema
that is missing, older or newer than this program, a file that is not a staff-console store, a
store that cannot be written or whose disk is full. Anything else stays an unexpected error
(logged with its trace, shown as one line).
"""

from __future__ import annotations

import errno

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from ..domain.errors import ConsoleError

# The newest migration this program knows (store/migrations/versions); tests/store checks it
# against Alembic's head, so reading it needs no Alembic at start-up.
SCHEMA_HEAD = "0008"

_INIT_HINT = "run `staff-console db init`"

# SQLite's primary result codes (sqlite3's `sqlite_errorname`), PostgreSQL's SQLSTATEs.
_SQLITE = {
    "SQLITE_NOTADB": "STORE_NOT_A_DATABASE",
    "SQLITE_READONLY": "STORE_READ_ONLY",
    "SQLITE_FULL": "STORE_FULL",
}
_SQLSTATE = {
    "25006": "STORE_READ_ONLY",  # read_only_sql_transaction (a standby, a read-only role)
    "53100": "STORE_FULL",  # disk_full
    "42P01": "STORE_NOT_INITIALISED",  # undefined_table
}
_MESSAGES = {
    "STORE_NOT_A_DATABASE": "the database file is not a SQLite database",
    "STORE_READ_ONLY": "the store cannot be written (read-only file, directory or role)",
    "STORE_FULL": "the disk of the store is full; nothing was saved",
    "STORE_NOT_INITIALISED": f"the store has no staff-console schema; {_INIT_HINT}",
}


# Connection lost or refused, server shutting down or starting up: the connection is gone.
_DISCONNECT_SQLSTATES = {"08000", "08001", "08003", "08004", "08006", "57P01", "57P02", "57P03"}


def sqlstate_of(exc: DBAPIError) -> str | None:
    """The PostgreSQL SQLSTATE of a driver failure (None for SQLite's)."""
    return getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)


def is_disconnect(exc: BaseException) -> bool:
    """The connection is gone (lost, refused, server restarting)."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    code = sqlstate_of(exc)
    if code in _DISCONNECT_SQLSTATES:
        return True
    if isinstance(exc, OperationalError) and code is None:
        text = str(exc.orig).lower()
        if "database is locked" in text or "database is busy" in text:
            return False  # SQLite busy: transient, but not a lost connection
        # psycopg raises connection-level failures without a SQLSTATE.
        return exc.orig.__class__.__module__.startswith("psycopg") or (
            "connection" in text and ("refused" in text or "closed" in text or "lost" in text)
        ) or "could not connect" in text
    return False


def classify(exc: BaseException) -> ConsoleError | None:
    """The ConsoleError a driver failure stands for, or None if it is not one of ours."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return ConsoleError("STORE_FULL", _MESSAGES["STORE_FULL"])
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    name = getattr(orig, "sqlite_errorname", None)
    code = _SQLITE.get(name or "")
    if name and name.startswith("SQLITE_READONLY"):  # READONLY_DIRECTORY, _DBMOVED, ...
        code = "STORE_READ_ONLY"
    if code is None:
        code = _SQLSTATE.get(getattr(orig, "sqlstate", None) or "")
    if code is None and name == "SQLITE_ERROR" and str(orig).startswith("no such table"):
        code = "STORE_NOT_INITIALISED"
    return ConsoleError(code, _MESSAGES[code]) if code else None


def check_schema(engine: Engine) -> None:
    """Refuse a store this program cannot use, before any use case runs: no schema
    (STORE_NOT_INITIALISED), another application's database (STORE_NOT_A_DATABASE), an older
    schema (STORE_NOT_INITIALISED: `db init` upgrades it) or a newer one (STORE_VERSION)."""
    names: set[str] = set()
    try:
        with engine.connect() as conn:
            try:
                version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            except DBAPIError as exc:
                known = classify(exc)
                if known is None or known.code != "STORE_NOT_INITIALISED":
                    raise
                conn.rollback()
                version, names = None, set(sa.inspect(conn).get_table_names())
    except DBAPIError as exc:
        known = classify(exc)
        if known is None and is_disconnect(exc):  # a server that is down or refuses us
            known = ConsoleError("STORE_UNAVAILABLE",
                                 f"the store could not be reached ({brief(exc)})")
        if known is None:
            raise
        raise known from None
    if version is None:
        if names:
            raise ConsoleError("STORE_NOT_A_DATABASE",
                               "the database holds tables but no staff-console schema "
                               "(another application's database?)")
        raise ConsoleError("STORE_NOT_INITIALISED", _MESSAGES["STORE_NOT_INITIALISED"])
    if version > SCHEMA_HEAD:
        raise ConsoleError("STORE_VERSION",
                           f"the store's schema ({version}) is newer than this program's "
                           f"({SCHEMA_HEAD}); update the program")
    if version < SCHEMA_HEAD:
        raise ConsoleError("STORE_NOT_INITIALISED",
                           f"the store's schema ({version}) is older than this program's "
                           f"({SCHEMA_HEAD}); {_INIT_HINT} to upgrade it")



def brief(exc: BaseException | None) -> str:
    """A failure's first line for a message or the log: the driver's words, never the
    statement or its parameters."""
    if exc is None:
        return "no detail"
    orig = getattr(exc, "orig", exc)
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return text[:160]
