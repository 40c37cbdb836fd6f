"""One key per store, checked (issue 12 item 3): a missing or different key is KEY_MISMATCH and
creates nothing; a key is created only by `db init` on a new store; `rotate_key` re-encrypts
every ID number under a new key in one transaction and the chain stays verifiable. On SQLite and
PostgreSQL (the `db_url` fixture)."""

from __future__ import annotations

import os
import stat
from types import SimpleNamespace

import pytest
from helpers import CUSTOMERS_CSV, NOW, PASSWORD, TEST_KEY
from svc_helpers import execute, refused, scalar, snapshot

from staff_console.domain.clock import FixedClock, parse_instant
from staff_console.services import staff as staff_service
from staff_console.services import store_identity
from staff_console.services.audit_trail import anchor_audit, verify_audit
from staff_console.services.backend import open_backend
from staff_console.services.customer_import import import_customers
from staff_console.services.customer_search import search_customers
from staff_console.services.database import init_backend
from staff_console.store.keyring import (
    Keyring,
    decode_key,
    encode_key,
    new_master_key,
    write_key_file,
)

OTHER_KEY = bytes(range(100, 132))
CLOCK = FixedClock(parse_instant(NOW))


def settings(db_url, home, key: bytes | None = None):
    """What open_backend and init_backend read from the settings (key from a setting, else the
    key file `<home>/master.key`)."""
    return SimpleNamespace(db_url=db_url, home=home, key_file=home / "master.key",
                           key_text=encode_key(key) if key is not None else None,
                           argon2_time_cost=1, argon2_memory_kib=8192)


def opened(db_url, home, key=None, **kwargs):
    return open_backend(settings(db_url, home, key), **kwargs)


def initialised(db_url, home, key=None, mode="training"):
    return init_backend(settings(db_url, home, key), mode=mode, clock=CLOCK)


def world(backend):
    """An admin, two branches, a teller, the seven customers (with ID numbers)."""
    staff_service.bootstrap_admin(backend, employee_no="A0001", name="관리자", branch_code="HQ",
                                  branch_name="본사", password=PASSWORD, clock=CLOCK)
    admin = staff_service.authenticate(backend, "A0001", PASSWORD, clock=CLOCK)
    staff_service.add_branch(backend, admin, "001", "강남지점", clock=CLOCK)
    staff_service.add_branch(backend, admin, "002", "여의도지점", clock=CLOCK)
    staff_service.add_staff(backend, admin, employee_no="T001", name="이창구", branch_code="001",
                            role="teller", password=PASSWORD, clock=CLOCK)
    import_customers(backend, admin, CUSTOMERS_CSV, clock=CLOCK)
    return admin, staff_service.authenticate(backend, "T001", PASSWORD, clock=CLOCK)


def found(backend, teller, query):
    return [c.customer_no for c in search_customers(backend, teller, query, clock=CLOCK).items]


def intact(backend, anchors=None):
    result = verify_audit(backend, clock=CLOCK, anchors=anchors)
    assert result.ok, result
    return result


# ---------------------------------------------------------------- the check at every open


