"""Store failures answer with their code (store/failures.py), in the services and the CLI:
no schema, another application's database, a file that is not SQLite, an older or newer
schema, a read-only store, a full disk. Never UNEXPECTED, never a trace."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from helpers import TEST_KEY

from staff_console.domain.errors import ConsoleError
from staff_console.services.backend import open_backend
from staff_console.settings import Settings
from staff_console.store.engine import Store, make_engine
from staff_console.store.failures import SCHEMA_HEAD, check_schema, classify
from staff_console.store.keyring import Keyring
from staff_console.store.migrate import MIGRATIONS, upgrade


def _code(fn) -> str:
    with pytest.raises(ConsoleError) as info:
        fn()
    return info.value.code


def _settings(tmp_path, url: str) -> Settings:
    return Settings(home=tmp_path, db_url=url, key_text=None,
                    argon2_time_cost=5, argon2_memory_kib=7168)


def test_schema_head_is_alembics_head():
    from alembic.script import ScriptDirectory

    from staff_console.store.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert script.get_current_head() == SCHEMA_HEAD
    assert MIGRATIONS.is_dir()


def test_an_empty_database_is_not_initialised(tmp_path):
    path = tmp_path / "empty.sqlite3"
    sqlite3.connect(path).close()
    assert _code(lambda: check_schema(make_engine(f"sqlite:///{path}"))) == "STORE_NOT_INITIALISED"


def test_another_applications_database_is_not_a_store(tmp_path):
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    assert _code(lambda: check_schema(make_engine(f"sqlite:///{path}"))) == "STORE_NOT_A_DATABASE"


def test_a_file_that_is_not_sqlite_is_not_a_database(tmp_path):
    path = tmp_path / "notes.sqlite3"
    path.write_bytes(b"this is a text file, not a database\n" * 200)
    engine = make_engine(f"sqlite:///{path}")
    assert _code(lambda: check_schema(engine)) == "STORE_NOT_A_DATABASE"
    # db init on it: the same code, and the file is left as it was.
    before = path.read_bytes()
    assert _code(lambda: upgrade(engine, Keyring(TEST_KEY))) == "STORE_NOT_A_DATABASE"
    assert path.read_bytes() == before


def _migrated(tmp_path) -> str:
    path = tmp_path / "store.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, Keyring(TEST_KEY))
    engine.dispose()
    return f"sqlite:///{path}"


def _set_version(url: str, version: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = ?", (version,))
    engine.dispose()


def test_a_newer_schema_is_store_version_and_db_init_does_not_touch_it(tmp_path):
    url = _migrated(tmp_path)
    _set_version(url, "9999")
    assert _code(lambda: check_schema(make_engine(url))) == "STORE_VERSION"
    assert _code(lambda: upgrade(make_engine(url), Keyring(TEST_KEY))) == "STORE_VERSION"


def test_an_older_schema_asks_for_db_init(tmp_path):
    url = _migrated(tmp_path)
    _set_version(url, "0001")
    with pytest.raises(ConsoleError) as info:
        check_schema(make_engine(url))
    assert info.value.code == "STORE_NOT_INITIALISED" and "db init" in info.value.message


def test_open_backend_refuses_before_anything_runs(tmp_path):
    path = tmp_path / "empty.sqlite3"
    sqlite3.connect(path).close()
    assert _code(lambda: open_backend(_settings(tmp_path, f"sqlite:///{path}"))) == \
        "STORE_NOT_INITIALISED"


def test_a_read_only_store_is_store_read_only(tmp_path):
    url = _migrated(tmp_path)
    path = url.removeprefix("sqlite:///")
    # A read-only open (a read-only share, file or mount): as root, file modes do not stop us.
    engine = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    store = Store(engine, Keyring(TEST_KEY))

    def write(s):
        s.execute(sa.text("INSERT INTO branch (code, name) VALUES ('X', 'x')"))

    assert _code(lambda: store.run(write)) == "STORE_READ_ONLY"


def test_a_full_disk_is_store_full(tmp_path):
    url = _migrated(tmp_path)
    engine = make_engine(url)

    @sa.event.listens_for(engine, "connect")
    def _tiny(dbapi_connection, _record):  # the file may not grow: as on a full disk
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    store = Store(engine, Keyring(TEST_KEY))

    def fill(s):
        s.execute(sa.text("CREATE TABLE filler (x BLOB)"))
        for _ in range(200):
            s.execute(sa.text("INSERT INTO filler VALUES (randomblob(100000))"))

    assert _code(lambda: store.run(fill)) == "STORE_FULL"


@pytest.mark.parametrize(("sqlstate", "code"), [
    ("25006", "STORE_READ_ONLY"), ("53100", "STORE_FULL"), ("42P01", "STORE_NOT_INITIALISED")])
def test_postgresql_states_are_classified(sqlstate, code):
    class Orig(Exception):
        pass

    orig = Orig("x")
    orig.sqlstate = sqlstate
    assert classify(sa.exc.DBAPIError("SELECT 1", None, orig)).code == code


def test_an_unknown_failure_is_not_guessed():
    assert classify(sa.exc.DBAPIError("SELECT 1", None, Exception("odd"))) is None
    assert classify(ValueError("x")) is None


def test_a_postgresql_store_that_cannot_be_reached_is_store_unavailable(tmp_path):
    """Refused, or the server down, when the store is opened: STORE_UNAVAILABLE with the
    driver's reason (it was UNEXPECTED before any use case ran), and nothing left open."""
    url = "postgresql+psycopg://postgres@127.0.0.1:1/none"
    with pytest.raises(ConsoleError) as info:
        check_schema(make_engine(url, connect_timeout=2))
    assert info.value.code == "STORE_UNAVAILABLE" and "127.0.0.1" in info.value.message
    with pytest.raises(ConsoleError) as info:
        open_backend(Settings(home=tmp_path, db_url=url))
    assert info.value.code == "STORE_UNAVAILABLE"
