"""The tables, as SQLAlchemy Core `Table`s on one `MetaData`. Nothing here leaves the services:
they hand plain views to the layers above.

No ORM: every statement is Core on a `Connection` (store/engine.py `Tx`), so the ORM is never
imported by a command or the app. The DDL these produce is the migrations' (store/migrations):
`metadata` is what Alembic compares a store against, and a test keeps the two equal. The
defaults below are Python-side column defaults (no server default), as they always were.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table

from ..domain.states import CURRENT_VALUES
from .types import SortableText, UTCDateTime

# The partial unique index of "current" credentials, from the domain's one definition.
CURRENT_CONDITION = "status IN (" + ", ".join(f"'{v}'" for v in CURRENT_VALUES) + ")"
# 64-bit integers; SQLite's INTEGER already is (and only INTEGER PRIMARY KEY autoincrements).
BIG_INTEGER = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

metadata = sa.MetaData()

# The partial unique indexes' conditions. SQLAlchemy validates an index's `postgresql_where` by
# importing its whole postgresql dialect package (every driver's module, asyncpg's and asyncio
# with it): a command on a SQLite store should not pay for that. So the PostgreSQL form is added
# by `postgresql_options`, which whatever talks to PostgreSQL or renders its DDL calls first
# (store/engine.py `make_engine`, the migrations' env.py); the SQLite form is there from the
# start. The DDL is the migrations' either way; tests/store/test_tables.py checks both.
_PARTIAL: list[tuple[Index, str]] = []
_postgresql_ready = False


def _partial_unique(name: str, *columns: str, where: str) -> Index:
    index = Index(name, *columns, unique=True, sqlite_where=sa.text(where))
    _PARTIAL.append((index, where))
    return index


def postgresql_options() -> None:
    """Give the partial indexes their PostgreSQL condition (idempotent; loads the dialect)."""
    global _postgresql_ready
    if _postgresql_ready:
        return
    for index, where in _PARTIAL:
        index.dialect_kwargs["postgresql_where"] = sa.text(where)
    _postgresql_ready = True


def _id() -> Column:
    return Column("id", Integer, primary_key=True)


def _at(name: str, *, null: bool = False) -> Column:
    return Column(name, UTCDateTime, nullable=null)


BRANCH = Table(
    "branch", metadata,
    Column("code", String(10), primary_key=True),
    Column("name", String(), nullable=False),
)

STAFF = Table(
    "staff", metadata,
    _id(),
    Column("employee_no", String(20), nullable=False, unique=True),
    Column("name", String(), nullable=False),
    Column("branch_code", String(), ForeignKey("branch.code"), nullable=False, index=True),
    Column("role", String(10), nullable=False),
    Column("password_hash", String(), nullable=False),
    Column("failed_sign_ins", Integer, nullable=False, default=0),
    _at("locked_at", null=True),
    Column("active", Boolean, nullable=False, default=True),
    _at("created_at"),
)

CUSTOMER = Table(
    "customer", metadata,
    _id(),
    Column("customer_no", SortableText, nullable=False, unique=True),
    Column("name", SortableText, nullable=False),
    Column("name_chosung", SortableText, nullable=False),
    # keyed hash: lookup without decrypting
    Column("id_hash", String(64), nullable=False, unique=True),
    Column("id_cipher", String(), nullable=False),  # AES-GCM, base64
    Column("id_masked", String(16), nullable=False),
    Column("birth_yymmdd", String(6), nullable=True),
    Column("customer_type", String(12), nullable=False),
    Column("nationality", String(10), nullable=False),
    Column("phone", String(16), nullable=False),
    Column("phone_digits", String(12), nullable=False),
    Column("phone_last4", String(4), nullable=False),
    Column("online_trading", Boolean, nullable=False),
    Column("branch_code", String(), ForeignKey("branch.code"), nullable=False, index=True),
    _at("created_at"),
    Index("ix_customer_name", "name", "customer_no"),
    Index("ix_customer_chosung", "name_chosung", "name", "customer_no"),
    Index("ix_customer_birth", "birth_yymmdd", "name", "customer_no"),
    Index("ix_customer_phone_last4", "phone_last4", "name", "customer_no"),
    Index("ix_customer_phone_digits", "phone_digits"),
)

ACCOUNT = Table(
    "account", metadata,
    Column("account_no", String(20), primary_key=True),
    Column("customer_id", Integer, ForeignKey("customer.id"), nullable=False, index=True),
)

CREDENTIAL = Table(
    "credential", metadata,
    _id(),
    Column("customer_id", Integer, ForeignKey("customer.id"), nullable=False),
    Column("channel", String(3), nullable=False),
    Column("status", String(10), nullable=False),
    Column("device_id", String(128), nullable=False),
    Column("device_model", String(64), nullable=True),
    Column("biometrics", String(12), nullable=False, default="none"),
    Column("methods", String(40), nullable=False),  # comma-separated, in METHOD_ORDER
    Column("key_fingerprint", String(100), nullable=True),
    _at("created_at"),
    _at("activated_at", null=True),
    Column("valid_until", Date, nullable=True),  # last valid day, Korea time
    _at("last_used_at", null=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    _at("ended_at", null=True),
    Column("end_reason", String(200), nullable=True),  # domain.states.EndReason
    # Its successor (end_reason "replaced"); deferred, as migration 0007 made it.
    Column("replaced_by", Integer, ForeignKey("credential.id", name="fk_credential_replaced_by",
                                              deferrable=True, initially="DEFERRED")),
    # At most one current (active or locked) credential per customer and channel,
    # enforced by the database whatever the interleaving of transactions.
    _partial_unique("uq_credential_current", "customer_id", "channel", where=CURRENT_CONDITION),
    Index("ix_credential_customer", "customer_id", "channel"),
    Index("ix_credential_validity", "status", "valid_until"),
)

REQUEST = Table(
    "request", metadata,
    _id(),
    Column("kind", String(12), nullable=False),
    Column("customer_id", Integer, ForeignKey("customer.id"), nullable=False),
    Column("channel", String(3), nullable=False),
    Column("credential_id", Integer, ForeignKey("credential.id"), nullable=False),
    Column("branch_code", String(), ForeignKey("branch.code"), nullable=False),
    Column("origin", String(8), nullable=False),  # channel | branch
    Column("maker_staff_id", Integer, ForeignKey("staff.id"), nullable=True),
    Column("status", String(10), nullable=False),
    Column("reason", String(20), nullable=True),
    Column("note", String(), nullable=True),
    _at("created_at"),
    _at("expires_at"),
    _at("decided_at", null=True),
    Column("decider_staff_id", Integer, ForeignKey("staff.id"), nullable=True),
    Column("authority", String(10), nullable=True),
    Column("delegation_id", Integer, ForeignKey("delegation.id"), nullable=True),
    Column("decision_note", String(), nullable=True),
    # One pending request per customer, channel and kind: concurrent intakes end in one
    # pending request and a DUPLICATE_PENDING refusal, enforced by the database.
    _partial_unique("uq_request_pending", "customer_id", "channel", "kind",
                    where="status = 'pending'"),
    Index("ix_request_branch_status", "branch_code", "status"),
    Index("ix_request_maker_status", "maker_staff_id", "status"),
    Index("ix_request_status_expires", "status", "expires_at"),
    Index("ix_request_customer", "customer_id"),
)

VERIFICATION = Table(
    "verification", metadata,
    _id(),
    Column("request_id", Integer, ForeignKey("request.id"), nullable=False, index=True),
    Column("kind", String(10), nullable=False),
    Column("passed", Boolean, nullable=False),
    _at("verified_at"),
    Column("detail", String(), nullable=False, default=""),  # masked only
)

DELEGATION = Table(
    "delegation", metadata,
    _id(),
    Column("branch_code", String(), ForeignKey("branch.code"), nullable=False, index=True),
    Column("grantor_id", Integer, ForeignKey("staff.id"), nullable=False),
    Column("delegate_id", Integer, ForeignKey("staff.id"), nullable=False),
    _at("valid_from"),
    _at("valid_until"),
    _at("ended_at", null=True),
    Column("ended_by_id", Integer, ForeignKey("staff.id"), nullable=True),
    _at("created_at"),
    Index("ix_delegation_delegate", "delegate_id", "branch_code"),
)

# Append-only, hash-chained: `hash` = HMAC(prev_hash, this event's canonical form).
AUDIT_EVENT = Table(
    "audit_event", metadata,
    # 64-bit: a busy firm passes 2**31 events within years (migration 0002).
    Column("seq", BIG_INTEGER, primary_key=True, autoincrement=False),
    _at("at"),
    Column("actor", String(20), nullable=False),  # employee number, or "system" / "channel"
    Column("terminal", String(64), nullable=False),
    Column("action", String(40), nullable=False),
    Column("category", String(10), nullable=False),  # event | access
    Column("customer_no", String(20), nullable=True),
    Column("target", String(64), nullable=True),
    Column("detail", String(), nullable=False, default="{}"),  # canonical JSON
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_customer", "customer_no", "seq"),
    Index("ix_audit_actor", "actor", "seq"),
    Index("ix_audit_at", "at"),
)

# Events committed with their transaction but not chained yet (PostgreSQL). A seal moves
# every waiting row into `audit_event`, chained, under the head lock (store/audit.py
# `seal_pending`): right after the commit (CLI) or within tens of milliseconds (the console's
# sealer thread, store/sealer.py). A row stays longer only if its terminal died in between,
# until the next seal by any terminal, or a reader of the trail, picks it up.
AUDIT_OUTBOX = Table(
    "audit_outbox", metadata,
    Column("id", BIG_INTEGER, primary_key=True),
    _at("at"),
    Column("actor", String(20), nullable=False),
    Column("terminal", String(64), nullable=False),
    Column("action", String(40), nullable=False),
    Column("category", String(10), nullable=False),
    Column("customer_no", String(20), nullable=True),
    Column("target", String(64), nullable=True),
    Column("detail", String(), nullable=False, default="{}"),  # canonical JSON
)

# One row: the chain's tip. Appenders lock it, which makes the chain a single line.
AUDIT_HEAD = Table(
    "audit_head", metadata,
    Column("id", Integer, primary_key=True, default=1),
    Column("seq", BIG_INTEGER, nullable=False, default=0),
    Column("hash", String(64), nullable=False),
    # Keyring.head_mac(seq, hash): a head moved or reset by SQL fails it (migration 0004).
    Column("mac", String(64), nullable=True),
)

SETTING = Table(
    "setting", metadata,
    Column("key", String(60), primary_key=True),
    Column("value", String(), nullable=False),
)
