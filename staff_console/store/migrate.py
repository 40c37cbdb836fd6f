"""Create or upgrade the schema with Alembic, programmatically (no alembic.ini to find)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from ..domain.errors import ConsoleError
from .audit import init_chain
from .failures import SCHEMA_HEAD, classify
from .keyring import Keyring

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, keyring: Keyring) -> None:
    """Bring the schema to head, then give a new store its id and its audit chain the genesis
    head, sealed with the key (store/audit.py `init_chain`; a store whose head was deleted is
    refused, never given a new one). A store that cannot take it answers with its code
    (store/failures.py), not a driver trace."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except CommandError as exc:  # e.g. the store's revision is unknown: a newer program's
        raise ConsoleError("STORE_VERSION", f"the store's schema is not one this program knows "
                           f"({exc}); update the program") from None
    except DBAPIError as exc:
        known = classify(exc)
        if known is None:
            raise
        raise known from None
    log.info("schema at %s", SCHEMA_HEAD)
    with Session(engine) as session, session.begin():
        init_chain(session, keyring)
