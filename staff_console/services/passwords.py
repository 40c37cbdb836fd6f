"""Password hashing with argon2id (argon2-cffi). The cost comes from settings."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@lru_cache(maxsize=8)
def hasher(time_cost: int = 3, memory_kib: int = 65536) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def hash_password(password: str, *, time_cost: int = 3, memory_kib: int = 65536) -> str:
    return hasher(time_cost, memory_kib).hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    # The parameters are read from the hash itself, so any cost verifies.
    try:
        return hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
