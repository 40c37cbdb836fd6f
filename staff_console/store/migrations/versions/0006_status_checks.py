"""CHECK constraints on the columns holding a domain enum's value, generated from the enums

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 10:00:00

Every column that holds an enum's value (statuses, kinds, roles, channels, reasons) refuses a
value the domain does not know, whatever path wrote it (store/checks.py generates the
constraints from the enums). SQLite adds a constraint by rebuilding the table (batch mode,
which keeps its indexes, the partial unique ones included); PostgreSQL adds them in place.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from staff_console.store.checks import ENUM_CHECKS

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def _tables() -> list[str]:
    return list(dict.fromkeys(check.table for check in ENUM_CHECKS))


def upgrade() -> None:
    for table in _tables():
        with op.batch_alter_table(table) as batch:
            for check in ENUM_CHECKS:
                if check.table == table:
                    batch.create_check_constraint(check.name, sa.text(check.condition()))


def downgrade() -> None:
    for table in _tables():
        with op.batch_alter_table(table) as batch:
            for check in ENUM_CHECKS:
                if check.table == table:
                    batch.drop_constraint(check.name, type_="check")
