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
from .audit import ensure_head
from .failures import SCHEMA_HEAD, classify

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to head, then make sure the audit chain has its genesis head. A store
    that cannot take it answers with its code (store/failures.py), not a driver trace."""
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
        ensure_head(session)
