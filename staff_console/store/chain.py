"""The audit chain itself, with no database: what an event's hash covers, how events link, the
keyed head, and the verdict on a stream of stored events.

Pure (no driver, no SQL: an import contract in pyproject.toml keeps it so): the store modules
read and write rows (store/audit.py and its strategy per database, store/audit_sqlite.py and
store/audit_postgres.py) and call these functions on plain tuples.

* An event's hash is `keyring.chain_hash(prev_hash, canonical_event(...))`: HMAC under the
  chain key of its epoch (the key changes at each rotation, services/store_identity.py), over a
  canonical JSON text of its seq, instant (ISO, UTC) and fields, so any edit, move or
  re-chaining without the key changes it.
* The head row (seq, hash, mac) names the newest event; `mac` = keyring.head_mac(seq, hash),
  so cutting the newest events and moving the head back needs the key (store/audit.py).
* A verdict names the first problem as a code (domain/trail.py ChainProblem), with the seqs
  it concerns: never a sentence for a caller to parse.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..domain.errors import ConsoleError
from ..domain.trail import AnchorFault, ChainProblem
from .keyring import GENESIS_HASH, Keyring


@dataclass(frozen=True, slots=True)
class NewEvent:
    actor: str
    terminal: str
    action: str
    category: str = "event"  # "access" for reads of customer data (개인정보 접속기록)
    customer_no: str | None = None
    target: str | None = None
    detail: dict = field(default_factory=dict)


# The columns of a chained event, in audit_event's order (store/audit.py checks the table
# against it): `link` returns rows as tuples in this order.
CHAINED_FIELDS = ("seq", "at", "actor", "terminal", "action", "category", "customer_no",
                  "target", "detail", "prev_hash", "hash")
SEQ, AT, PREV, HASH = (CHAINED_FIELDS.index(n) for n in ("seq", "at", "prev_hash", "hash"))

# Built once (json.dumps would build an encoder per call; the output is the same).
_DETAIL_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                                default=str)
_EVENT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def canonical_detail(detail: dict) -> str:
    return _DETAIL_JSON.encode(detail)


def canonical_event(seq: int, at: datetime, actor: str, terminal: str, action: str,
                    category: str, customer_no: str | None, target: str | None,
                    detail: str) -> bytes:
    return canonical(seq, at.isoformat(), actor, terminal, action, category, customer_no,
                     target, detail)


def canonical(seq, at_iso, actor, terminal, action, category, customer_no, target,
              detail) -> bytes:
    """What an event's hash covers; `at_iso` the instant as `datetime.isoformat` of UTC."""
    body = [seq, at_iso, actor, terminal, action, category, customer_no, target, detail]
    return _EVENT_JSON.encode(body).encode()


def event_fields(events: Iterable[NewEvent], at: datetime) -> list[tuple]:
    """(at, actor, terminal, action, category, customer_no, target, detail text) per event;
    a detail object shared by many events (a bulk import) is encoded once."""
    encoded: dict[int, str] = {}
    rows = []
    for e in events:
        text = encoded.get(id(e.detail))
        if text is None:
            text = encoded[id(e.detail)] = _DETAIL_JSON.encode(e.detail)
        rows.append((at, e.actor, e.terminal, e.action, e.category, e.customer_no, e.target,
                     text))
    return rows


def link(keyring: Keyring, seq: int, prev: str, events: Iterable[tuple],
         ) -> tuple[list[tuple], int, str]:
    """Chain `events` (as `event_fields` gives them, `at` an aware UTC datetime) after the
    head (seq, prev): the rows in CHAINED_FIELDS order, and the new head's seq and hash."""
    rows = []
    last_at = last_iso = None
    for at, actor, terminal, action, category, customer_no, target, detail in events:
        seq += 1
        if at is not last_at:  # a use case's events share one instant: format it once
            last_at, last_iso = at, at.isoformat()
        digest = keyring.chain_hash(prev, canonical(
            seq, last_iso, actor, terminal, action, category, customer_no, target, detail))
        rows.append((seq, at, actor, terminal, action, category, customer_no, target, detail,
                     prev, digest))
        prev = digest
    return rows, seq, prev


def tampered(message: str) -> ConsoleError:
    return ConsoleError("AUDIT_TAMPERED", message)


def head_is_sound(keyring: Keyring, head: Sequence | None) -> bool:
    """Whether a head row (seq, hash, mac) exists and passes its MAC."""
    return head is not None and head[2] is not None and hmac.compare_digest(
        head[2], keyring.head_mac(head[0], head[1]))


