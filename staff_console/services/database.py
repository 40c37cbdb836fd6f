"""Creating or upgrading the schema (a system job)."""

from __future__ import annotations

from ..store.migrate import upgrade
from .backend import Backend


def init_schema(backend: Backend) -> None:
    upgrade(backend.store.engine)
