"""What the store knows about itself: rows of the `setting` table (key -> text).

The store, not the terminal, is the authority for its identity, its mode (real or training),
the check value of its master key and its policy (DOMAIN.md section 8). Each key below has one
owner module that reads and writes it through these two functions.
"""

from __future__ import annotations

import sqlalchemy as sa

from .tables import SETTING

STORE_ID = "store_id"  # a random UUID written when the store is initialised
STORE_MODE = "store_mode"  # "real" | "training"
KEY_ID = "key_id"  # public identifier of the master key
KEY_CHECK = "key_check"  # check value proving a key is this store's key
POLICY_PREFIX = "policy."  # policy.<name>: rule-bearing settings (services/policy)
POLICY_CHANGE_PREFIX = "policy_change."  # policy_change.<n>: a change awaiting a second admin
POLICY_CHANGE_SEQ = "policy_change_seq"  # the last <n>; its row lock orders policy writers

_TABLE = SETTING


def get_setting(session: sa.Connection, key: str) -> str | None:
    return session.execute(sa.select(_TABLE.c.value).where(_TABLE.c.key == key)).scalar()


def get_settings(session: sa.Connection, prefix: str) -> dict[str, str]:
    """Every setting whose key starts with `prefix` (e.g. the whole policy in one statement)."""
    rows = session.execute(sa.select(_TABLE.c.key, _TABLE.c.value)
                           .where(_TABLE.c.key.startswith(prefix, autoescape=True)))
    return {key: value for key, value in rows}


def put_setting(session: sa.Connection, key: str, value: str) -> None:
    """Insert or replace one setting (inside the caller's transaction)."""
    updated = session.execute(sa.update(_TABLE).where(_TABLE.c.key == key).values(value=value))
    if updated.rowcount == 0:
        session.execute(sa.insert(_TABLE).values(key=key, value=value))


def lock_counter(conn: sa.Connection, key: str) -> int:
    """Lock a counter setting (created as 0 on first use) for the rest of the transaction;
    returns its value. Writers that take it run one at a time (services/policy.py)."""
    # The dialect's own INSERT, imported for the store's dialect only (importing SQLAlchemy's
    # postgresql package loads every PostgreSQL driver module: not for a SQLite store).
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql as dialect
    else:
        from sqlalchemy.dialects import sqlite as dialect  # type: ignore[no-redef]
    insert = dialect.insert(_TABLE)
    conn.execute(insert.values(key=key, value="0").on_conflict_do_nothing(index_elements=["key"]))
    return int(conn.execute(sa.select(_TABLE.c.value).where(_TABLE.c.key == key)
                            .with_for_update()).scalar_one())
