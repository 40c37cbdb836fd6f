"""Files and accounts (issue 12 item 8): the store's files are private to their user; a failed
sign-in says and costs the same whoever tries; staff passwords keep off the common list and away
from the member's own number and name."""

from __future__ import annotations

import csv
import logging
import os
import sqlite3
import stat

import pytest
from argon2 import extract_parameters
from helpers import PASSWORD
from svc_helpers import execute, refused, scalar, snapshot

from staff_console.data import DEMO_STAFF, resource
from staff_console.demo import DEMO_PASSWORD
from staff_console.files import private_dir, private_sqlite
from staff_console.services import staff as staff_module
from staff_console.services.passwords import (
    check_new_password,
    common_passwords,
    dummy_hash,
    verify_password,
)
from staff_console.services.staff import (
    SIGN_IN_FAILED,
    add_staff,
    authenticate,
    bootstrap_admin,
    verify_actor_password,
)
from staff_console.store.engine import make_engine

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def warnings_of_files():
    """What files.py logs, seen on its own logger (the CLI's log setup may stop propagation)."""
    logger = logging.getLogger("staff_console.files")
    handler, level = _Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def loose_umask():
    """The usual 022 umask, under which the driver alone would make a 0644 file."""
    old = os.umask(0o022)
    yield
    os.umask(old)


# ------------------------------------------------------------------ files


@posix_only
def test_private_dir_makes_every_missing_folder_0700(tmp_path, loose_umask):
    target = tmp_path / "a" / "b" / "home"
    assert private_dir(target) == target
    assert [mode(p) for p in (tmp_path / "a", tmp_path / "a" / "b", target)] == [0o700] * 3
    assert private_dir(target) == target  # again: nothing to do


@posix_only
def test_private_dir_even_under_a_umask_that_takes_the_owner_bits(tmp_path):
    old = os.umask(0o277)
    try:
        private_dir(tmp_path / "home")
    finally:
        os.umask(old)
    assert mode(tmp_path / "home") == 0o700  # the owner can still write into it


@posix_only
def test_an_existing_open_data_directory_is_tightened_and_logged(tmp_path, warnings_of_files):
    home = tmp_path / "home"
    home.mkdir()
    os.chmod(home, 0o755)
    private_dir(home)
    assert mode(home) == 0o700
    assert "755" in warnings_of_files.text and str(home) in warnings_of_files.text


@posix_only
def test_a_chosen_existing_folder_is_only_logged(tmp_path, warnings_of_files):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o750)
    private_dir(shared, tighten=False)
    assert mode(shared) == 0o750
    assert "open to other users" in warnings_of_files.text


