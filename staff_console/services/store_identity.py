"""What a store is and which key and clock it accepts: checked once, when a terminal opens it.

The store, not the terminal, is the authority (DOMAIN.md section 8). At `db init` it records
its id, its mode (real or training, never changed afterwards) and the id and check value of its
master key (store/meta.py). Every open then verifies, before any use case runs:

* the key: the terminal's key must give the recorded check value, else KEY_MISMATCH (a missing
  key is never replaced: only `db init` on a new store creates one);
* the clock: a fixed clock (`--now`, STAFF_CONSOLE_NOW, the app's clock argument) only on a
  training store, else CLOCK_FIXED_REFUSED; otherwise the store's clock (store/clock.py on
  PostgreSQL, the system clock on SQLite, where the store is a local file).

The CLI, the app and any future server open stores through `open_checked` / `initialise`, so
the checks are made in this one place.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from ..domain.authority import Actor, Role, require_role
from ..domain.bounds import instant_within
from ..domain.clock import Clock, SystemClock
from ..domain.errors import ConsoleError, invalid
from ..store import identity as identity_store
from ..store.audit import NewEvent, append_events, canonical_event
from ..store.clock import StoreClock
from ..store.engine import Tx
from ..store.failures import classify
from ..store.keyring import (
    GENESIS_HASH,
    Keyring,
    decode_key,
    new_master_key,
    sync_directory,
    write_key_file,
)
from ..store.meta import KEY_CHECK, KEY_ID, STORE_ID, STORE_MODE, get_setting, put_setting

log = logging.getLogger(__name__)

REAL = "real"
TRAINING = "training"
# HMAC of the mode under the key: a mode row changed by SQL alone does not make a training store.
MODE_CHECK = "store_mode_check"
# The master keys of the epochs before the last rotation (the chain and anchors made under them
# stay verifiable), wrapped under the current key: JSON [{from, until, key}].
AUDIT_KEY_HISTORY = "audit_key_history"

_IDENTITY_KEYS = (STORE_ID, STORE_MODE, KEY_ID, KEY_CHECK, AUDIT_KEY_HISTORY, MODE_CHECK)
REENCRYPT_BATCH = 1000


@dataclass(frozen=True)
class StoreIdentity:
    store_id: str | None
    mode: str  # REAL unless the store was created as a training store
    key_id: str | None
    key_check: str | None
    history: str | None = None
    mode_recorded: bool = False  # False: a new store, or one initialised before modes
    mode_check: str | None = None

    @property
    def training(self) -> bool:
        return self.mode == TRAINING


def read_identity(conn: sa.Connection) -> StoreIdentity:
    """One statement. A store without a mode row (initialised before modes were recorded) is
    real: the safe side, since a fixed clock is then refused."""
    rows = identity_store.settings(conn, _IDENTITY_KEYS)
    return StoreIdentity(rows.get(STORE_ID), TRAINING if rows.get(STORE_MODE) == TRAINING
                         else REAL, rows.get(KEY_ID), rows.get(KEY_CHECK),
                         rows.get(AUDIT_KEY_HISTORY), STORE_MODE in rows, rows.get(MODE_CHECK))


def _mode_mac(keyring: Keyring, store_id: str | None, mode: str) -> str:
    return keyring.setting_mac(f"store_mode:{store_id}:{mode}")


def checked_mode(identity: StoreIdentity, keyring: Keyring) -> StoreIdentity:
    """A training mode counts only if its check verifies under the store's key: a mode row
    set by SQL alone (someone with database access but not the key) leaves the store real."""
    if identity.training and not (identity.mode_check and hmac.compare_digest(
            identity.mode_check, _mode_mac(keyring, identity.store_id, TRAINING))):
        log.warning("the store's training mode fails its check; the store is treated as real")
        return replace(identity, mode=REAL)
    return identity


def _store_failure(exc: DBAPIError) -> ConsoleError:
    known = classify(exc)
    return known or ConsoleError("STORE_UNAVAILABLE", "the store could not be opened")


# ---------------------------------------------------------------- the key

def key_file_new(key_file: Path) -> Path:
    return key_file.with_name(key_file.name + ".new")


def key_file_old(key_file: Path) -> Path:
    return key_file.with_name(key_file.name + ".old")


def load_key(key_text: str | None, key_file: Path) -> bytes | None:
    """The terminal's key (setting, else key file), or None when it has none. Never creates."""
    text = key_text
    if not text:
        try:
            text = key_file.read_text()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConsoleError("KEY_MISMATCH", f"the key file cannot be read ({exc.strerror})"
                               ) from None
    try:
        key = decode_key(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ConsoleError("KEY_MISMATCH", "the master key is not a key (32 bytes, urlsafe "
                                           "base64)")
    return key


def _keyring(key: bytes, identity: StoreIdentity, key_file: Path) -> Keyring:
    """The keyring for `key` if it is this store's key (constant-time comparison)."""
    keyring = Keyring(key)
    if identity.key_check is None:
        raise ConsoleError("KEY_MISMATCH", "the store has no key check yet (initialised before "
                                           "key checks); run `staff-console db init` once")
    if not hmac.compare_digest(keyring.key_check, identity.key_check):
        hint = _recovery_hint(identity, key_file)
        raise ConsoleError("KEY_MISMATCH", f"this terminal's master key (id {keyring.key_id}) "
                                           f"is not the store's (id {identity.key_id}){hint}")
    if identity.history:
        keyring.with_history(_unwrap_history(keyring, identity.history))
    return keyring


def _recovery_hint(identity: StoreIdentity, key_file: Path) -> str:
    """A rotation that committed but did not get to replace the key file leaves the store's
    new key in master.key.new: say so (the operator renames it; nothing is adopted silently)."""
    try:
        candidate = load_key(None, key_file_new(key_file))
    except ConsoleError:
        return ""
    if candidate is not None and identity.key_check and hmac.compare_digest(
            Keyring(candidate).key_check, identity.key_check):
        return (f"; {key_file_new(key_file).name} is the store's key: a key rotation committed "
                f"but did not finish, rename it to {key_file.name} (docs/decisions.md)")
    return ""


def _unwrap_history(keyring: Keyring, text: str) -> list[tuple[int, int, bytes]]:
    try:
        return [(e["from"], e["until"], keyring.unwrap(e["key"], _history_label(e)))
                for e in json.loads(text)]
    except (ValueError, KeyError, TypeError):  # ValueError: does not open under this key
        raise ConsoleError("KEY_MISMATCH", "the store's earlier chain keys do not open under "
                                           "this key") from None


def _history_label(epoch: dict) -> str:
    return f"audit-chain-key:{epoch['from']}:{epoch['until']}"


def _missing_key(key_file: Path) -> ConsoleError:
    return ConsoleError("KEY_MISMATCH", f"no master key (STAFF_CONSOLE_KEY or {key_file}); a "
                                        "key is created only by `staff-console db init` on a "
                                        "new store: restore this store's key from its backup")


# ---------------------------------------------------------------- the clock

def trusted_clock(identity: StoreIdentity, requested: Clock | None, engine: Engine) -> Clock:
    """`requested`: a fixed clock asked for by the caller, or None."""
    if requested is not None:
        if not identity.training:
            raise ConsoleError("CLOCK_FIXED_REFUSED", "a fixed clock (--now, STAFF_CONSOLE_NOW) "
                                                      "is accepted only on a training store; "
                                                      "this is a real store")
        # Within domain.bounds: a training day in year 9999 would overflow the three-year
        # validity of whatever is approved on it (checked after the store's trust decision).
        instant_within(requested.now(), "now")
        return requested
    if engine.dialect.name == "postgresql":
        clock = StoreClock(engine)
        clock.sync()
        return clock
    return SystemClock()


# ---------------------------------------------------------------- open

def open_checked(engine: Engine, *, key_text: str | None, key_file: Path,
                 requested_clock: Clock | None) -> tuple[StoreIdentity, Keyring, Clock]:
    """The store's identity, the checked keyring and the clock to use, or the refusal."""
    try:
        with engine.connect() as conn:
            identity = read_identity(conn)
        key = load_key(key_text, key_file)
        if key is None:
            raise _missing_key(key_file)
        keyring = _keyring(key, identity, key_file)
        identity = checked_mode(identity, keyring)
        return identity, keyring, trusted_clock(identity, requested_clock, engine)
    except DBAPIError as exc:
        raise _store_failure(exc) from None


def initialise(engine: Engine, *, mode: str | None, key_text: str | None, key_file: Path,
               requested_clock: Clock | None, upgrade) -> tuple[StoreIdentity, Keyring, Clock]:
    """`db init` (and the demo): create or upgrade the store; on a new store record its id,
    mode and key (creating the key file if the terminal has no key). Everything is checked
    before anything is written: a refusal leaves no key file and no change in the store.

    `mode`: TRAINING, REAL or None (a new store is then real; an existing one keeps its
    mode). An existing store's mode is never changed. A store initialised before identities
    were recorded is real, and adopts the terminal's key only if the key proves itself on its
    data (the first audit event's hash, one encrypted ID number)."""
    try:
        existing = _existing(engine)
        key = load_key(key_text, key_file)
        if existing is not None and existing[0].key_check is not None:
            if key is None:
                raise _missing_key(key_file)
            _keyring(key, existing[0], key_file)
        elif existing is not None and existing[1]:
            if key is None:
                raise _missing_key(key_file)
            _prove_key(engine, Keyring(key))
        if existing is not None and existing[0].training:
            checked = (checked_mode(existing[0], Keyring(key)) if key is not None
                       else replace(existing[0], mode=REAL))
            existing = (checked, existing[1])
        final_mode = _mode(existing, mode)
        if requested_clock is not None and final_mode != TRAINING:
            trusted_clock(StoreIdentity(None, final_mode, None, None), requested_clock, engine)
        created = key is None
        if created:  # a new store and a terminal without a key: the one place keys are made
            key = new_master_key()
            try:
                write_key_file(key_file, key)
            except FileExistsError:  # another `db init` made it a moment ago: use that one
                created, key = False, load_key(None, key_file)
                if key is None:
                    raise _missing_key(key_file) from None
        assert key is not None  # made above, or the store's key was given
        keyring = Keyring(key)
        try:
            upgrade(engine, keyring)  # the schema, the store id, the chain's genesis head
            with engine.begin() as conn:
                store_id = get_setting(conn, STORE_ID)
                if store_id is None:
                    store_id = str(uuid.uuid4())
                    put_setting(conn, STORE_ID, store_id)
                if get_setting(conn, STORE_MODE) is None:
                    put_setting(conn, STORE_MODE, final_mode)
                    put_setting(conn, MODE_CHECK, _mode_mac(keyring, store_id, final_mode))
                if get_setting(conn, KEY_CHECK) is None:
                    put_setting(conn, KEY_ID, keyring.key_id)
                    put_setting(conn, KEY_CHECK, keyring.key_check)
        except BaseException:
            if created:  # the store did not take it: no key left behind for a store without it
                key_file.unlink(missing_ok=True)
            raise
        with engine.connect() as conn:
            identity = read_identity(conn)
        keyring = _keyring(key, identity, key_file)
        identity = checked_mode(identity, keyring)
        return identity, keyring, trusted_clock(identity, requested_clock, engine)
    except DBAPIError as exc:
        raise _store_failure(exc) from None


def _mode(existing: tuple[StoreIdentity, bool] | None, asked: str | None) -> str:
    """The mode the store will have: a recorded mode is kept (a different one asked for is
    refused); a store with data but no mode row (from before modes) is real; a new or empty
    store takes the mode asked for, real by default."""
    if existing is not None and existing[0].mode_recorded:
        recorded = existing[0].mode
        if asked is not None and asked != recorded:
            raise invalid("training", f"this store is a {recorded} store; a store's mode is "
                                      "fixed when it is created")
        return recorded
    if existing is not None and existing[1]:
        if asked == TRAINING:
            raise invalid("training", "this store was created before training stores existed "
                                      "and holds data: it is a real store")
        return REAL
    return asked or REAL


def _existing(engine: Engine) -> tuple[StoreIdentity, bool] | None:
    """The identity of a store that has a schema, and whether it holds data; None if new."""
    database = engine.url.database or ""
    if engine.dialect.name == "sqlite" and database not in ("", ":memory:") \
            and not database.startswith("file:") and not Path(database).expanduser().exists():
        return None  # not even a file: do not let the driver create one before the checks
    with engine.connect() as conn:
        if not identity_store.has_schema(conn):
            return None
        identity = read_identity(conn)
        has_data = identity_store.has_data(conn)
    return identity, has_data


def _prove_key(engine: Engine, keyring: Keyring) -> None:
    """Refuse a key that does not open this store's data: the first audit event must hash under
    it and an ID number must decrypt under it (and hash to its lookup value)."""
    with engine.connect() as conn:
        first = identity_store.first_event(conn)
        customer = identity_store.first_customer(conn)
    refused = ConsoleError("KEY_MISMATCH", "this terminal's master key does not open the "
                                           "store's data; restore the store's key from backup")
    if first is not None:
        expected = keyring.chain_hash(GENESIS_HASH, canonical_event(
            first.seq, first.at, first.actor, first.terminal, first.action, first.category,
            first.customer_no, first.target, first.detail))
        if not hmac.compare_digest(expected, first.hash):
            raise refused
    if customer is not None:
        try:
            digits = keyring.decrypt_id(customer.id_cipher)
        except ValueError:  # does not open under this key
            raise refused from None
        if not hmac.compare_digest(keyring.id_lookup_hash(digits), customer.id_hash):
            raise refused


# ---------------------------------------------------------------- rotation

def rotate_key(backend, actor: Actor, *, key_file: Path, key_from_setting: bool,
               clock: Clock) -> dict:
    """Re-encrypt every ID number and lookup hash under a new key, in one transaction, and
    continue the audit chain under it (the `key.rotated` event is the last one chained under
    the old key; the old chain keys stay in the store wrapped under the new one).

    The crash window: the new key is written to master.key.new (0600, synced) *before* the
    commit, so a committed rotation never loses its key; after the commit the old key file is
    kept as master.key.old and master.key.new is renamed over master.key. A crash before the
    commit leaves the store and master.key as they were; a crash after it leaves master.key.new
    as the store's key, which the KEY_MISMATCH message then names (docs/decisions.md)."""
    require_role(actor, frozenset({Role.ADMIN}), "rotate the master key")
    if key_from_setting:
        raise invalid("key", "the master key comes from STAFF_CONSOLE_KEY or config.toml; "
                             "rotation writes the key file: remove the setting first")
    store = backend.store
    old = store.keyring
    new_key = new_master_key()
    new = Keyring(new_key)
    staged = key_file_new(key_file)
    # The current key opened the store, so a leftover master.key.new is not the store's key: a
    # rotation that never committed.
    staged.unlink(missing_ok=True)
    write_key_file(staged, new_key)
    store.seal_pending()  # PostgreSQL: chain what waits under the old key before the switch
    now = clock.now()

    def work(s: Tx) -> dict:
        from .common import current_staff

        current_staff(s, actor)
        conn = s
        customers = _reencrypt(conn, old, new)
        seq = append_events(s, old, [NewEvent(
            actor=actor.employee_no, terminal=actor.terminal, action="key.rotated",
            detail={"old_key_id": old.key_id, "new_key_id": new.key_id,
                    "customers": customers})], now, immediate=True)[0]
        history = old.chain_history() + [(old.chain_from, seq + 1, old.master_key)]
        put_setting(conn, AUDIT_KEY_HISTORY, json.dumps([
            {"from": first, "until": until,
             "key": new.wrap(key, _history_label({"from": first, "until": until}))}
            for first, until, key in history]))
        put_setting(conn, KEY_ID, new.key_id)
        put_setting(conn, KEY_CHECK, new.key_check)
        identity = checked_mode(read_identity(conn), old)
        if identity.mode_recorded:  # the mode's check moves to the new key with it
            put_setting(conn, MODE_CHECK, _mode_mac(new, identity.store_id, identity.mode))
        new.with_history(history)
        # The head's MAC moves to the new key with the chain (store/audit.py checks it).
        head_seq, head_hash = identity_store.head(conn)
        identity_store.set_head_mac(conn, new.head_mac(head_seq, head_hash))
        return {"old_key_id": old.key_id, "new_key_id": new.key_id, "customers": customers,
                "chain_key_from": seq + 1}

    try:
        result = store.run(work)
    except BaseException:
        staged.unlink(missing_ok=True)  # not committed: the old key stays the store's
        raise
    _install(key_file, staged)
    store.keyring = new
    return result


def _reencrypt(conn: sa.Connection, old: Keyring, new: Keyring) -> int:
    last, total = 0, 0
    while True:
        rows = identity_store.ciphers_after(conn, last, REENCRYPT_BATCH)
        if not rows:
            return total
        params = []
        for cid, cipher in rows:
            digits = old.decrypt_id(cipher)
            params.append({"cid": cid, "h": new.id_lookup_hash(digits),
                           "c": new.encrypt_id(digits)})
        identity_store.set_ids(conn, params)
        total += len(rows)
        last = rows[-1][0]


def _install(key_file: Path, staged: Path) -> None:
    """After the commit: keep the old key as master.key.old, then put the new one in place."""
    old_copy = key_file_old(key_file)
    if key_file.exists():
        tmp = old_copy.with_name(old_copy.name + ".tmp")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key_file.read_text())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, old_copy)
    os.replace(staged, key_file)
    sync_directory(key_file.parent)
