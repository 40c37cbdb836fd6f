"""The channel API's writes, each under an Idempotency-Key: a retried call gets the first
answer and never changes anything a second time, whichever server process takes it.

How (store/idempotency.py): the use case's answer is inserted into `idempotency_record` in the
use case's own transaction (its `then` step), so the change and its answer commit together or
not at all. A concurrent retry of the same call waits on the customer's row lock, then either
is refused by the state the first call left (a pending registration: DUPLICATE_PENDING) or
reaches the insert, which the unique (key, Idempotency-Key) constraint refuses and which rolls
its change back; either way it then reads the first call's answer and returns that. A refusal
by a rule (category RULE: the same call would be refused again) is stored as the first answer
too, in a transaction of its own; refusals that may pass on a retry (the store unavailable, no
recent login, a rate limit) are not stored. The same Idempotency-Key with another call (path or
body) is IDEMPOTENCY_CONFLICT.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..domain.clock import Clock
from ..domain.errors import Category, ConsoleError, invalid
from ..store import idempotency as answers
from ..store.engine import Tx
from . import channel_keys
from .backend import Backend
from .channel_keys import ChannelCaller
from .views import as_dict

MAX_IDEMPOTENCY_KEY = 100


@dataclass(frozen=True)
class ChannelAnswer:
    status: int  # the HTTP status the server answers with
    body: dict[str, Any]
    replayed: bool  # the stored first answer of an earlier call with this Idempotency-Key


def call_hash(path: str, body: dict[str, Any]) -> str:
    """What makes two calls the same call: the path and the body's canonical JSON."""
    text = json.dumps([path, body], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_idempotency_key(raw: str | None) -> str:
    key = (raw or "").strip()
    if not key:
        raise invalid("Idempotency-Key", "the header is required on every write")
    if len(key) > MAX_IDEMPOTENCY_KEY or not key.isascii() or not key.isprintable():
        raise invalid("Idempotency-Key", f"at most {MAX_IDEMPOTENCY_KEY} printable ASCII "
                                         "characters")
    return key


def _replay(stored: answers.StoredAnswer, digest: str) -> ChannelAnswer:
    if stored.body_hash != digest:
        raise ConsoleError("IDEMPOTENCY_CONFLICT", "this Idempotency-Key was used for another "
                           "call (another path or body)", field="Idempotency-Key")
    return ChannelAnswer(stored.status, json.loads(stored.response_json), replayed=True)


def run_idempotent(
    backend: Backend, presented_key: str | None, idempotency_key: str | None,
    call_digest: Callable[[], str], use_case: Callable[[Callable[[Tx, Any], None]], Any],
    *, clock: Clock,
    ok_status: int, status_of: Callable[[str], int], error_body: Callable[[ConsoleError], dict],
    admit: Callable[[ChannelCaller], None] = lambda caller: None,
) -> ChannelAnswer:
    """Authenticate `presented_key`; let `admit(caller)` refuse the call (its channel, its
    rate, its body); take the call's `call_digest()` (`call_hash`); then run `use_case(then)`
    once per (key, `idempotency_key`), `then` being the use case's same-transaction step.
    `status_of`/`error_body`: the server's HTTP answer to a refusal, stored as it will be
    replayed. The key and an earlier answer are read in one go (one round trip per call of
    the API besides the use case's own)."""
    key_digest = channel_keys.presented_hash(presented_key)

    def first_look(s: Tx) -> tuple[ChannelCaller, answers.StoredAnswer | None]:
        caller = channel_keys.caller_in(s, key_digest)
        key = (idempotency_key or "").strip()
        return caller, (answers.find_answer(s, caller.key_id, key) if key else None)

    caller, earlier = backend.store.run(first_look, snapshot=True)
    admit(caller)
    key = check_idempotency_key(idempotency_key)
    digest = call_digest()
    if earlier is not None:
        return _replay(earlier, digest)

    def find(s: Tx) -> answers.StoredAnswer | None:
        return answers.find_answer(s, caller.key_id, key)

    def stored_answer() -> ChannelAnswer:
        stored = backend.store.run(find, snapshot=True)
        if stored is None:  # the winner's row is committed before any loser reads: cannot be
            raise ConsoleError("STORE_UNAVAILABLE", "the first answer could not be read; retry")
        return _replay(stored, digest)

    def save(s: Tx, status: int, body: dict) -> None:
        answers.save_answer(s, key_id=caller.key_id, idempotency_key=key, body_hash=digest,
                            status=status, response_json=json.dumps(body, ensure_ascii=False),
                            now=clock.now())

    try:
        view = use_case(lambda s, answer: save(s, ok_status, as_dict(answer)))
    except ConsoleError as exc:
        if exc.category is not Category.RULE:
            raise
        refused = ChannelAnswer(status_of(exc.code), error_body(exc), replayed=False)
        try:
            backend.store.run(lambda s: save(s, refused.status, refused.body))
        except Exception as again:
            if not answers.is_taken(again):
                raise
            return stored_answer()  # a concurrent call answered first: its answer
        return refused
    except Exception as exc:
        if not answers.is_taken(exc):
            raise
        return stored_answer()
    return ChannelAnswer(ok_status, as_dict(view), replayed=False)
