"""Password hashing with argon2id (argon2-cffi), and the strength check of new passwords.

The cost comes from settings. Sign-in must cost the same whether or not the employee number
exists, so a failure with no hash to check runs one verification against `dummy_hash` (same
parameters, never matches) instead of answering at once.
"""

from __future__ import annotations

import base64
import os
import threading
from concurrent.futures import Future
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..data import COMMON_PASSWORDS, resource
from ..domain.passwords import check_password_strength, normalise
from ..store.peek import staff_password_hash


@lru_cache(maxsize=8)
def hasher(time_cost: int = 3, memory_kib: int = 65536) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def hash_password(password: str, *, time_cost: int = 3, memory_kib: int = 65536) -> str:
    return hasher(time_cost, memory_kib).hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    # The parameters are read from the hash itself, so any cost verifies.
    early = _early.pop((stored_hash, password), None)
    if early is not None:
        return early.result()
    return _verify(stored_hash, password)


def _verify(stored_hash: str, password: str) -> bool:
    # A lone surrogate (a JSON "\ud800", undecodable bytes in an environment variable) is
    # not UTF-8: such a password is verified as its bytes with the surrogate kept, so it
    # costs one verification and fails like any other wrong password.
    try:
        return hasher().verify(stored_hash, password.encode("utf-8", "surrogatepass"))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# Verifications started ahead of the sign-in that will need them (`start_verification`).
_early: dict[tuple[str, str], Future[bool]] = {}


def start_verification(db_url: str, employee_no: str, password: str, *, time_cost: int,
                       memory_kib: int) -> None:
    """A CLI command's start-up: verify the password on another thread (argon2 releases the
    GIL, so it runs on a second core) while the process imports the store and opens it. The
    sign-in then finds the result in `verify_password`, for that same hash and password only;
    whatever it reads in its transaction is what counts. An unknown employee number starts the
    same verification against `dummy_hash`, so it takes as long as a known one; a store this
    cannot read starts nothing (the sign-in verifies as usual). Called again for the same hash
    and password, it keeps the verification already running."""
    read, stored = staff_password_hash(db_url, employee_no)
    if not read:
        _early.clear()
        return
    stored = stored or dummy_hash(time_cost, memory_kib)
    if (stored, password) in _early:  # started already (the CLI's entry point): that one
        return
    _early.clear()  # one sign-in per command: nothing of an earlier one is kept
    future: Future[bool] = Future()

    def run() -> None:
        try:
            future.set_result(_verify(stored, password))
        except BaseException as exc:  # noqa: BLE001 - handed to the sign-in that waits
            future.set_exception(exc)

    _early[(stored, password)] = future
    threading.Thread(target=run, name="sign-in-verify", daemon=True).start()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


@lru_cache(maxsize=8)
def dummy_hash(time_cost: int = 3, memory_kib: int = 65536) -> str:
    """An argon2id hash with the parameters of `hash_password` that no password matches.
    Written out directly (random salt and digest) rather than hashed: making it costs nothing,
    so the first unknown employee number of a process is not slower than the next ones, and
    verifying it costs exactly one argon2 computation, like a real account's wrong password."""
    ph = hasher(time_cost, memory_kib)
    return (f"$argon2id$v=19$m={ph.memory_cost},t={ph.time_cost},p={ph.parallelism}"
            f"${_b64(os.urandom(ph.salt_len))}${_b64(os.urandom(ph.hash_len))}")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The packaged common-password list, normalised; read once per process, when first needed
    (adding staff), never at start."""
    text = resource(COMMON_PASSWORDS).read_text(encoding="utf-8")
    _header, _, body = text.partition("\n\n")  # the header (source, licence) ends at a blank line
    return frozenset(filter(None, (normalise(line) for line in body.splitlines())))


def check_new_password(
    password: str, *, employee_no: str, name: str, field: str = "password"
) -> None:
    """The rule of domain/passwords.py with the packaged list: for every password set for a
    staff member (a new member, the first admin, a change)."""
    check_password_strength(password, field=field, employee_no=employee_no, name=name,
                            common=common_passwords())
