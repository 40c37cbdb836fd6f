"""Create or upgrade the schema with Alembic, programmatically (no alembic.ini to find)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from ..domain.errors import ConsoleError
from .audit import init_chain
from .failures import SCHEMA_HEAD, classify
from .keyring import Keyring

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD_MAC_REVISION = "0004"  # the migration that gave the chain head its MAC


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, keyring: Keyring) -> None:
    """Bring the schema to head, then give a new store its id and its audit chain the genesis
    head, sealed with the key (store/audit.py `init_chain`; a store whose head was deleted is
    refused, never given a new one). A store that cannot take it answers with its code
    (store/failures.py), not a driver trace.

    One transaction: the migrations and the chain's head. A head without a MAC is sealed only
    when this very upgrade added the MAC column (a store from before 0004); anywhere else it
    was tampered with, and sealing it would launder the tampering."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.connect() as connection, _foreign_keys_checked_at_end(connection):
            with connection.begin():
                before = MigrationContext.configure(connection).get_current_revision()
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                init_chain(connection, keyring, seal_unkeyed=before is not None
                           and before < HEAD_MAC_REVISION)
                if MigrationContext.configure(connection).get_current_revision() != before:
                    _check_foreign_keys(connection)  # only after a migration: a full scan
    except CommandError as exc:  # e.g. the store's revision is unknown: a newer program's
        raise ConsoleError("STORE_VERSION", f"the store's schema is not one this program knows "
                           f"({exc}); update the program") from None
    except DBAPIError as exc:
        known = classify(exc)
        if known is None:
            raise
        raise known from None
    log.info("schema at %s", SCHEMA_HEAD)


@contextmanager
def _foreign_keys_checked_at_end(connection: Connection) -> Iterator[None]:
    """SQLite changes a table's constraints by rebuilding it (Alembic's batch mode: copy, drop,
    rename), and with foreign keys enforced dropping a table that others reference fails. So
    they are off while migrating (the pragma works only outside a transaction, hence on the
    driver's connection before BEGIN) and every reference is checked before commit instead
    (`_check_foreign_keys`), as SQLite's documentation for schema changes describes."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    assert raw is not None  # a live connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"the migration left broken references: {broken[:5]}")
