"""The tables. Nothing here leaves the services: they hand plain views to the layers above."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ..domain.states import CURRENT_VALUES
from .types import SortableText, UTCDateTime

# The partial unique index of "current" credentials, from the domain's one definition.
CURRENT_CONDITION = "status IN (" + ", ".join(f"'{v}'" for v in CURRENT_VALUES) + ")"
# 64-bit integers; SQLite's INTEGER already is (and only INTEGER PRIMARY KEY autoincrements).
BIG_INTEGER = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Branch(SQLModel, table=True):
    __table__: ClassVar[sa.Table]  # SQLAlchemy's Core table (SQLModel leaves it untyped)
    code: str = Field(primary_key=True, max_length=10)
    name: str


class Staff(SQLModel, table=True):
    __table__: ClassVar[sa.Table]  # SQLAlchemy's Core table (SQLModel leaves it untyped)
    id: int | None = Field(default=None, primary_key=True)
    employee_no: str = Field(unique=True, max_length=20)
    name: str
    branch_code: str = Field(foreign_key="branch.code", index=True)
    role: str = Field(max_length=10)
    password_hash: str
    failed_sign_ins: int = 0
    locked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)


class Customer(SQLModel, table=True):
    __table__: ClassVar[sa.Table]  # SQLAlchemy's Core table (SQLModel leaves it untyped)
    __table_args__ = (
        sa.Index("ix_customer_name", "name", "customer_no"),
        sa.Index("ix_customer_chosung", "name_chosung", "name", "customer_no"),
        sa.Index("ix_customer_birth", "birth_yymmdd", "name", "customer_no"),
        sa.Index("ix_customer_phone_last4", "phone_last4", "name", "customer_no"),
        sa.Index("ix_customer_phone_digits", "phone_digits"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_no: str = Field(unique=True, max_length=20, sa_type=SortableText)
    name: str = Field(sa_type=SortableText)
    name_chosung: str = Field(sa_type=SortableText)
    id_hash: str = Field(unique=True, max_length=64)  # keyed hash: lookup without decrypting
    id_cipher: str  # AES-GCM, base64
    id_masked: str = Field(max_length=16)
    birth_yymmdd: str | None = Field(default=None, max_length=6)
    customer_type: str = Field(max_length=12)
    nationality: str = Field(max_length=10)
    phone: str = Field(max_length=16)
    phone_digits: str = Field(max_length=12)
    phone_last4: str = Field(max_length=4)
    online_trading: bool
    branch_code: str = Field(foreign_key="branch.code", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Account(SQLModel, table=True):
    __table__: ClassVar[sa.Table]  # SQLAlchemy's Core table (SQLModel leaves it untyped)
    account_no: str = Field(primary_key=True, max_length=20)
    customer_id: int = Field(foreign_key="customer.id", index=True)


class Credential(SQLModel, table=True):
    __table__: ClassVar[sa.Table]  # SQLAlchemy's Core table (SQLModel leaves it untyped)
    __table_args__ = (
        # At most one current (active or locked) credential per customer and channel,
        # enforced by the database whatever the interleaving of transactions.
        sa.Index(
            "uq_credential_current",
            "customer_id",
            "channel",
            unique=True,
            sqlite_where=sa.text(CURRENT_CONDITION),
            postgresql_where=sa.text(CURRENT_CONDITION),
        ),
        sa.Index("ix_credential_customer", "customer_id", "channel"),
        sa.Index("ix_credential_validity", "status", "valid_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    channel: str = Field(max_length=3)
    status: str = Field(max_length=10)
    device_id: str = Field(max_length=128)
    device_model: str | None = Field(default=None, max_length=64)
    biometrics: str = Field(default="none", max_length=12)
    methods: str = Field(max_length=40)  # comma-separated, in METHOD_ORDER
    key_fingerprint: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime)
    activated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    valid_until: date | None = None  # last valid day, Korea time
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failed_logins: int = 0
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    end_reason: str | None = Field(default=None, max_length=200)  # domain.states.EndReason
    # Its successor (end_reason "replaced"); deferred, as migration 0007 made it.
    replaced_by: int | None = Field(default=None, sa_column=sa.Column(
        "replaced_by", sa.Integer, sa.ForeignKey("credential.id", name="fk_credential_replaced_by",
                                                 deferrable=True, initially="DEFERRED")))


class Request(SQLModel, table=True):
    __table__: ClassVar[sa.Table]  # SQLAlchemy's Core table (SQLModel leaves it untyped)
    __table_args__ = (
        # One pending request per customer, channel and kind: concurrent intakes end in one
        # pending request and a DUPLICATE_PENDING refusal, enforced by the database.
        sa.Index(
            "uq_request_pending",
            "customer_id",
            "channel",
            "kind",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
        sa.Index("ix_request_branch_status", "branch_code", "status"),
        sa.Index("ix_request_maker_status", "maker_staff_id", "status"),
        sa.Index("ix_request_status_expires", "status", "expires_at"),
        sa.Index("ix_request_customer", "customer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=12)
    customer_id: int = Field(foreign_key="customer.id")
    channel: str = Field(max_length=3)
    credential_id: int = Field(foreign_key="credential.id")
    branch_code: str = Field(foreign_key="branch.code")
    origin: str = Field(max_length=8)  # channel | branch
    maker_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    status: str = Field(max_length=10)
    reason: str | None = Field(default=None, max_length=20)
    note: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decider_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    authority: str | None = Field(default=None, max_length=10)
    delegation_id: int | None = Field(default=None, foreign_key="delegation.id")
    decision_note: str | None = None


class Verification(SQLModel, table=True):
    __table__: ClassVar[sa.Table]  # SQLAlchemy's Core table (SQLModel leaves it untyped)
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    kind: str = Field(max_length=10)
    passed: bool
    verified_at: datetime = Field(sa_type=UTCDateTime)
    detail: str = ""  # masked only


class Delegation(SQLModel, table=True):
    __table__: ClassVar[sa.Table]  # SQLAlchemy's Core table (SQLModel leaves it untyped)
    __table_args__ = (sa.Index("ix_delegation_delegate", "delegate_id", "branch_code"),)

    id: int | None = Field(default=None, primary_key=True)
    branch_code: str = Field(foreign_key="branch.code", index=True)
    grantor_id: int = Field(foreign_key="staff.id")
    delegate_id: int = Field(foreign_key="staff.id")
    valid_from: datetime = Field(sa_type=UTCDateTime)
    valid_until: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_by_id: int | None = Field(default=None, foreign_key="staff.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained: `hash` = HMAC(prev_hash, this event's canonical form)."""

    __table__: ClassVar[sa.Table]  # SQLAlchemy's Core table (SQLModel leaves it untyped)

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ix_audit_customer", "customer_no", "seq"),
        sa.Index("ix_audit_actor", "actor", "seq"),
        sa.Index("ix_audit_at", "at"),
    )

    # 64-bit: a busy firm passes 2**31 events within years (migration 0002).
    seq: int = Field(primary_key=True, sa_type=BIG_INTEGER,
                     sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=20)  # employee number, or "system" / "channel"
    terminal: str = Field(max_length=64)
    action: str = Field(max_length=40)
    category: str = Field(max_length=10)  # event | access
    customer_no: str | None = Field(default=None, max_length=20)
    target: str | None = Field(default=None, max_length=64)
    detail: str = "{}"  # canonical JSON
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditOutbox(SQLModel, table=True):
    """Events committed with their transaction but not chained yet (PostgreSQL). A seal moves
    every waiting row into `audit_event`, chained, under the head lock (store/audit.py
    `seal_pending`): right after the commit (CLI) or within tens of milliseconds (the console's
    sealer thread, store/sealer.py). A row stays longer only if its terminal died in between,
    until the next seal by any terminal, or a reader of the trail, picks it up."""

    __table__: ClassVar[sa.Table]  # SQLAlchemy's Core table (SQLModel leaves it untyped)

    __tablename__ = "audit_outbox"

    id: int | None = Field(default=None, primary_key=True,
                           sa_type=BIG_INTEGER)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=20)
    terminal: str = Field(max_length=64)
    action: str = Field(max_length=40)
    category: str = Field(max_length=10)
    customer_no: str | None = Field(default=None, max_length=20)
    target: str | None = Field(default=None, max_length=64)
    detail: str = "{}"  # canonical JSON


class AuditHead(SQLModel, table=True):
    """One row: the chain's tip. Appenders lock it, which makes the chain a single line."""

    __table__: ClassVar[sa.Table]  # SQLAlchemy's Core table (SQLModel leaves it untyped)

    __tablename__ = "audit_head"
    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0, sa_type=BIG_INTEGER)
    hash: str = Field(max_length=64)
    # Keyring.head_mac(seq, hash): a head moved or reset by SQL fails it (migration 0004).
    mac: str | None = Field(default=None, max_length=64)


class Setting(SQLModel, table=True):
    __table__: ClassVar[sa.Table]  # SQLAlchemy's Core table (SQLModel leaves it untyped)
    key: str = Field(primary_key=True, max_length=60)
    value: str