def checked_head(keyring: Keyring, head: Sequence | None) -> tuple[int, str]:
    """(seq, hash) of a head row (seq, hash, mac) that passes its MAC; AUDIT_TAMPERED if the
    row is missing or fails: nothing may be chained onto it."""
    if head is None:
        raise tampered("the audit chain head is missing (deleted outside the console); "
                       "run `staff-console audit verify` and restore the store from a backup")
    if not head_is_sound(keyring, head):
        raise tampered("the audit chain head fails its check (moved or reset outside the "
                       "console); run `staff-console audit verify`")
    return head[0], head[1]


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    """`missing`: the seqs (first, last) whose events are gone or can no longer be trusted
    (DELETED, TRUNCATED). `unanchored_after`: the last seq an anchor vouches for; a cut after it
    by someone holding the key (head re-MACed) or with an old head row put back is not
    detectable (0: no anchor, then only the head's MAC stands guard)."""

    ok: bool
    count: int
    first_bad_seq: int | None = None
    problem: ChainProblem | None = None
    missing: tuple[int, int] | None = None
    anchors_checked: int = 0
    bad_anchors: tuple[tuple[int, AnchorFault], ...] = ()
    unanchored_after: int = 0


def walk(keyring: Keyring, head: Sequence | None, head_ok: bool, events: Iterable[tuple],
         anchors: Sequence) -> ChainVerdict:
    """The verdict on stored `events` (seq order, up to the head when `head_ok`; each as
    (seq, at ISO, actor, terminal, action, category, customer_no, target, detail, prev_hash,
    hash)) against the head row and the anchors (each with `seq` and `digest`). An ok verdict
    still needs the store's look beyond the head (`beyond_head`)."""
    pending = sorted(anchors, key=lambda a: a.seq)
    checked = len(pending)
    unanchored_after = pending[-1].seq if pending else 0

    def bad(problem, first, missing=None, count=0):
        return ChainVerdict(False, count, first, problem, missing, checked,
                            unanchored_after=unanchored_after)

    # Vouched-for events at or before the last one that matched are original.
    matched = 0
    i = 0
    while i < len(pending) and pending[i].seq == 0:  # an anchor of the empty chain
        if pending[i].digest != GENESIS_HASH:
            return bad(ChainProblem.TRUNCATED, 1, (1, pending[-1].seq))
        i += 1
    expected_seq, prev, count = 1, GENESIS_HASH, 0
    next_anchor = pending[i].seq if i < len(pending) else -1
    epochs = keyring.chain_epochs()  # the chain key of each rotation's epoch
    chain_hash, switches = epochs[0][1], epochs[1:]
    for seq, at_iso, actor, terminal, action, category, customer_no, target, detail, \
            prev_hash, digest_stored in events:
        if seq != expected_seq:
            return bad(ChainProblem.DELETED, expected_seq, (expected_seq, seq - 1), count)
        if prev_hash != prev:
            return bad(ChainProblem.REORDERED, seq, None, count)
        while switches and seq >= switches[0][0]:
            chain_hash = switches.pop(0)[1]
        digest = chain_hash(prev, canonical(
            seq, at_iso, actor, terminal, action, category, customer_no, target, detail))
        if digest != digest_stored:
            return bad(ChainProblem.EDITED, seq, None, count)
        if seq == next_anchor:
            while i < len(pending) and pending[i].seq == seq:
                if pending[i].digest != digest:  # re-chained with the key after a cut
                    return bad(ChainProblem.TRUNCATED, matched + 1,
                               (matched + 1, pending[-1].seq), count)
                i += 1
            matched = seq
            next_anchor = pending[i].seq if i < len(pending) else -1
        prev, expected_seq, count = digest, expected_seq + 1, count + 1
    if i < len(pending):  # the chain ends before an anchored event
        return bad(ChainProblem.TRUNCATED, count + 1, (count + 1, pending[-1].seq), count)
    if head is None:
        return bad(ChainProblem.HEAD_MISSING, count + 1, None, count)
    if not head_ok:
        return bad(ChainProblem.HEAD_MISMATCH, count + 1, None, count)
    if head[0] > count:  # the head vouches for events that are gone
        return bad(ChainProblem.TRUNCATED, count + 1, (count + 1, head[0]), count)
    if head[1] != prev:
        return bad(ChainProblem.HEAD_MISMATCH, count, None, count)
    return ChainVerdict(True, count, anchors_checked=checked, unanchored_after=unanchored_after)


def beyond_head(verdict: ChainVerdict, head_now: int | None, last_seq: int | None,
                ) -> ChainVerdict:
    """An ok verdict after one look at (head seq, highest event seq) in one snapshot: an append
    moves the head with its events, so nothing legitimate lies beyond the head."""
    if not verdict.ok:
        return verdict
    checked, unanchored = verdict.anchors_checked, verdict.unanchored_after
    if head_now is None:  # deleted while we read
        return ChainVerdict(False, verdict.count, verdict.count + 1, ChainProblem.HEAD_MISSING,
                            anchors_checked=checked, unanchored_after=unanchored)
    if last_seq is not None and last_seq > head_now:
        return ChainVerdict(False, verdict.count, head_now + 1, ChainProblem.INSERTED,
                            anchors_checked=checked, unanchored_after=unanchored)
    return verdict
