"""The statements of the store's identity and key checks (services/store_identity.py): its
identity settings, whether it holds data, the rows that prove a key, and the key rotation's
re-encryption and head MAC."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from .tables import AUDIT_EVENT, AUDIT_HEAD, CUSTOMER, SETTING

_SETTING = SETTING
_CUSTOMER = CUSTOMER
_EVENT = AUDIT_EVENT
_HEAD = AUDIT_HEAD
_bp = sa.bindparam

_SETTINGS = sa.select(_SETTING.c.key, _SETTING.c.value).where(
    _SETTING.c.key.in_(_bp("keys", expanding=True)))
_HAS_DATA = sa.select(sa.exists().where(_EVENT.c.seq > 0) | sa.exists().where(_CUSTOMER.c.id > 0))
_FIRST_EVENT = sa.select(_EVENT).where(_EVENT.c.seq == 1)
_FIRST_CUSTOMER = sa.select(_CUSTOMER.c.id_hash, _CUSTOMER.c.id_cipher).order_by(
    _CUSTOMER.c.id).limit(1)
_HEAD_NOW = sa.select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1)
_SET_HEAD_MAC = sa.update(_HEAD).where(_HEAD.c.id == 1).values(mac=_bp("new_mac"))
_CIPHERS_AFTER = sa.select(_CUSTOMER.c.id, _CUSTOMER.c.id_cipher).where(
    _CUSTOMER.c.id > _bp("after")).order_by(_CUSTOMER.c.id).limit(_bp("batch"))
_SET_ID = sa.update(_CUSTOMER).where(_CUSTOMER.c.id == _bp("cid")).values(
    id_hash=_bp("h"), id_cipher=_bp("c"))


def has_schema(conn: Connection) -> bool:
    """The store has tables (its `setting` table) at all."""
    return sa.inspect(conn).has_table(_SETTING.name)


def settings(conn: Connection, keys: Iterable[str]) -> dict[str, str]:
    """The given settings that exist, in one statement."""
    return dict(conn.execute(_SETTINGS, {"keys": list(keys)}).all())


def has_data(conn: Connection) -> bool:
    """Any audit event or customer."""
    return bool(conn.execute(_HAS_DATA).scalar())


def first_event(conn: Connection) -> Row | None:
    return conn.execute(_FIRST_EVENT).first()


def first_customer(conn: Connection) -> Row | None:
    """(id_hash, id_cipher) of the oldest customer."""
    return conn.execute(_FIRST_CUSTOMER).first()


def head(conn: Connection) -> Row:
    """(seq, hash) of the audit chain's head."""
    return conn.execute(_HEAD_NOW).one()


def set_head_mac(conn: Connection, mac: str) -> None:
    conn.execute(_SET_HEAD_MAC, {"new_mac": mac})


def ciphers_after(conn: Connection, after: int, batch: int) -> list[Row]:
    """(id, id_cipher) of up to `batch` customers with an id above `after`, by id."""
    return list(conn.execute(_CIPHERS_AFTER, {"after": after, "batch": batch}))


def set_ids(conn: Connection, changes: list[dict]) -> None:
    """New (h: lookup hash, c: cipher) of customers (cid), in one call."""
    if changes:
        conn.execute(_SET_ID, changes)
