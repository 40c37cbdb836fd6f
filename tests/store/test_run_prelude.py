"""Store.prelude: work that runs first in the next `Store.run` of this thread, in its
transaction (the console server's session check, server/deps.py Credentials.call)."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from helpers import TEST_KEY
from sqlalchemy import event

from staff_console.store.engine import PreludeWrite, Store, make_engine
from staff_console.store.keyring import Keyring


@pytest.fixture
def store(tmp_path):
    store = Store(make_engine(f"sqlite:///{tmp_path / 'p.sqlite3'}"), Keyring(TEST_KEY),
                  backoff=0.001)
    store.run(lambda tx: tx.exec_driver_sql("CREATE TABLE t (v INTEGER)"))
    yield store
    store.dispose()


def _values(store: Store) -> list[int]:
    return [v for (v,) in store.run(lambda tx: tx.exec_driver_sql("SELECT v FROM t ORDER BY v"))]


def _insert(value: int):
    return lambda tx: tx.exec_driver_sql(f"INSERT INTO t VALUES ({value})")


def _transactions(store: Store) -> list[int]:
    began: list[int] = []
    event.listen(store.engine, "begin", lambda conn: began.append(1))
    return began


def test_the_prelude_runs_first_in_the_next_runs_transaction_and_only_there(store):
    seen: list[str] = []

    def first() -> None:
        # a reading run inside the prelude joins the carrying transaction
        seen.append(store.run(lambda tx: f"read {len(tx.exec_driver_sql('SELECT 1').all())}",
                              reads_only=True))

    began = _transactions(store)
    with store.prelude(first):
        store.run(lambda tx: seen.append("work") or _insert(1)(tx))
        store.run(_insert(2))  # a later run: no prelude
    store.run(_insert(3))
    assert seen == ["read 1", "work"]
    assert len(began) == 3  # one transaction per run: the prelude's read took none
    assert _values(store) == [1, 2, 3]


def test_a_writing_run_inside_the_prelude_is_refused_and_the_carrying_run_rolls_back(store):
    def first() -> None:
        store.run(_insert(9))

    with pytest.raises(PreludeWrite), store.prelude(first):
        store.run(_insert(1))
    assert _values(store) == []


def test_a_refusing_prelude_stops_the_work_before_it_starts(store):
    class No(Exception):
        pass

    def first() -> None:
        raise No

    done: list[int] = []
    with pytest.raises(No), store.prelude(first):
        store.run(lambda tx: done.append(1))
    assert done == []
    assert store._prelude.pending is None and store._prelude.tx is None
    store.run(_insert(1))  # the store is its own again
    assert _values(store) == [1]


def test_the_prelude_runs_again_on_a_retry_of_its_run(store):
    calls: list[str] = []
    failures = [sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))]

    def work(tx):
        calls.append("work")
        if failures:
            raise failures.pop()
        _insert(1)(tx)

    with store.prelude(lambda: calls.append("first")):
        store.run(work)
    assert calls == ["first", "work", "first", "work"]
    assert _values(store) == [1]


def test_a_prelude_left_unused_is_gone_after_its_block(store):
    done: list[int] = []
    with store.prelude(lambda: done.append(1)):
        pass
    store.run(_insert(1))
    assert done == []


def test_another_threads_runs_are_untouched(store):
    done: list[str] = []
    with store.prelude(lambda: done.append("first")):
        other = threading.Thread(target=lambda: store.run(_insert(5)))
        other.start()
        other.join()
        assert done == []
        store.run(_insert(6))
    assert done == ["first"]
    assert _values(store) == [5, 6]
