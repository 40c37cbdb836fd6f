"""Staff sign-in (DOMAIN.md section 7): argon2 hashes, the 5-failure lock, admin unlock, and a
signed-in member who is locked or deactivated is refused from the next call on."""

from __future__ import annotations

import pytest
from helpers import PASSWORD, register
from svc_helpers import events_after, execute, last_seq, query, refused, scalar, snapshot

from staff_console.services.customer_search import search_customers
from staff_console.services.customer_view import show_customer
from staff_console.services.requests import (
    approve_request,
    list_approvals,
    reject_request,
    request_revocation,
    withdraw_request,
)
from staff_console.services.staff import (
    add_branch,
    add_staff,
    authenticate,
    list_staff,
    sign_out,
    unlock_staff,
    verify_actor_password,
)


def sign_in(world, employee_no, password=PASSWORD):
    return authenticate(world.backend, employee_no, password, clock=world.clock)


def lock_out(world, employee_no):
    for _ in range(5):
        with refused("AUTH_FAILED"):
            sign_in(world, employee_no, "wrong-password-1")
    assert scalar(world.backend, "SELECT locked_at FROM staff WHERE employee_no = :e",
                  e=employee_no) is not None


def test_a_wrong_password_is_auth_failed_and_counted(world):
    b = world.backend
    seq = last_seq(b)
    with refused("AUTH_FAILED"):
        sign_in(world, "T001", "wrong-password-1")
    [e] = events_after(b, seq)
    assert (e["action"], e["actor"]) == ("staff.sign_in_failed", "T001")
    assert scalar(b, "SELECT failed_sign_ins FROM staff WHERE employee_no = 'T001'") == 1


def test_five_failures_lock_and_the_right_password_does_not_open(world):
    b = world.backend
    for _ in range(5):  # the 5th locks, and says no more than the others (test_accounts.py)
        with refused("AUTH_FAILED"):
            sign_in(world, "T001", "wrong-password-1")
    assert scalar(b, "SELECT locked_at FROM staff WHERE employee_no = 'T001'") is not None
    actions = [e["action"] for e in events_after(b, 0) if e["actor"] == "T001"]
    assert actions[-2:] == ["staff.sign_in_failed", "staff.locked"]
    everything = snapshot(b)
    seq = last_seq(b)
    with refused("AUTH_FAILED"):
        sign_in(world, "T001")  # the right password: refused like a wrong one
    # the attempt is recorded, and nothing else changes (no counter, no unlock)
    [attempt] = events_after(b, seq)
    assert (attempt["action"], attempt["actor"]) == ("staff.sign_in_failed", "T001")
    assert '"why":"locked"' in attempt["detail"]
    after = snapshot(b)
    for table in everything:
        if table not in ("audit_event", "audit_head"):
            assert after[table] == everything[table], table


def test_a_success_resets_the_failure_count(world):
    for _ in range(4):
        with refused("AUTH_FAILED"):
            sign_in(world, "T001", "wrong-password-1")
    sign_in(world, "T001")
    for _ in range(4):
        with refused("AUTH_FAILED"):
            sign_in(world, "T001", "wrong-password-1")
    assert sign_in(world, "T001").employee_no == "T001"


def test_an_admin_unlocks(world):
    b, c = world.backend, world.clock
    lock_out(world, "T001")
    for who in (world.manager, world.auditor, world.teller2):
        with refused("FORBIDDEN"):
            unlock_staff(b, who, "T001", clock=c)
    view = unlock_staff(b, world.admin, "T001", clock=c)
    assert not view.locked and view.failed_sign_ins == 0
    assert sign_in(world, "T001").employee_no == "T001"
    with refused("NOT_FOUND"):
        unlock_staff(b, world.admin, "NOBODY", clock=c)


def test_an_unknown_employee_is_auth_failed(world):
    b = world.backend
    seq = last_seq(b)
    with refused("AUTH_FAILED") as unknown:
        sign_in(world, "Z9999")
    with refused("AUTH_FAILED") as wrong:
        sign_in(world, "T002", "wrong-password-1")
    # the same answer: which employee numbers exist is not revealed
    assert unknown.value.message == wrong.value.message
    assert [e["action"] for e in events_after(b, seq)] == ["staff.sign_in_failed"] * 2


