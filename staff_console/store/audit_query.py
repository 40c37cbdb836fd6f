"""The audit trail's reads for the services: filtered lists and exports, newest first, and the
signed head that anchors and sign-offs vouch for. Rows, not ORM objects (Core on the caller's
connection); the services turn them into views."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from .audit_head import read_head
from .chain import checked_head, tampered
from .keyring import Keyring
from .meta import STORE_ID, get_setting
from .tables import AUDIT_EVENT, STAFF

_EVENT = AUDIT_EVENT
_STAFF = STAFF
# What a listed event shows (the chain's links are not shown).
LISTED = ("seq", "at", "actor", "terminal", "action", "category", "customer_no", "target",
          "detail")


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events to read; None: no condition. Text is as the service cleaned it."""

    customer_no: str | None = None
    actor: str | None = None
    action_prefix: str | None = None
    category: str | None = None
    at_from: datetime | None = None  # inclusive
    at_before: datetime | None = None  # exclusive
    before_seq: int | None = None  # exclusive
    actor_branch: str | None = None  # only events by staff of this branch


def _select(where: EventFilter) -> sa.Select:
    query = sa.select(*(_EVENT.c[name] for name in LISTED))
    if where.customer_no:
        query = query.where(_EVENT.c.customer_no == where.customer_no)
    if where.actor:
        query = query.where(_EVENT.c.actor == where.actor)
    if where.action_prefix:
        query = query.where(_EVENT.c.action.startswith(where.action_prefix, autoescape=True))
    if where.category:
        query = query.where(_EVENT.c.category == where.category)
    if where.at_from is not None:
        query = query.where(_EVENT.c.at >= where.at_from)
    if where.at_before is not None:
        query = query.where(_EVENT.c.at < where.at_before)
    if where.before_seq:
        query = query.where(_EVENT.c.seq < where.before_seq)
    if where.actor_branch is not None:
        query = query.where(_EVENT.c.actor.in_(
            sa.select(_STAFF.c.employee_no).where(_STAFF.c.branch_code == where.actor_branch)))
    return query.order_by(_EVENT.c.seq.desc())


def newest(conn: sa.Connection, where: EventFilter, limit: int) -> list[sa.Row]:
    """At most `limit` matching events, newest first."""
    return list(conn.execute(_select(where).limit(limit)).all())


def stream_newest(conn: sa.Connection, where: EventFilter, batch: int) -> Iterator[sa.Row]:
    """Every matching event, newest first, fetched `batch` rows at a time (an export of a long
    trail in flat memory)."""
    yield from conn.execute(_select(where).execution_options(yield_per=batch))


def last_event(conn: sa.Connection) -> sa.Row:
    """The newest chained event."""
    return conn.execute(sa.select(*(_EVENT.c[name] for name in LISTED))
                        .order_by(_EVENT.c.seq.desc()).limit(1)).one()


def event_at(conn: sa.Connection, seq: int) -> sa.Row | None:
    """The chained event with this seq (listed columns), or None."""
    return conn.execute(sa.select(*(_EVENT.c[name] for name in LISTED))
                        .where(_EVENT.c.seq == seq)).first()


def store_id(conn: sa.Connection) -> str:
    """The store's id; AUDIT_TAMPERED if it was deleted (written once, at `db init`)."""
    found = get_setting(conn, STORE_ID)
    if found is None:
        raise tampered("the store has no id (deleted outside the console); run "
                       "`staff-console audit verify`")
    return found


def signed_head(conn: sa.Connection, keyring: Keyring) -> tuple[str, int, str]:
    """(store id, seq, hash) of the chain's head, checked: its MAC, and the event it names. An
    anchor or a sign-off never vouches for a head that was cut."""
    seq, digest = checked_head(keyring, read_head(conn))
    if seq and conn.execute(sa.select(_EVENT.c.hash).where(_EVENT.c.seq == seq)
                            ).scalar() != digest:
        raise tampered(f"the chain head names event {seq}, which is missing or different; "
                       "run `staff-console audit verify`")
    return store_id(conn), seq, digest
