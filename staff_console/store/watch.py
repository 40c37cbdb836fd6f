"""Has anything been committed to the store since we last looked? Cheaply, for a terminal in
embedded mode that watches for new requests and decisions (services/live.py, the live 결재함).

SQLite: `PRAGMA data_version` on a connection of the watcher's own. Its value changes when
ANOTHER connection (of this process or any other) commits to the file, and costs no
transaction, no table read and no lock: a look every half second is nothing. Only when it moved
does the watcher read the event feed (store/event_feed.py).

PostgreSQL (an embedded terminal on a central store; a console server's terminals use the
server's event stream instead): the store sends no NOTIFY, and LISTEN would need a connection
held outside the pool; the probe says "maybe" every time and the watcher reads the feed's head,
one indexed statement.
"""

from __future__ import annotations

import sqlite3
from typing import Protocol

from .engine import Store


class ChangeProbe(Protocol):
    def changed(self) -> bool:
        """True when another connection may have committed since the last call."""
        ...

    def close(self) -> None: ...


class DataVersion:
    """SQLite's `PRAGMA data_version` of the file at `path`, on a connection of its own
    (autocommit: it never holds a transaction or a lock)."""

    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path, timeout=5, isolation_level=None,
                                           check_same_thread=False)
        self._last = self._read()

    def _read(self) -> int:
        return int(self._connection.execute("PRAGMA data_version").fetchone()[0])

    def changed(self) -> bool:
        version = self._read()
        moved, self._last = version != self._last, version
        return moved

    def close(self) -> None:
        self._connection.close()


class Always:
    """A store with nothing cheaper to ask: always "maybe" (the feed is read every time)."""

    def changed(self) -> bool:
        return True

    def close(self) -> None:
        return None


def change_probe(store: Store) -> ChangeProbe:
    """The cheapest probe for `store`: a SQLite file's data version, else `Always`."""
    url = store.engine.url
    database = url.database or ""
    if store.dialect == "sqlite" and database not in ("", ":memory:") \
            and not database.startswith("file:") and not url.query:
        return DataVersion(database)
    return Always()