def test_a_deactivated_member_cannot_sign_in(world):
    execute(world.backend, "UPDATE staff SET active = :f WHERE employee_no = 'T002'", f=False)
    with refused("AUTH_FAILED"):
        sign_in(world, "T002")


@pytest.mark.parametrize("password", [
    "short1", "onlyletterslong", "1234567890123", "",
    "password123", "Password1234", "Qwerty-1234",  # on the common-password list
    "T003-desk-2417", "my.t003.pass9",  # the employee number, whatever the case or separators
    "새직원의비밀번호12", "xx-새 직원-2417",  # the name
    "Bra-Desk9", "a" * 8 + "1",  # 9 characters
])
def test_password_strength(world, password):
    everything = snapshot(world.backend)
    with refused("INVALID_INPUT", "password") as error:
        add_staff(world.backend, world.admin, employee_no="T003", name="새직원", branch_code="001",
                  role="teller", password=password, clock=world.clock)
    assert password not in error.value.message or not password
    assert snapshot(world.backend) == everything


def test_passwords_are_stored_as_argon2_hashes(world):
    hashes = [r["password_hash"] for r in query(world.backend, "SELECT password_hash FROM staff")]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(PASSWORD in h for h in hashes)


def test_a_locked_members_existing_actor_is_refused_on_the_next_call(world):
    """The teller signed in earlier; a colleague's failed attempts lock the account meanwhile."""
    b, c = world.backend, world.clock
    actor = world.teller
    assert search_customers(b, actor, "홍길동", clock=c).items
    lock_out(world, "T001")
    everything = snapshot(b)
    with refused("STAFF_LOCKED"):
        search_customers(b, actor, "홍길동", clock=c)
    with refused("STAFF_LOCKED"):
        show_customer(b, actor, "C001", clock=c)
    assert snapshot(b) == everything


@pytest.mark.parametrize(("how", "code"), [("locked", "STAFF_LOCKED"), ("inactive", "AUTH_FAILED")])
def test_every_hot_use_case_refuses_a_member_who_lost_standing(world, how, code):
    """Search, view and decisions read the actor's standing with their first statement; the
    refusal comes first also when there is nothing to find."""
    b, c = world.backend, world.clock
    pending = register(world, "C001", "mts", "phone-1").request_id
    if how == "locked":
        execute(b, "UPDATE staff SET locked_at = :t WHERE employee_no IN ('T001', 'M001')",
                t=c.now())
    else:
        execute(b, "UPDATE staff SET active = :f WHERE employee_no IN ('T001', 'M001')", f=False)
    everything = snapshot(b)
    calls = [
        lambda: search_customers(b, world.teller, "홍길동", clock=c),  # finds someone
        lambda: search_customers(b, world.teller, "01099998888", clock=c),  # finds no one
        lambda: search_customers(b, world.teller, "ㅎㄱ", clock=c),
        lambda: show_customer(b, world.teller, "C001", clock=c),
        lambda: show_customer(b, world.teller, "C999", clock=c),  # no such customer
        lambda: approve_request(b, world.manager, pending, clock=c),
        lambda: reject_request(b, world.manager, pending, note="no", clock=c),
        lambda: approve_request(b, world.manager, 999_999, clock=c),  # no such request
        lambda: withdraw_request(b, world.teller, pending, clock=c),
        lambda: request_revocation(b, world.teller, customer_no="C002", channel="mts",
                                   reason="lost_device", clock=c),
        lambda: request_revocation(b, world.teller, customer_no="C999", channel="mts",
                                   reason="lost_device", clock=c),  # no such customer
    ]
    for call in calls:
        with refused(code):
            call()
    assert snapshot(b) == everything
    # Back in good standing, the same calls work (or say what is really wrong).
    execute(b, "UPDATE staff SET locked_at = NULL, active = :t", t=True)
    assert search_customers(b, world.teller, "홍길동", clock=c).items
    assert not search_customers(b, world.teller, "01099998888", clock=c).items
    assert show_customer(b, world.teller, "C001", clock=c).customer_no == "C001"
    with refused("NOT_FOUND"):
        show_customer(b, world.teller, "C999", clock=c)
    with refused("NOT_FOUND"):
        approve_request(b, world.manager, 999_999, clock=c)
    assert approve_request(b, world.manager, pending, clock=c).status == "approved"
    with refused("NOT_FOUND"):
        request_revocation(b, world.teller, customer_no="C999", channel="mts",
                           reason="lost_device", clock=c)
    revocation = request_revocation(b, world.teller, customer_no="C001", channel="mts",
                                    reason="lost_device", clock=c)
    assert revocation.status == "pending"


