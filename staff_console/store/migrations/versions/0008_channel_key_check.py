"""channel_key.channel refuses anything but a domain Channel (a CHECK generated from the enum)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 13:00:00

Migration 0006 gave every enum column its CHECK; the server's channel_key table (0005) was left
out. A key row for a channel the domain does not know would authenticate calls no route expects.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from staff_console.store.checks import CHANNEL_KEY_CHECK

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channel_key") as batch:
        batch.create_check_constraint(CHANNEL_KEY_CHECK.name,
                                      sa.text(CHANNEL_KEY_CHECK.condition()))


def downgrade() -> None:
    with op.batch_alter_table("channel_key") as batch:
        batch.drop_constraint(CHANNEL_KEY_CHECK.name, type_="check")
