"""psycopg cursors of our engines describe their results lazily (store/prepared.py): what
SQLAlchemy and a DB-API caller read of `cursor.description` is what psycopg would give, and a
cached statement's result is read without making the columns."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from staff_console.store.engine import make_engine
from staff_console.store.prepared import LazyDescription

pytestmark = pytest.mark.pg


@pytest.fixture
def engine(pg_database_url):
    engine = make_engine(pg_database_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def test_the_description_is_psycopgs(engine):
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        cursor.execute("SELECT 1 AS a, now() AS b, 'x'::varchar(5) AS c")
        lazy = cursor.description
        plain = psycopg.Cursor.description.fget(cursor)
        assert isinstance(lazy, LazyDescription) and len(lazy) == 3 and lazy
        assert [tuple(c) for c in lazy] == [tuple(c) for c in plain]
        assert [c.name for c in lazy[1:]] == ["b", "c"]
        cursor.execute("SELECT")  # a result with rows and no columns: [] as psycopg says
        assert cursor.description is not None and len(cursor.description) == 0
        cursor.execute("CREATE TEMP TABLE t (x int)")  # no result rows: None
        assert cursor.description is None


def test_a_description_stays_the_one_of_its_result(engine):
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        cursor.execute("SELECT 1 AS first_one")
        taken = cursor.description
        cursor.execute("SELECT 2 AS other, 3 AS more")
        assert [c.name for c in taken] == ["first_one"]


def test_sqlalchemy_reads_results_and_keys(engine, monkeypatch):
    made = []
    original = LazyDescription._made

    def counting(self):
        if self._columns is None:
            made.append(len(self))
        return original(self)

    monkeypatch.setattr(LazyDescription, "_made", counting)
    statement = sa.select(sa.literal(1).label("one"), sa.literal("x").label("two"))
    with engine.connect() as conn:
        first = conn.execute(statement).mappings().one()
        assert first == {"one": 1, "two": "x"}
        assert conn.execute(sa.text("SELECT 5 AS five")).keys() == ["five"]
        columns_made = len(made)
        for _ in range(3):  # cached now: SQLAlchemy needs no columns of the result
            assert conn.execute(statement).one() == (1, "x")
        assert len(made) == columns_made


def test_the_idle_status_is_libpqs():
    # store/prepared.py compares a connection's transaction status with its own constant (the
    # pool's reset after every commit asks it) instead of importing psycopg.pq per call.
    from psycopg import pq

    from staff_console.store import prepared

    assert prepared._IDLE == pq.TransactionStatus.IDLE
