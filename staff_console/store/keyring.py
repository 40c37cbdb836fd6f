"""Keys for data at rest: ID numbers encrypted (AES-GCM), looked up by keyed hash, and the
audit chain keyed so that someone with database access alone cannot re-forge it.

One 32-byte master key (from settings or a key file); the purpose keys are derived from it.
The store records the key's id and a check value (never the key), so a terminal started with a
missing or different key is refused instead of writing under the wrong key. After a rotation
the chain keys of earlier events are kept in the store wrapped under the current key (`wrap` /
`with_history`), so the whole chain stays verifiable with the current key alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from bisect import bisect_right
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

GENESIS_HASH = "0" * 64


class Keyring:
    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self._lookup_key = self._derive(master_key, b"id-number-lookup")
        self._audit_key = self._derive(master_key, b"audit-chain")
        # The chain's tip and the anchors kept outside the store have keys of their own: a MAC
        # of one kind can never pass for another (store/audit.py).
        self._head_key = self._derive(master_key, b"audit-head")
        self._anchor_key = self._derive(master_key, b"audit-anchor")
        # Keyed once; each chain hash copies it (cheaper than re-keying: verify hashes 1M+).
        self._audit_mac = hmac.new(self._audit_key, digestmod=hashlib.sha256)
        self._setting_key = self._derive(master_key, b"store-settings")
        self.key_id = self._derive(master_key, b"key-id").hex()[:16]
        self.key_check = self._derive(master_key, b"staff-console key check").hex()
        # Chain keys of the events before the last rotation: [(first_seq, end_seq, mac)].
        self._master = master_key
        self._history: list[tuple[int, int, bytes]] = []
        self._previous: list[Keyring] = []

    @staticmethod
    def _derive(master: bytes, purpose: bytes) -> bytes:
        return hmac.new(master, purpose, hashlib.sha256).digest()

    # The AES-GCM keys are made on first use: most commands never encrypt or decrypt (a search
    # or a customer view reads the masked number and the keyed hash), and cryptography's
    # bindings are a noticeable part of a command's start.
    @cached_property
    def _aead(self) -> AESGCM:
        return _aesgcm(self._derive(self._master, b"id-number-encryption"))

    @cached_property
    def _wrap(self) -> AESGCM:
        return _aesgcm(self._derive(self._master, b"key-wrapping"))

    def encrypt_id(self, digits: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, digits.encode(), b"id_number")
        return base64.b64encode(nonce + sealed).decode()

    def decrypt_id(self, token: str) -> str:
        """The digits; ValueError if the token does not open under this key."""
        from cryptography.exceptions import InvalidTag

        raw = base64.b64decode(token)
        try:
            return self._aead.decrypt(raw[:12], raw[12:], b"id_number").decode()
        except InvalidTag:
            raise ValueError("the ID number does not open under this key") from None

    def id_lookup_hash(self, digits: str) -> str:
        return hmac.new(self._lookup_key, digits.encode(), hashlib.sha256).hexdigest()

    def chain_hash(self, prev_hash: str, canonical: bytes) -> str:
        """HMAC-SHA256 over prev_hash + canonical, hex."""
        return _chain_hash(self._audit_mac, prev_hash, canonical)

    def head_mac(self, seq: int, digest: str) -> str:
        """HMAC-SHA256 over the chain head (seq, hash), hex: a head moved by SQL fails it."""
        return hmac.new(self._head_key, f"{seq}:{digest}".encode(), hashlib.sha256).hexdigest()

    def anchor_mac(self, body: bytes) -> str:
        """HMAC-SHA256 over an anchor line's canonical body, hex."""
        return hmac.new(self._anchor_key, body, hashlib.sha256).hexdigest()

    def setting_mac(self, text: str) -> str:
        """HMAC-SHA256 over a store setting that must not be changed by SQL alone (the store's
        mode), hex."""
        return hmac.new(self._setting_key, text.encode(), hashlib.sha256).hexdigest()

    # ------------------------------------------------------------ rotation

    @property
    def master_key(self) -> bytes:
        return self._master

    def wrap(self, secret: bytes, label: str) -> str:
        """`secret` sealed under this key (AES-GCM); `label` is authenticated with it."""
        nonce = os.urandom(12)
        return base64.b64encode(nonce + self._wrap.encrypt(nonce, secret, label.encode())).decode()

    def unwrap(self, token: str, label: str) -> bytes:
        """The secret; ValueError if the token does not open under this key and label."""
        from cryptography.exceptions import InvalidTag

        raw = base64.b64decode(token)
        try:
            return self._wrap.decrypt(raw[:12], raw[12:], label.encode())
        except InvalidTag:
            raise ValueError("the sealed key does not open under this key") from None

    def with_history(self, epochs: list[tuple[int, int, bytes]]) -> Keyring:
        """Know the keys of the epochs before the last rotation: (first seq, end seq
        exclusive, that epoch's master key), as the store keeps them wrapped under this key."""
        self._history = sorted(epochs)
        self._previous = [Keyring(key) for _first, _end, key in self._history]
        return self

    def chain_history(self) -> list[tuple[int, int, bytes]]:
        return list(self._history)

    @property
    def chain_from(self) -> int:
        """The first seq chained under this key."""
        return self._history[-1][1] if self._history else 1

    def generations(self) -> list[Keyring]:
        """This store's keys, oldest first, this one last (an anchor written before a rotation
        carries a MAC under the key of its time)."""
        return [*self._previous, self]

    def chain_epochs(self) -> list[tuple[int, Callable[[str, bytes], str]]]:
        """(first seq, hash function) in seq order, for verifying the whole chain: the keys of
        earlier epochs, then this key from the end of the last one."""
        out: list[tuple[int, Callable[[str, bytes], str]]] = [
            (first, ring.chain_hash)
            for (first, _end, _key), ring in zip(self._history, self._previous, strict=True)]
        out.append((self.chain_from, self.chain_hash))
        return out

    def chain_hash_at(self, seq: int) -> Callable[[str, bytes], str]:
        """The hash function of the epoch that `seq` belongs to."""
        epochs = self.chain_epochs()
        index = bisect_right([first for first, _ in epochs], seq) - 1
        return epochs[max(index, 0)][1]


def _chain_hash(keyed: hmac.HMAC, prev_hash: str, canonical: bytes) -> str:
    mac = keyed.copy()
    mac.update(prev_hash.encode())
    mac.update(canonical)
    return mac.hexdigest()


def new_master_key() -> bytes:
    return os.urandom(32)


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


def decode_key(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.strip().encode())


def write_key_file(path: Path, key: bytes) -> None:
    """Write a key file that must not exist yet: mode 0600 from the start (O_EXCL: two
    initialisations at once cannot both write a different key), synced to disk with its
    directory before this returns."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(encode_key(key) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    sync_directory(path.parent)


def sync_directory(folder: Path) -> None:
    """Make a rename or a new file in `folder` durable (POSIX; a no-op where unsupported)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _aesgcm(key: bytes) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)
