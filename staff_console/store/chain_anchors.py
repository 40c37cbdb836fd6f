"""Anchors: points of the audit chain vouched for outside the store (pure, no database).

A head row copied earlier and put back later, or a cut by someone holding the key who re-MACs
the head, is invisible to the store alone. An anchor is a signed line (store id, seq, hash,
time) kept apart from the store (services/anchors.py, the anchor file) that verify checks the
chain against (store/chain.py `walk`). An anchor can only make verify stricter, never hide a
break, so whoever holds the key may write one."""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from ..domain.documents import Unreadable, read_json
from ..domain.trail import AnchorFault
from .keyring import Keyring


@dataclass(frozen=True, slots=True)
class Anchor:
    """A point of the chain vouched for outside the store: event `seq` had hash `digest`."""

    store_id: str
    seq: int
    digest: str
    at: str
    kind: str
    line: str


ANCHOR_VERSION = 1
_ANCHOR_KEYS = frozenset({"v", "kind", "store", "seq", "hash", "at", "mac"})
_MAX_ANCHOR_LINE = 1000
_HEX = frozenset("0123456789abcdef")


def _anchor_body(fields: dict) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True).encode()


def make_anchor(keyring: Keyring, store_id: str, seq: int, digest: str, at: datetime,
                kind: str = "anchor") -> Anchor:
    """One signed anchor line (JSON, one line, ASCII) for event `seq` with hash `digest`."""
    at_text = at.astimezone(UTC).isoformat(timespec="seconds")
    fields = {"v": ANCHOR_VERSION, "kind": kind, "store": store_id, "seq": seq, "hash": digest,
              "at": at_text}
    line = _anchor_body({**fields, "mac": keyring.anchor_mac(_anchor_body(fields))}).decode()
    return Anchor(store_id, seq, digest, at_text, kind, line)


def read_anchors(keyring: Keyring, store_id: str | None, lines: Iterable[str],
                 ) -> tuple[list[Anchor], list[tuple[int, AnchorFault]]]:
    """The anchors of this store among `lines` (blank lines skipped), and the faulty lines by
    their number (1-based): not trusted, reported."""
    good: list[Anchor] = []
    bad: list[tuple[int, AnchorFault]] = []
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        fault, anchor = _read_anchor(keyring, store_id, text)
        if anchor is not None:
            good.append(anchor)
        else:
            assert fault is not None  # no anchor: its fault is named
            bad.append((number, fault))
    return good, bad


def _read_anchor(keyring: Keyring, store_id: str | None, text: str,
                 ) -> tuple[AnchorFault | None, Anchor | None]:
    if len(text) > _MAX_ANCHOR_LINE:
        return AnchorFault.FORMAT, None
    try:
        fields = read_json(text)
    except Unreadable:
        return AnchorFault.FORMAT, None
    if not isinstance(fields, dict) or set(fields) != _ANCHOR_KEYS:
        return AnchorFault.FORMAT, None
    seq, digest, mac = fields["seq"], fields["hash"], fields["mac"]
    if (fields["v"] != ANCHOR_VERSION or type(seq) is not int or seq < 0
            or not all(isinstance(fields[k], str) for k in ("kind", "store", "hash", "at", "mac"))
            or len(digest) != 64 or not set(digest) <= _HEX):
        return AnchorFault.FORMAT, None
    body = _anchor_body({k: v for k, v in fields.items() if k != "mac"})
    # Under the key of its time: an anchor written before a key rotation (store_identity).
    if not any(hmac.compare_digest(mac, ring.anchor_mac(body)) for ring in keyring.generations()):
        return AnchorFault.MAC, None
    if fields["store"] != store_id:
        return AnchorFault.STORE, None
    return None, Anchor(fields["store"], seq, digest, fields["at"], fields["kind"], text)
