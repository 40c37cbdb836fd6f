"""credential.end_reason is a code (domain.states.EndReason); a replaced credential names its
successor in credential.replaced_by

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 10:05:00

"replaced by #12" was text built by the services and parsed back by the screens. The successor
moves to its own column (a reference, checked by a foreign key), the two other texts become
codes, and the column refuses anything but an EndReason (a CHECK generated from the enum).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from staff_console.store.checks import END_REASON_CHECK

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_REPLACED_PREFIX = "replaced by #"
# The old texts that become codes (the revocation reasons already were codes).
_TEXT_CODES = {"registration rejected": "registration_rejected",
               "request expired": "request_expired"}


def upgrade() -> None:
    with op.batch_alter_table("credential") as batch:
        batch.add_column(sa.Column("replaced_by", sa.Integer(), nullable=True))
        # Deferred: a bulk load writes the old credential before the one that replaced it.
        batch.create_foreign_key("fk_credential_replaced_by", "credential", ["replaced_by"],
                                 ["id"], deferrable=True, initially="DEFERRED")
    start = len(_REPLACED_PREFIX) + 1  # SQL strings count from 1
    op.execute(sa.text(
        f"UPDATE credential SET replaced_by = CAST(substr(end_reason, {start}) AS INTEGER), "
        "end_reason = 'replaced' WHERE end_reason LIKE :prefix"
    ).bindparams(prefix=_REPLACED_PREFIX + "%"))
    for text, code in _TEXT_CODES.items():
        op.execute(sa.text("UPDATE credential SET end_reason = :code WHERE end_reason = :text")
                   .bindparams(code=code, text=text))
    with op.batch_alter_table("credential") as batch:
        batch.create_check_constraint(END_REASON_CHECK.name,
                                      sa.text(END_REASON_CHECK.condition()))


def downgrade() -> None:
    with op.batch_alter_table("credential") as batch:
        batch.drop_constraint(END_REASON_CHECK.name, type_="check")
    for text, code in _TEXT_CODES.items():
        op.execute(sa.text("UPDATE credential SET end_reason = :text WHERE end_reason = :code")
                   .bindparams(code=code, text=text))
    op.execute(sa.text(
        "UPDATE credential SET end_reason = :prefix || CAST(replaced_by AS VARCHAR(20)) "
        "WHERE end_reason = 'replaced' AND replaced_by IS NOT NULL"
    ).bindparams(prefix=_REPLACED_PREFIX))
    with op.batch_alter_table("credential") as batch:
        batch.drop_constraint("fk_credential_replaced_by", type_="foreignkey")
        batch.drop_column("replaced_by")