def _write_something(engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (name TEXT)")
        conn.exec_driver_sql("INSERT INTO t VALUES ('홍길동')")


@posix_only
def test_a_new_store_and_its_wal_and_shm_are_0600(tmp_path, loose_umask):
    path = tmp_path / "store.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        _write_something(engine)
        with engine.connect():  # an open connection keeps -wal and -shm
            files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
            assert all(f.exists() for f in files)
            assert [mode(f) for f in files] == [0o600] * 3
    finally:
        engine.dispose()


@posix_only
def test_the_store_file_is_0600_before_the_driver_opens_it(tmp_path, loose_umask):
    """No window: a descriptor opened while the file was 0644 would keep reading after a chmod."""
    path = tmp_path / "store.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    seen = []

    from sqlalchemy import event

    @event.listens_for(engine, "do_connect")  # runs after the console's own do_connect hook
    def _look(*_args):
        seen.append(mode(path))

    try:
        _write_something(engine)
    finally:
        engine.dispose()
    assert seen == [0o600]


@posix_only
def test_an_existing_open_store_is_tightened_when_opened(tmp_path, warnings_of_files):
    """A store made by an older version (0644 files): opening it makes all three 0600."""
    path = tmp_path / "store.sqlite3"
    old = os.umask(0o022)
    try:
        raw = sqlite3.connect(path)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("CREATE TABLE t (name TEXT)")
        raw.execute("INSERT INTO t VALUES ('홍길동')")
        raw.commit()
        files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
        assert [mode(f) for f in files] == [0o644] * 3
        engine = make_engine(f"sqlite:///{path}")
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT name FROM t").scalar_one() == "홍길동"
            assert [mode(f) for f in files] == [0o600] * 3
        engine.dispose()
        raw.close()
    finally:
        os.umask(old)
    assert warnings_of_files.text.count("was open to other users") == 3
    assert "홍길동" not in warnings_of_files.text


@posix_only
def test_private_sqlite_leaves_a_missing_folder_to_the_driver(tmp_path):
    private_sqlite(tmp_path / "nowhere" / "store.sqlite3")
    assert not (tmp_path / "nowhere").exists()


# ------------------------------------------------------------------ sign-in


def _attempts(world):
    """Every kind of failed sign-in by employee number, each run once in order."""
    b, c = world.backend, world.clock
    execute(b, "UPDATE staff SET active = :f WHERE employee_no = 'T201'", f=False)

    def attempt(employee_no, password):
        return lambda: authenticate(b, employee_no, password, clock=c)

    return {
        "unknown": attempt("Z9999", PASSWORD),
        "deactivated, right password": attempt("T201", PASSWORD),
        "wrong password": attempt("T002", "wrong-password-1"),
        **{f"wrong password {n}": attempt("T001", "wrong-password-1") for n in range(1, 5)},
        "the failure that locks": attempt("T001", "wrong-password-1"),
        "locked, right password": attempt("T001", PASSWORD),
        "locked, wrong password": attempt("T001", "wrong-password-2"),
    }


def test_every_failed_sign_in_has_the_same_code_and_message(world):
    answers = {}
    for what, call in _attempts(world).items():
        with refused("AUTH_FAILED") as error:
            call()
        answers[what] = (error.value.code, error.value.message, error.value.field)
    assert set(answers.values()) == {("AUTH_FAILED", SIGN_IN_FAILED, None)}, answers
    assert scalar(world.backend, "SELECT locked_at FROM staff WHERE employee_no = 'T001'")


def test_every_sign_in_runs_exactly_one_argon2_verification(world, monkeypatch):
    """The time of a sign-in is its one argon2 verification (tens of milliseconds against
    well under one for the statements): counting them is the timing test, without a clock."""
    verified = []

    def counting(stored_hash, password):
        verified.append(stored_hash)
        return verify_password(stored_hash, password)

    monkeypatch.setattr(staff_module, "verify_password", counting)
    attempts = _attempts(world)
    attempts["success"] = lambda: authenticate(world.backend, "T002", PASSWORD, clock=world.clock)
    costs = {}
    for what, call in attempts.items():
        verified.clear()
        try:
            call()
        except Exception:  # noqa: BLE001 - the refusal itself is the previous test's subject
            pass
        costs[what] = [extract_parameters(h) for h in verified]
    backend_cost = (world.backend.password_time_cost, world.backend.password_memory_kib)
    for what, params in costs.items():
        assert len(params) == 1, what
        assert (params[0].time_cost, params[0].memory_cost) == backend_cost, what


def test_a_sign_in_holds_no_connection_while_it_verifies(world, monkeypatch):
    """The ~0.2 s of argon2 run outside any transaction: a sign-in holding its row lock (on
    SQLite the store's one write lock) that long made every other terminal's write wait."""
    pool = world.backend.store.engine.pool
    held = []

    def watching(stored_hash, password):
        held.append(pool.checkedout())
        return verify_password(stored_hash, password)

    monkeypatch.setattr(staff_module, "verify_password", watching)
    authenticate(world.backend, "T002", PASSWORD, clock=world.clock)
    with refused("AUTH_FAILED"):
        authenticate(world.backend, "Z9999", PASSWORD, clock=world.clock)
    assert held == [0, 0]


def test_a_password_changed_while_it_is_verified_is_verified_again(world, monkeypatch):
    """The result of the verification before the transaction counts only for the hash the
    transaction reads: a change in between (an admin's reset at that moment) is checked
    again, so the old password does not sign in."""
    b = world.backend
    new_hash = staff_module.hash_password("Another-pass-93", time_cost=b.password_time_cost,
                                          memory_kib=b.password_memory_kib)
    verified = []

    def changing(stored_hash, password):
        if not verified:  # the first verification: the change lands while it runs
            execute(b, "UPDATE staff SET password_hash = :h WHERE employee_no = 'T002'",
                    h=new_hash)
        verified.append(stored_hash)
        return verify_password(stored_hash, password)

    monkeypatch.setattr(staff_module, "verify_password", changing)
    with refused("AUTH_FAILED"):
        authenticate(b, "T002", PASSWORD, clock=world.clock)
    assert len(verified) == 2 and verified[1] == new_hash
    assert scalar(b, "SELECT failed_sign_ins FROM staff WHERE employee_no = 'T002'") == 1
    verified.clear()
    verified.append("the change is made")
    authenticate(b, "T002", "Another-pass-93", clock=world.clock)


def test_the_dummy_hash_has_the_backends_cost_and_matches_nothing(world):
    b = world.backend
    dummy = dummy_hash(b.password_time_cost, b.password_memory_kib)
    real = scalar(b, "SELECT password_hash FROM staff WHERE employee_no = 'T001'")
    assert extract_parameters(dummy) == extract_parameters(real)
    for password in ("", PASSWORD, "wrong-password-1", dummy):
        assert not verify_password(dummy, password)


def test_an_unknown_number_with_any_password_changes_no_account(world):
    b = world.backend
    before = snapshot(b)
    with refused("AUTH_FAILED"):
        authenticate(b, "Z9999", PASSWORD, clock=world.clock)
    after = snapshot(b)
    assert after["staff"] == before["staff"]


def test_the_member_of_a_session_learns_the_lock_on_the_idle_lock_screen(world):
    """The session names the member, so there the lock can be said, whatever the password."""
    b, c = world.backend, world.clock
    for _ in range(5):
        with refused("AUTH_FAILED"):
            authenticate(b, "T001", "wrong-password-1", clock=c)
    for password in (PASSWORD, "wrong-password-1"):
        with refused("STAFF_LOCKED"):
            verify_actor_password(b, world.teller, password, clock=c)


# ------------------------------------------------------------------ passwords


def test_the_common_list_is_loaded_whole_without_its_header():
    common = common_passwords()
    assert len(common) > 19_000
    assert {"password123", "password1234", "qwerty", "iloveyou"} <= common
    assert not {"copyright", "commonpasswordsrefusedforstaffaccounts"} & common
    assert common_passwords() is common  # read once


@pytest.mark.parametrize(("password", "why"), [
    ("password123", "commonly used"),
    ("Password1234", "commonly used"),
    ("PASSWORD-1234", "commonly used"),  # case and separators do not matter
    ("T003", "at least 10"),
    ("T003T003T003", "employee number"),
    ("xx-t-0-0-3-yy9", "employee number"),
    ("새직원비밀번호2417", "name"),
    ("Kim Min-su 2417", "name"),
    ("Desk-2417", "at least 10"),  # 9 characters
])
def test_refused_passwords_name_the_field(password, why):
    name = "Kim Min-su" if "Kim" in password else "새직원"
    with refused("INVALID_INPUT", "password") as error:
        check_new_password(password, employee_no="T003", name=name)
    assert why in error.value.message


@pytest.mark.parametrize("password", [PASSWORD, "Gangnam#Desk-7731", "지점창구의비밀번호77"])
def test_a_good_password_passes(password):
    assert check_new_password(password, employee_no="T003", name="새직원") is None


def test_the_demo_password_passes_for_every_demo_member():
    with resource(DEMO_STAFF).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    for row in rows:
        check_new_password(DEMO_PASSWORD, employee_no=row["employee_no"], name=row["name"])


def test_add_staff_refuses_weak_passwords(world):
    b, c = world.backend, world.clock
    everything = snapshot(b)
    for password in ("password123", "Password1234", "T003xxxxxx9", "새직원xxxxx9", "Desk-2417"):
        with refused("INVALID_INPUT", "password"):
            add_staff(b, world.admin, employee_no="T003", name="새직원", branch_code="001",
                      role="teller", password=password, clock=c)
    assert snapshot(b) == everything
    view = add_staff(b, world.admin, employee_no="T003", name="새직원", branch_code="001",
                     role="teller", password="Gangnam#Desk-7731", clock=c)
    assert authenticate(b, view.employee_no, "Gangnam#Desk-7731", clock=c).employee_no == "T003"


def test_the_first_admin_is_refused_a_weak_password(backend, clock):
    for password in ("password123", "A0001-secret-9", "관리자의비밀번호9"):
        with refused("INVALID_INPUT", "password"):
            bootstrap_admin(backend, employee_no="A0001", name="관리자", branch_code="HQ",
                            branch_name="본사", password=password, clock=clock)
    assert scalar(backend, "SELECT count(*) FROM staff") == 0


def test_a_person_number_typed_as_an_employee_number_is_masked_in_the_trail(world):
    from staff_console.domain.errors import ConsoleError
    from staff_console.services.audit_trail import list_events
    from staff_console.services.staff import authenticate

    with pytest.raises(ConsoleError):
        authenticate(world.backend, "9001011234567", PASSWORD, clock=world.clock)
    page = list_events(world.backend, world.auditor, action="staff.sign_in_failed",
                       clock=world.clock)
    actors = [e.actor for e in page.items]
    assert "9001011234567" not in actors and any(a.startswith("900101-1") for a in actors)
