"""Keys for data at rest: ID numbers encrypted (AES-GCM), looked up by keyed hash, and the
audit chain keyed so that someone with database access alone cannot re-forge it.

One 32-byte master key (from settings or a key file); the purpose keys are derived from it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

GENESIS_HASH = "0" * 64


class Keyring:
    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self._aead = AESGCM(self._derive(master_key, b"id-number-encryption"))
        self._lookup_key = self._derive(master_key, b"id-number-lookup")
        self._audit_key = self._derive(master_key, b"audit-chain")
        # Keyed once; each chain hash copies it (cheaper than re-keying: verify hashes 1M+).
        self._audit_mac = hmac.new(self._audit_key, digestmod=hashlib.sha256)

    @staticmethod
    def _derive(master: bytes, purpose: bytes) -> bytes:
        return hmac.new(master, purpose, hashlib.sha256).digest()

    def encrypt_id(self, digits: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, digits.encode(), b"id_number")
        return base64.b64encode(nonce + sealed).decode()

    def decrypt_id(self, token: str) -> str:
        raw = base64.b64decode(token)
        return self._aead.decrypt(raw[:12], raw[12:], b"id_number").decode()

    def id_lookup_hash(self, digits: str) -> str:
        return hmac.new(self._lookup_key, digits.encode(), hashlib.sha256).hexdigest()

    def chain_hash(self, prev_hash: str, canonical: bytes) -> str:
        """HMAC-SHA256 over prev_hash + canonical, hex."""
        mac = self._audit_mac.copy()
        mac.update(prev_hash.encode())
        mac.update(canonical)
        return mac.hexdigest()


def new_master_key() -> bytes:
    return os.urandom(32)


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


def decode_key(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.strip().encode())
