"""The channel back-ends' API keys: an admin creates one per back-end and channel, shown once,
and revokes it; the channel API authenticates every call with one (server/routes_channel.py).

A key is 32 random bytes (secrets), printed as `sck_<channel>_<base64url>`; the store keeps its
SHA-256 only, so neither a copy of the table nor the audit trail can call the API. A key acts
for its own channel only (the caller checks `ChannelCaller.channel`). Creating and revoking are
audit events naming the key by id and name, never the key.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from ..domain.authority import Actor, Role, require_role
from ..domain.bounds import row_id
from ..domain.channels import parse_channel
from ..domain.clock import Clock
from ..domain.errors import ConsoleError, not_found
from ..domain.text import clean_text
from ..store import channel_keys as keys_store
from ..store.engine import Tx
from .backend import Backend
from .common import current_staff, event, record
from .views import ChannelKeyView, NewChannelKey

_ADMIN = frozenset({Role.ADMIN})
PREFIX = "sck_"
MAX_PRESENTED = 100  # longer than any key this module makes: refused unread


@dataclass(frozen=True)
class ChannelCaller:
    """Who calls the channel API: the key's id (for its idempotency records) and channel."""

    key_id: int
    channel: str
    name: str


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _view(row: keys_store.KeyRow) -> ChannelKeyView:
    return ChannelKeyView(*row)


def create_key(backend: Backend, actor: Actor, channel: str, name: str | None = None, *,
               clock: Clock) -> NewChannelKey:
    """A new key for `channel` (admin). The answer holds the key: the only time it is shown."""
    require_role(actor, _ADMIN, "create channel keys")
    chan = parse_channel(channel)
    label = clean_text(name or f"{chan.value} back-end", "name", limit=60) or chan.value
    secret = f"{PREFIX}{chan.value}_{secrets.token_urlsafe(32)}"
    now = clock.now()

    def work(s: Tx) -> NewChannelKey:
        current_staff(s, actor)
        key_id = keys_store.insert_key(s, channel=chan.value, name=label,
                                       key_hash=key_hash(secret), created_by=actor.staff_id,
                                       now=now)
        record(s, backend.store, now, event(actor, "channel_key.created",
                                            target=f"channel_key:{key_id}",
                                            detail={"channel": chan.value, "name": label}))
        row = keys_store.key_by_id(s, key_id)
        assert row is not None
        return NewChannelKey(key=_view(row), secret=secret)

    return backend.store.run(work)


def revoke_key(backend: Backend, actor: Actor, key_id: int, *, clock: Clock) -> ChannelKeyView:
    """Revoke a key (admin): from the next call on, every server process refuses it."""
    require_role(actor, _ADMIN, "revoke channel keys")
    key_id = row_id(key_id, "key_id")
    now = clock.now()

    def work(s: Tx) -> ChannelKeyView:
        current_staff(s, actor)
        if keys_store.key_by_id(s, key_id) is None:
            raise not_found("channel_key", key_id)
        if keys_store.revoke_key(s, key_id, now):
            record(s, backend.store, now, event(actor, "channel_key.revoked",
                                                target=f"channel_key:{key_id}"))
        row = keys_store.key_by_id(s, key_id)
        assert row is not None
        return _view(row)

    return backend.store.run(work)


def list_keys(backend: Backend, actor: Actor, *, clock: Clock) -> list[ChannelKeyView]:
    require_role(actor, _ADMIN, "list channel keys")

    def work(s: Tx) -> list[ChannelKeyView]:
        current_staff(s, actor)
        return [_view(row) for row in keys_store.all_keys(s)]

    return backend.store.run(work, reads_only=True)


def _refused() -> ConsoleError:
    # No key, an unknown or a revoked one: the same answer, so a caller learns nothing about
    # which keys exist.
    return ConsoleError("AUTH_REQUIRED", "a valid channel key is required")


def presented_hash(presented: str | None) -> str:
    """The SHA-256 a presented key is looked up by, or AUTH_REQUIRED if it cannot be a key."""
    text = (presented or "").strip()
    if not text.startswith(PREFIX) or len(text) > MAX_PRESENTED:
        raise _refused()
    return key_hash(text)


def caller_in(s: Tx, digest: str) -> ChannelCaller:
    """The caller of the key with SHA-256 `digest`, read in the caller's transaction."""
    row = keys_store.key_by_hash(s, digest)
    if row is None or row.revoked_at is not None:
        raise _refused()
    return ChannelCaller(key_id=row.id, channel=row.channel, name=row.name)


def authenticate(backend: Backend, presented: str | None) -> ChannelCaller:
    """The caller of a channel key, or AUTH_REQUIRED."""
    digest = presented_hash(presented)
    return backend.store.run(lambda s: caller_in(s, digest), snapshot=True)
