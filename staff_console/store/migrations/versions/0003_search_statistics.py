"""finer statistics for the name and 초성 columns (PostgreSQL), so prefix searches plan well

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 02:10:00

A prefix search (`name >= '홍' AND name < '홎' ORDER BY name, customer_no LIMIT 51`) should
walk `ix_customer_name` and stop after one page. With the default 100-bucket histogram,
PostgreSQL estimated 49 rows for a surname that has 10,827 at 1M customers, chose a bitmap scan
and a sort of all of them, and took 107 ms instead of 0.2 ms (bench_core: one-syllable prefix
p95 46 ms). With 1000 buckets the estimate is within about 0.1% of the table (9,774 for that
surname) and every surname tried plans the index walk. The statistics are taken by ANALYZE
(autovacuum, or the demo loader's ANALYZE after a bulk load). SQLite has no such setting.
"""
from __future__ import annotations

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_COLUMNS = ("name", "name_chosung")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in _COLUMNS:
        op.execute(f"ALTER TABLE customer ALTER COLUMN {column} SET STATISTICS 1000")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in _COLUMNS:
        op.execute(f"ALTER TABLE customer ALTER COLUMN {column} SET STATISTICS -1")
