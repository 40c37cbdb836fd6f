"""Store.run(snapshot=True): a run that writes nothing at all. On SQLite it reads a WAL
snapshot under a plain BEGIN, neither waiting for the write lock nor holding it (the server's
event polls, the hash a sign-in verifies, a channel key); a change it makes anyway is refused
and rolled back."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from helpers import TEST_KEY

from staff_console.store.engine import SnapshotWrite, Store, make_engine
from staff_console.store.keyring import Keyring


@pytest.fixture
def path(tmp_path):
    return tmp_path / "s.sqlite3"


@pytest.fixture
def store(path):
    store = Store(make_engine(f"sqlite:///{path}"), Keyring(TEST_KEY), backoff=0.001)
    store.run(lambda tx: tx.exec_driver_sql("CREATE TABLE t (v INTEGER)"))
    store.run(lambda tx: tx.exec_driver_sql("INSERT INTO t VALUES (1)"))
    yield store
    store.dispose()


def _count(tx) -> int:
    return tx.exec_driver_sql("SELECT count(*) FROM t").scalar_one()


def test_a_snapshot_reads_while_another_terminal_holds_the_write_lock(store, path):
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (2)")  # not committed: the snapshot does not see it
    try:
        assert store.run(_count, snapshot=True) == 1
        # A run that may write takes the lock up front, so it waits for the other terminal.
        done: list[int] = []
        waiting = threading.Thread(target=lambda: done.append(store.run(_count,
                                                                        reads_only=True)))
        waiting.start()
        waiting.join(0.3)
        assert not done and waiting.is_alive()
        other.execute("COMMIT")
        waiting.join(10)
        assert done == [2]
    finally:
        other.close()
    assert store.run(_count, snapshot=True) == 2


def test_a_snapshot_holds_no_write_lock(store, path):
    """While a snapshot run is under way another connection can still write at once."""
    written: list[bool] = []

    def read_while_another_writes(tx) -> int:
        before = _count(tx)
        other = sqlite3.connect(path, isolation_level=None, timeout=0)  # no wait at all
        try:
            other.execute("INSERT INTO t VALUES (3)")
            written.append(True)
        finally:
            other.close()
        return before

    assert store.run(read_while_another_writes, snapshot=True) == 1
    assert written == [True]


def test_a_snapshot_that_changes_a_row_is_refused_and_rolled_back(store):
    with pytest.raises(SnapshotWrite):
        store.run(lambda tx: tx.exec_driver_sql("INSERT INTO t VALUES (9)"), snapshot=True)
    assert store.run(_count, snapshot=True) == 1
