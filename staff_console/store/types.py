"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC on both databases,
    so SQLite (which has no zones) and PostgreSQL agree byte for byte."""

    impl = sa.DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # noqa: ARG002
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):  # noqa: ARG002
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


# Prefix search walks a B-tree with `>= q AND < q_next`. PostgreSQL must compare in the "C"
# collation for that (a locale collation does not order by code point); SQLite's BINARY does.
SortableText = sa.String().with_variant(sa.String(collation="C"), "postgresql")
