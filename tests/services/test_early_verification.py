"""The CLI starts a sign-in's argon2 verification before the store is open
(services/passwords.py `start_verification`): the sign-in's answer is the same as without it,
an unknown employee number costs the same one verification, and an early result is used only
for the very hash and password the sign-in reads in its transaction."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from helpers import PASSWORD

from staff_console.domain.errors import ConsoleError
from staff_console.services import passwords
from staff_console.services.staff import authenticate
from staff_console.store.peek import sqlite_file, staff_password_hash


@pytest.fixture(autouse=True)
def _no_earlier_verifications():
    passwords._early.clear()  # in-process CLI tests start some without signing in
    yield
    passwords._early.clear()


@pytest.fixture
def db_url(tmp_path, sqlite_template) -> str:
    """SQLite only, here: the early read is SQLite's (a PostgreSQL terminal verifies as usual,
    so there is nothing to run there)."""
    path = tmp_path / "store.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_world(world):
    assert world.backend.store.dialect == "sqlite"
    return world


def _url(world) -> str:
    return world.backend.store.engine.url.render_as_string(hide_password=False)


def _count_verifications(monkeypatch) -> list[str]:
    seen: list[str] = []
    real = passwords._verify

    def counting(stored, password):
        seen.append(stored)
        return real(stored, password)

    monkeypatch.setattr(passwords, "_verify", counting)
    return seen


def _start(world, employee_no, password):
    b = world.backend
    passwords.start_verification(_url(world), employee_no, password,
                                 time_cost=b.password_time_cost,
                                 memory_kib=b.password_memory_kib)


def test_the_peek_reads_the_hash_the_store_holds(sqlite_world):
    read, stored = staff_password_hash(_url(sqlite_world), "T001")
    assert read and stored.startswith("$argon2id$")
    assert staff_password_hash(_url(sqlite_world), "NOBODY") == (True, None)
    assert staff_password_hash("sqlite:////nonexistent/x.sqlite3", "T001") == (False, None)
    assert sqlite_file("postgresql+psycopg://u@h/db") is None


@pytest.mark.parametrize(("employee_no", "password", "code"), [
    ("T001", PASSWORD, None), ("T001", "wrong-" + PASSWORD, "AUTH_FAILED"),
    ("NOBODY", PASSWORD, "AUTH_FAILED")])
def test_one_verification_started_early_and_the_same_answer(sqlite_world, monkeypatch,
                                                           employee_no, password, code):
    seen = _count_verifications(monkeypatch)
    _start(sqlite_world, employee_no, password)
    if code is None:
        actor = authenticate(sqlite_world.backend, employee_no, password,
                             clock=sqlite_world.clock)
        assert actor.employee_no == employee_no
    else:
        with pytest.raises(ConsoleError) as info:
            authenticate(sqlite_world.backend, employee_no, password, clock=sqlite_world.clock)
        assert info.value.code == code
    assert len(seen) == 1  # the early one, used by the sign-in: known or not, one argon2
    assert not passwords._early


def test_an_early_result_for_another_hash_is_not_used(sqlite_world, monkeypatch):
    """The hash changed between the early read and the sign-in (an admin reset it): the
    sign-in verifies what it read in its transaction."""
    seen = _count_verifications(monkeypatch)
    _start(sqlite_world, "T001", PASSWORD)
    path = sqlite_file(_url(sqlite_world))
    other = passwords.hash_password("Another-Desk-9921", time_cost=1, memory_kib=8192)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE staff SET password_hash = ? WHERE employee_no = 'T001'", (other,))
    with pytest.raises(ConsoleError) as info:
        authenticate(sqlite_world.backend, "T001", PASSWORD, clock=sqlite_world.clock)
    assert info.value.code == "AUTH_FAILED"
    assert seen[-1] == other and len(seen) == 2



def test_a_deactivated_member_costs_one_verification_too(sqlite_world, monkeypatch):
    """The sign-in verifies the dummy hash for a deactivated member; the early read must not
    start one on their real hash (two verifications would tell the account exists)."""
    with sqlite3.connect(sqlite_file(_url(sqlite_world))) as conn:
        conn.execute("UPDATE staff SET active = 0 WHERE employee_no = 'T001'")
    assert staff_password_hash(_url(sqlite_world), "T001") == (True, None)
    seen = _count_verifications(monkeypatch)
    _start(sqlite_world, "T001", PASSWORD)
    with pytest.raises(ConsoleError) as info:
        authenticate(sqlite_world.backend, "T001", PASSWORD, clock=sqlite_world.clock)
    assert info.value.code == "AUTH_FAILED"
    b = sqlite_world.backend
    assert seen == [passwords.dummy_hash(b.password_time_cost, b.password_memory_kib)]