def test_a_deactivated_members_existing_actor_is_refused(world):
    b, c = world.backend, world.clock
    execute(b, "UPDATE staff SET active = :f WHERE employee_no = 'M001'", f=False)
    with refused("AUTH_FAILED"):
        list_approvals(b, world.manager, clock=c)


def test_staff_administration_is_for_admins(world):
    b, c = world.backend, world.clock
    with refused("FORBIDDEN"):
        add_staff(b, world.manager, employee_no="T003", name="새직원", branch_code="001",
                  role="teller", password=PASSWORD, clock=c)
    with refused("FORBIDDEN"):
        add_branch(b, world.manager, "003", "판교지점", clock=c)
    with refused("DUPLICATE", "employee_no"):
        add_staff(b, world.admin, employee_no="T001", name="중복", branch_code="001",
                  role="teller", password=PASSWORD, clock=c)
    with refused("NOT_FOUND"):
        add_staff(b, world.admin, employee_no="T003", name="새직원", branch_code="999",
                  role="teller", password=PASSWORD, clock=c)
    with refused("INVALID_INPUT", "role"):
        add_staff(b, world.admin, employee_no="T003", name="새직원", branch_code="001",
                  role="boss", password=PASSWORD, clock=c)
    with refused("DUPLICATE", "code"):
        add_branch(b, world.admin, "001", "다른이름", clock=c)
    seq = last_seq(b)
    add_branch(b, world.admin, "003", "판교지점", clock=c)
    add_staff(b, world.admin, employee_no="T301", name="새직원", branch_code="003",
              role="teller", password=PASSWORD, clock=c)
    assert [e["action"] for e in events_after(b, seq)] == ["branch.add", "staff.add"]
    assert sign_in(world, "T301").branch_code == "003"


def test_list_staff_scope(world):
    b, c = world.backend, world.clock
    mine = [s.employee_no for s in list_staff(b, world.manager, clock=c)]
    assert mine == ["M001", "T001", "T002"]
    everyone = [s.employee_no for s in list_staff(b, world.admin, clock=c)]
    assert len(everyone) == 7
    with refused("FORBIDDEN"):
        list_staff(b, world.teller, clock=c)


def test_sign_in_and_out_are_audited(world):
    b, c = world.backend, world.clock
    seq = last_seq(b)
    actor = sign_in(world, "T002")
    sign_out(b, actor, clock=c)
    assert [(e["action"], e["actor"]) for e in events_after(b, seq)] == [
        ("staff.sign_in", "T002"), ("staff.sign_out", "T002")]


def test_the_idle_lock_needs_the_password_again(world):
    """An idle terminal locks; unlocking is a sign-in by the same person, with the same lock."""
    b, c = world.backend, world.clock
    seq = last_seq(b)
    again = verify_actor_password(b, world.teller, PASSWORD, clock=c)
    assert again.staff_id == world.teller.staff_id
    assert [e["action"] for e in events_after(b, seq)] == ["staff.sign_in"]
    for _ in range(4):
        with refused("AUTH_FAILED"):
            verify_actor_password(b, world.teller, "wrong-password-1", clock=c)
    with refused("STAFF_LOCKED"):
        verify_actor_password(b, world.teller, "wrong-password-1", clock=c)
    with refused("STAFF_LOCKED"):
        verify_actor_password(b, world.teller, PASSWORD, clock=c)
