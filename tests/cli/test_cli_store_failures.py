"""The CLI answers a store it cannot use with the store's code and exit 1, never a trace."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template


def _set_version(url: str, version: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = ?", (version,))
    engine.dispose()


def test_cli_on_a_non_database_file(fresh_cli):
    fresh_cli.db_path.parent.mkdir(parents=True)
    fresh_cli.db_path.write_bytes(b"not a database\n" * 500)
    fresh_cli.fail(1, "STORE_NOT_A_DATABASE", "expire")
    fresh_cli.fail(1, "STORE_NOT_A_DATABASE", "db", "init")


def test_cli_on_an_empty_database(fresh_cli):
    fresh_cli.db_path.parent.mkdir(parents=True)
    sqlite3.connect(fresh_cli.db_path).close()
    result = fresh_cli.fail(1, "STORE_NOT_INITIALISED", "customer", "search", "홍", "--as", "T001")
    assert "db init" in result.stderr


def test_cli_on_a_newer_store(cli):
    _set_version(f"sqlite:///{cli.db_path}", "9999")
    cli.fail(1, "STORE_VERSION", "customer", "search", "홍", "--as", "T001")
