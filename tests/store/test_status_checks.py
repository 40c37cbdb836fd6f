"""The database refuses a status (kind, role, channel ...) the domain does not know: CHECK
constraints generated from the enums by migration 0006, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from alembic import command
from helpers import TEST_KEY
from sqlalchemy.exc import IntegrityError

from staff_console.store.checks import ALL_CHECKS, checks_of
from staff_console.store.constraints import (
    UQ_CREDENTIAL_CURRENT,
    UQ_REQUEST_PENDING,
    violated_constraint,
)
from staff_console.store.engine import make_engine
from staff_console.store.keyring import Keyring
from staff_console.store.migrate import alembic_config, upgrade


def _constraints(engine) -> dict[str, str]:
    """Name -> condition text of every CHECK constraint, as the database reports it."""
    inspector = sa.inspect(engine)
    found = {}
    for table in {check.table for check in ALL_CHECKS}:
        for constraint in inspector.get_check_constraints(table):
            found[constraint["name"]] = constraint["sqltext"]
    return found


def test_every_enum_column_has_its_constraint_with_the_enums_values(db_url) -> None:
    engine = make_engine(db_url)
    try:
        found = _constraints(engine)
    finally:
        engine.dispose()
    for check in ALL_CHECKS:
        assert check.name in found, check.name
        text = found[check.name]
        # Exactly the enum's values: a member added to the enum needs a migration.
        quoted = {value.replace("''", "'") for value in re.findall(r"'((?:[^']|'')*)'", text)}
        assert quoted == set(check.values), (check.name, text)


def test_a_credential_status_the_domain_does_not_know_is_refused(world) -> None:
    store = world.backend.store
    with store.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO credential (customer_id, channel, status, device_id, biometrics, "
            "methods, created_at, failed_logins) SELECT id, 'mts', 'pending', 'dev-ok', 'none', "
            "'pin', :now, 0 FROM customer ORDER BY id LIMIT 1"), {"now": world.clock.now()})
    with pytest.raises(IntegrityError) as refused, store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE credential SET status = 'frozen' WHERE device_id = 'dev-ok'"))
    assert violated_constraint(refused.value) == "ck_credential_status"


@pytest.mark.parametrize("check", checks_of("request") + checks_of("staff"), ids=lambda c: c.name)
def test_each_request_and_staff_enum_column_refuses_an_unknown_value(world, check) -> None:
    store = world.backend.store
    with pytest.raises(IntegrityError) as refused, store.engine.begin() as conn:
        if check.table == "staff":
            conn.execute(sa.text(f"UPDATE staff SET {check.column} = 'zz'"))
        else:  # a request of the demo's shape, with one column wrong
            world_request(conn, world, **{check.column: "zz"})
    assert violated_constraint(refused.value) == check.name


def world_request(conn, world, **wrong) -> None:
    row = conn.execute(sa.text("SELECT id, branch_code FROM customer ORDER BY id LIMIT 1")).one()
    cred = world_credential(conn, world, "pending")
    values = {"kind": "revocation", "customer_id": row.id, "channel": "mts",
              "credential_id": cred, "branch_code": row.branch_code, "origin": "branch",
              "status": "pending", "reason": "lost_device", "authority": "manager",
              "created_at": world.clock.now(), "expires_at": world.clock.now(), **wrong}
    columns = ", ".join(values)
    conn.execute(sa.text(f"INSERT INTO request ({columns}) VALUES "
                         f"({', '.join(':' + c for c in values)})"), values)


def world_credential(conn, world, status: str) -> int:
    customer_id = conn.execute(sa.text("SELECT min(id) FROM customer")).scalar_one()
    return conn.execute(sa.text(
        "INSERT INTO credential (customer_id, channel, status, device_id, biometrics, methods, "
        "created_at, failed_logins) VALUES (:cid, 'mts', :status, 'dev-r', 'none', 'pin', "
        ":now, 0) RETURNING id"), {"cid": customer_id, "status": status,
                                   "now": world.clock.now()}).scalar_one()


def test_unique_violations_are_told_apart_by_the_constraints_name(world) -> None:
    """Intake turns `uq_request_pending` into DUPLICATE_PENDING by this name, not by text."""
    store = world.backend.store
    with store.engine.begin() as conn:
        world_request(conn, world)
    with pytest.raises(IntegrityError) as refused, store.engine.begin() as conn:
        world_request(conn, world)
    assert violated_constraint(refused.value) == UQ_REQUEST_PENDING
    with store.engine.begin() as conn:
        world_credential(conn, world, "active")
    with pytest.raises(IntegrityError) as refused, store.engine.begin() as conn:
        world_credential(conn, world, "locked")
    assert violated_constraint(refused.value) == UQ_CREDENTIAL_CURRENT


def test_a_populated_store_upgrades_end_reasons_become_codes(tmp_path) -> None:
    """From 0005 with rows (SQLite rebuilds tables that others reference: foreign keys are
    checked at the end instead): "replaced by #N" becomes replaced + replaced_by N."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = make_engine(url)
    config = alembic_config(url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0005")
        conn.exec_driver_sql("INSERT INTO branch (code, name) VALUES ('001', 'x')")
        conn.exec_driver_sql(
            "INSERT INTO customer (id, customer_no, name, name_chosung, id_hash, id_cipher, "
            "id_masked, customer_type, nationality, phone, phone_digits, phone_last4, "
            "online_trading, branch_code, created_at) VALUES (1, 'D1', 'a', 'a', 'h', 'c', 'm', "
            "'individual', 'domestic', 'p', 'pd', '1234', 1, '001', '2026-01-01 00:00:00')")
        for cid, status, reason in [(1, "replaced", "'replaced by #2'"), (2, "active", "NULL"),
                                    (3, "rejected", "'registration rejected'"),
                                    (4, "rejected", "'request expired'"),
                                    (5, "revoked", "'lost_device'")]:
            conn.exec_driver_sql(
                "INSERT INTO credential (id, customer_id, channel, status, device_id, "
                "biometrics, methods, created_at, failed_logins, end_reason) VALUES "
                f"({cid}, 1, 'mts', '{status}', 'd{cid}', 'none', 'pin', '2026-01-01 00:00:00', "
                f"0, {reason})")
        conn.exec_driver_sql(
            "INSERT INTO request (id, kind, customer_id, channel, credential_id, branch_code, "
            "origin, status, created_at, expires_at) VALUES (1, 'registration', 1, 'mts', 2, "
            "'001', 'channel', 'approved', '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
    try:
        upgrade(engine, Keyring(TEST_KEY))
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT id, end_reason, replaced_by FROM credential ORDER BY id").all()
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert [tuple(r) for r in rows] == [
            (1, "replaced", 2), (2, None, None), (3, "registration_rejected", None),
            (4, "request_expired", None), (5, "lost_device", None)]
        with pytest.raises(IntegrityError) as refused, engine.begin() as conn:
            conn.exec_driver_sql("UPDATE credential SET end_reason = 'replaced by #2' WHERE id = 1")
        assert violated_constraint(refused.value) == "ck_credential_end_reason"
    finally:
        engine.dispose()


def test_a_channel_key_for_a_channel_the_domain_does_not_know_is_refused(world) -> None:
    store = world.backend.store
    with pytest.raises(IntegrityError) as refused, store.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO channel_key (channel, name, key_hash, created_by, created_at) "
            "SELECT 'atm', 'x', :h, id, :now FROM staff ORDER BY id LIMIT 1"),
            {"h": "0" * 64, "now": world.clock.now()})
    assert violated_constraint(refused.value) == "ck_channel_key_channel"
