"""Which constraint a write violated, by name: callers tell violations apart by the constraint
(e.g. `uq_request_pending` -> DUPLICATE_PENDING), never by the driver's message text.

PostgreSQL names it (psycopg's diagnostics). SQLite names a CHECK constraint in its message but
names a unique index only by its columns ("UNIQUE constraint failed: request.customer_id, ..."):
those columns are looked up among the unique indexes and constraints of the tables' metadata.
Reading SQLite's message happens here and only here.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .tables import metadata as _METADATA

UQ_REQUEST_PENDING = "uq_request_pending"  # one pending request per customer, channel, kind
UQ_CREDENTIAL_CURRENT = "uq_credential_current"  # one current credential per customer, channel

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$", re.MULTILINE)
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")


def _unique_names(metadata: sa.MetaData) -> dict[tuple[str, frozenset[str]], str]:
    names: dict[tuple[str, frozenset[str]], str] = {}
    for table in metadata.tables.values():
        for index in table.indexes:
            if index.unique and index.name:
                names[(table.name, frozenset(c.name for c in index.columns))] = str(index.name)
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint) and constraint.name:
                key = (table.name, frozenset(c.name for c in constraint.columns))
                names[key] = str(constraint.name)
    return names


def violated_constraint(exc: IntegrityError, metadata: sa.MetaData | None = None) -> str | None:
    """The name of the constraint `exc` reports, or None when the database does not say."""
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return str(name)
    message = str(exc.orig)
    if found := _SQLITE_CHECK.search(message):
        return found.group(1)
    if found := _SQLITE_UNIQUE.search(message):
        columns = [part.strip().split(".") for part in found.group(1).split(",")]
        tables = {table for table, _ in columns}
        if len(tables) == 1:
            key = (tables.pop(), frozenset(column for _, column in columns))
            return _unique_names(metadata or _METADATA).get(key)
    return None