def test_a_missing_or_different_key_is_refused_and_creates_nothing(db_url, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    initialised(db_url, home, TEST_KEY).store.dispose()
    before = sorted(os.listdir(tmp_path))
    with refused("KEY_MISMATCH") as info:
        opened(db_url, home, OTHER_KEY)
    assert "is not the store's" in info.value.message
    with refused("KEY_MISMATCH"):
        opened(db_url, home)  # no setting, no key file
    assert not (home / "master.key").exists()
    (home / "master.key").write_text("not a key\n")
    with refused("KEY_MISMATCH"):
        opened(db_url, home)
    (home / "master.key").unlink()
    assert sorted(os.listdir(tmp_path)) == before and not list(home.iterdir())
    backend = opened(db_url, home, TEST_KEY)  # the right key opens it
    backend.store.dispose()


def test_db_init_refuses_another_key_on_an_initialised_store(db_url, tmp_path):
    home = tmp_path / "home"
    backend = initialised(db_url, home, TEST_KEY)
    world(backend)
    before = snapshot(backend)
    with refused("KEY_MISMATCH"):
        initialised(db_url, home, OTHER_KEY)
    with refused("KEY_MISMATCH"):
        initialised(db_url, home)  # a terminal without the key: never a new one
    assert not (home / "master.key").exists()
    assert snapshot(backend) == before
    backend.store.dispose()


def test_only_db_init_of_a_new_store_creates_the_key_file_0600(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'new.sqlite3'}"  # a store that does not exist yet
    home = tmp_path / "home"
    backend = initialised(db_url, home)  # no key anywhere: db init makes one
    key_file = home / "master.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert backend.identity.key_id == backend.store.keyring.key_id
    backend.store.dispose()
    backend = opened(db_url, home)  # from the file, checked
    assert backend.store.keyring.key_check == scalar(
        backend, "SELECT value FROM setting WHERE key = 'key_check'")
    assert len(decode_key(key_file.read_text())) == 32
    backend.store.dispose()
    # The check value is not the key, nor anything the key can be read from.
    stored = scalar(backend, "SELECT group_concat(value) FROM setting")
    assert key_file.read_text().strip() not in stored
    assert decode_key(key_file.read_text()).hex() not in stored


def test_a_store_from_before_key_checks_adopts_only_a_key_its_data_proves(db_url, tmp_path):
    home = tmp_path / "home"
    backend = initialised(db_url, home, TEST_KEY)
    world(backend)
    execute(backend, "DELETE FROM setting WHERE key IN ('key_id', 'key_check')")
    before = snapshot(backend)
    with refused("KEY_MISMATCH") as info:
        opened(db_url, home, TEST_KEY)
    assert "db init" in info.value.message
    with refused("KEY_MISMATCH"):  # the first event does not hash under it
        initialised(db_url, home, OTHER_KEY)
    with refused("KEY_MISMATCH"):
        initialised(db_url, home)
    assert snapshot(backend) == before and not (home / "master.key").exists()
    initialised(db_url, home, TEST_KEY).store.dispose()  # proven: recorded
    backend.store.dispose()
    backend = opened(db_url, home, TEST_KEY)
    assert backend.identity.key_check == backend.store.keyring.key_check
    backend.store.dispose()


def test_a_customer_alone_proves_or_refuses_a_key(db_url, tmp_path):
    """No event to check (deleted for the test): the ID number must decrypt under the key."""
    home = tmp_path / "home"
    backend = initialised(db_url, home, TEST_KEY)
    world(backend)
    execute(backend, "DELETE FROM setting WHERE key IN ('key_id', 'key_check')")
    execute(backend, "DELETE FROM audit_event")
    with refused("KEY_MISMATCH"):
        initialised(db_url, home, OTHER_KEY)
    backend.store.dispose()


# ---------------------------------------------------------------- rotation


def _rotating_store(db_url, home):
    write_key_file(home / "master.key", TEST_KEY)
    backend = initialised(db_url, home)  # the key from the file
    admin, teller = world(backend)
    return backend, admin, teller


def test_rotate_key_re_encrypts_every_id_number_and_the_chain_goes_on(db_url, tmp_path):
    home = tmp_path / "home"
    backend, admin, teller = _rotating_store(db_url, home)
    assert found(backend, teller, "900101-1234567") == ["C001"]
    anchor_before = anchor_audit(backend, admin, clock=CLOCK).line
    ciphers = {r for r in [scalar(backend, "SELECT id_cipher FROM customer WHERE customer_no = "
                                           "'C001'")]}
    result = store_identity.rotate_key(backend, admin, key_file=home / "master.key",
                                       key_from_setting=False, clock=CLOCK)
    assert result["customers"] == 7 and result["old_key_id"] != result["new_key_id"]
    new_key = decode_key((home / "master.key").read_text())
    assert new_key != TEST_KEY
    assert decode_key((home / "master.key.old").read_text()) == TEST_KEY
    assert not (home / "master.key.new").exists()
    for name in ("master.key", "master.key.old"):
        assert stat.S_IMODE((home / name).stat().st_mode) == 0o600
    assert scalar(backend, "SELECT id_cipher FROM customer WHERE customer_no = 'C001'") \
        not in ciphers
    # Found by ID number under the new key, in this process and in a new one.
    assert found(backend, teller, "900101-1234567") == ["C001"]
    intact(backend, [anchor_before])
    backend.store.dispose()
    with refused("KEY_MISMATCH"):
        opened(db_url, home, TEST_KEY)
    backend = opened(db_url, home)
    teller = staff_service.authenticate(backend, "T001", PASSWORD, clock=CLOCK)
    assert found(backend, teller, "850315-1234567") == ["C002"]
    rotated = [e for e in [scalar(backend, "SELECT action FROM audit_event WHERE seq = :s",
                                  s=result["chain_key_from"] - 1)]]
    assert rotated == ["key.rotated"]
    verdict = intact(backend, [anchor_before])
    assert verdict.count >= result["chain_key_from"]
    # Twice: the first epoch's key is carried over, wrapped under the newest key.
    admin = staff_service.authenticate(backend, "A0001", PASSWORD, clock=CLOCK)
    anchor_middle = anchor_audit(backend, admin, clock=CLOCK).line
    store_identity.rotate_key(backend, admin, key_file=home / "master.key",
                              key_from_setting=False, clock=CLOCK)
    backend.store.dispose()
    backend = opened(db_url, home)
    intact(backend, [anchor_before, anchor_middle])
    assert backend.training  # the mode's check moved to the new key
    teller = staff_service.authenticate(backend, "T001", PASSWORD, clock=CLOCK)
    assert found(backend, teller, "900101-1234567") == ["C001"]
    backend.store.dispose()


def test_a_rotation_that_fails_before_its_commit_changes_nothing(db_url, tmp_path,
                                                                monkeypatch):
    home = tmp_path / "home"
    backend, admin, _ = _rotating_store(db_url, home)
    before = snapshot(backend)

    def broken(*args, **kwargs):
        raise RuntimeError("the connection dropped")

    monkeypatch.setattr(store_identity, "append_events", broken)
    with pytest.raises(RuntimeError):
        store_identity.rotate_key(backend, admin, key_file=home / "master.key",
                                  key_from_setting=False, clock=CLOCK)
    assert snapshot(backend) == before
    assert decode_key((home / "master.key").read_text()) == TEST_KEY
    assert sorted(p.name for p in home.iterdir()) == ["master.key"]
    backend.store.dispose()
    opened(db_url, home).store.dispose()


def test_a_rotation_that_committed_but_did_not_replace_the_key_file_says_how_to_recover(
        db_url, tmp_path, monkeypatch):
    home = tmp_path / "home"
    backend, admin, _ = _rotating_store(db_url, home)

    def crash(*args, **kwargs):
        raise OSError("power cut")

    monkeypatch.setattr(store_identity, "_install", crash)
    with pytest.raises(OSError):
        store_identity.rotate_key(backend, admin, key_file=home / "master.key",
                                  key_from_setting=False, clock=CLOCK)
    backend.store.dispose()
    with refused("KEY_MISMATCH") as info:
        opened(db_url, home)
    assert "master.key.new is the store's key" in info.value.message
    os.replace(home / "master.key.new", home / "master.key")  # the documented recovery
    backend = opened(db_url, home)
    intact(backend)
    backend.store.dispose()


def test_only_an_admin_rotates_and_never_over_a_key_given_as_a_setting(db_url, tmp_path):
    home = tmp_path / "home"
    backend, admin, teller = _rotating_store(db_url, home)
    before = snapshot(backend)
    with refused("FORBIDDEN"):
        store_identity.rotate_key(backend, teller, key_file=home / "master.key",
                                  key_from_setting=False, clock=CLOCK)
    with refused("INVALID_INPUT", "key"):
        store_identity.rotate_key(backend, admin, key_file=home / "master.key",
                                  key_from_setting=True, clock=CLOCK)
    assert snapshot(backend) == before
    assert sorted(p.name for p in home.iterdir()) == ["master.key"]
    backend.store.dispose()


def test_a_leftover_staged_key_is_not_mistaken_for_the_stores(db_url, tmp_path):
    """master.key.new from a rotation that never committed: the next rotation replaces it."""
    home = tmp_path / "home"
    backend, admin, teller = _rotating_store(db_url, home)
    write_key_file(home / "master.key.new", new_master_key())
    store_identity.rotate_key(backend, admin, key_file=home / "master.key",
                              key_from_setting=False, clock=CLOCK)
    assert found(backend, teller, "900101-1234567") == ["C001"]
    backend.store.dispose()
    opened(db_url, home).store.dispose()


def test_two_db_inits_of_a_new_store_at_once_share_the_first_key(tmp_path, monkeypatch):
    db_url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    home = tmp_path / "home"
    theirs = new_master_key()

    def raced(path, key):  # the other `db init` wrote its key between our look and our write
        write_key_file(path, theirs)
        raise FileExistsError(path)

    monkeypatch.setattr(store_identity, "write_key_file", raced)
    backend = initialised(db_url, home)
    assert backend.identity.key_id == Keyring(theirs).key_id
    backend.store.dispose()
