"""the audit chain head carries a keyed MAC over (seq, hash)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 07:30:00

Without it, someone with write access to the database could delete the newest events and move
the head back to the new last event (or delete every event and reset the head to the genesis),
and the chain would verify. The migration has no key, so the column starts empty; `db init`
(which has the key) verifies the chain of an existing store and then seals its head
(store/audit.py `init_chain`). Until then appends refuse with AUDIT_TAMPERED.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("mac", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("mac")
