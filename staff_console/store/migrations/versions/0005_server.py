"""the console server: staff sessions, channel API keys, idempotency records

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 09:40:00

Terminals become clients of `staff-console serve` (issue 14). A staff session lives in the
database, not in a server process's memory, so that several server processes over one store
agree on who is signed in and a sign-out or an admin's lock ends every session at once. Tokens
and channel keys are stored only as their SHA-256 (a copy of the table opens nothing).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import staff_console.store.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

UTC_DATETIME = staff_console.store.types.UTCDateTime
BIG_INTEGER = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "staff_session",
        sa.Column("id", BIG_INTEGER, primary_key=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("terminal", sa.String(length=64), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_DATETIME(), nullable=False),
        sa.Column("last_seen_at", UTC_DATETIME(), nullable=False),
        sa.Column("locked_at", UTC_DATETIME(), nullable=True),
        sa.Column("ended_at", UTC_DATETIME(), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
    )
    op.create_index("ix_staff_session_staff", "staff_session", ["staff_id", "ended_at"])
    op.create_table(
        "channel_key",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("created_at", UTC_DATETIME(), nullable=False),
        sa.Column("revoked_at", UTC_DATETIME(), nullable=True),
    )
    op.create_table(
        "idempotency_record",
        sa.Column("id", BIG_INTEGER, primary_key=True),
        sa.Column("channel_key_id", sa.Integer(), sa.ForeignKey("channel_key.id"),
                  nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("response_json", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME(), nullable=False),
        sa.UniqueConstraint("channel_key_id", "idempotency_key",
                            name="uq_idempotency_key"),
    )


def downgrade() -> None:
    op.drop_table("idempotency_record")
    op.drop_table("channel_key")
    op.drop_index("ix_staff_session_staff", table_name="staff_session")
    op.drop_table("staff_session")
