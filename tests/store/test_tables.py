"""The Core tables (store/tables.py) are the migrations' schema, on both databases, and loading
them costs a command neither the ORM nor the PostgreSQL dialect."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex

from staff_console.store import channel_keys, idempotency, sessions  # noqa: F401 (their tables)
from staff_console.store.tables import CREDENTIAL, REQUEST, metadata, postgresql_options


def test_the_tables_are_the_migrated_schema(db_url):
    """Alembic finds nothing to change between a migrated store and the tables (columns, types,
    nullability, keys, indexes, unique constraints), on SQLite and PostgreSQL."""
    postgresql_options()
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def _index(table: sa.Table, name: str) -> sa.Index:
    return next(i for i in table.indexes if i.name == name)


@pytest.mark.parametrize("table, name, condition", [
    (CREDENTIAL, "uq_credential_current", "WHERE status IN ('active', 'locked')"),
    (REQUEST, "uq_request_pending", "WHERE status = 'pending'"),
])
def test_the_partial_unique_indexes_keep_their_condition_on_both_databases(table, name,
                                                                           condition):
    postgresql_options()
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        ddl = str(CreateIndex(_index(table, name)).compile(dialect=dialect))
        assert ddl.startswith(f"CREATE UNIQUE INDEX {name}") and ddl.endswith(condition)


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_using_a_sqlite_store_loads_no_orm_and_no_postgresql_dialect(tmp_path):
    """A SQLite store opened and used through `Store.run` (what every embedded command does)
    imports neither `sqlalchemy.orm` nor SQLAlchemy's postgresql package (nor SQLModel)."""
    assert _run(f"""
import sys
import sqlalchemy as sa
from staff_console.store.engine import Store, make_engine
from staff_console.store.keyring import Keyring
from staff_console.store.tables import CUSTOMER
store = Store(make_engine("sqlite:///{tmp_path / 'probe.sqlite3'}"), Keyring(bytes(32)))
store.run(lambda tx: tx.execute(sa.text("SELECT 1")).scalar_one())
print(sorted(m for m in sys.modules if m.startswith(("sqlalchemy.orm", "sqlmodel",
      "sqlalchemy.dialects.postgresql", "psycopg", "alembic"))))
""") == "[]"


def test_a_postgresql_engine_gives_the_indexes_their_postgresql_form():
    assert _run("""
from staff_console.store.engine import make_engine
from staff_console.store.tables import CREDENTIAL
index = next(i for i in CREDENTIAL.indexes if i.name == "uq_credential_current")
assert "postgresql" not in index.dialect_options  # not loaded before it is needed
make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")  # connects to nothing yet
print(index.dialect_options["postgresql"]["where"])
""") == "status IN ('active', 'locked')"
