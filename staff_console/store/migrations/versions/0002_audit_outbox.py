"""audit outbox: events wait here between their transaction's commit and the chain; 64-bit seq

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 23:00:00

On PostgreSQL, use cases no longer take the audit head lock inside their own transaction: they
insert their events into `audit_outbox` and, right after commit, move them into the chain in one
short transaction per batch (store/audit.py). SQLite keeps appending directly (it runs one
writer at a time anyway); the table exists there too so that both schemas stay the same.

The audit sequence numbers become 64-bit on PostgreSQL (SQLite's INTEGER already is): at a few
hundred events per second a 32-bit seq runs out within years, and the chain cannot continue past
it.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import staff_console.store.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', staff_console.store.types.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=20), nullable=False),
    sa.Column('terminal', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=10), nullable=False),
    sa.Column('customer_no', sa.String(length=20), nullable=True),
    sa.Column('target', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('audit_event', 'seq', type_=sa.BigInteger(), existing_nullable=False)
        op.alter_column('audit_head', 'seq', type_=sa.BigInteger(), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('audit_head', 'seq', type_=sa.Integer(), existing_nullable=False)
        op.alter_column('audit_event', 'seq', type_=sa.Integer(), existing_nullable=False)
    op.drop_table('audit_outbox')
