"""The Console contract, embedded and through the server: store policy (a second admin for a
loosening), branches and staff, and the channel back-ends' API keys."""

from __future__ import annotations

import inspect

from helpers import PASSWORD
from test_customers_and_session import refused

from staff_console.api import Console


def test_policy_tightens_at_once_and_loosens_with_a_second_admin(desk):
    admin, second = desk.open("A0001"), desk.open(desk.staff("admin", branch="HQ"))
    entries = {e.key: e for e in admin.show_policy()}
    assert entries["policy.request_expiry_days"].default == 7
    assert entries["policy.checker.revocation"].weaker == "off"
    before = entries["policy.request_expiry_days"].value
    tighter = admin.set_policy("policy.request_expiry_days", str(before - 1))
    assert (tighter.status, tighter.new_value) == ("applied", before - 1)
    assert admin.current_policy().request_expiry_days == before - 1

    looser = admin.set_policy("policy.request_expiry_days", str(before))
    assert looser.status == "pending" and looser.id is not None
    assert looser.id in [c.id for c in second.list_policy_changes()]
    refused("SELF_APPROVAL", admin.approve_policy_change, looser.id)
    approved = second.approve_policy_change(looser.id)
    assert (approved.status, approved.decider) == ("approved", second.actor.employee_no)
    assert admin.current_policy().request_expiry_days == before
    assert looser.id in [c.id for c in admin.list_policy_changes(include_decided=True)]
    assert looser.id not in [c.id for c in admin.list_policy_changes()]

    idle = admin.set_policy("policy.idle_lock_minutes", "60")
    assert idle.status == "pending"
    rejected = second.reject_policy_change(idle.id, note="불필요")
    assert rejected.status == "rejected"
    assert admin.current_policy().idle_lock_minutes != 60
    refused("ALREADY_DECIDED", second.approve_policy_change, idle.id)
    refused("INVALID_INPUT", admin.set_policy, "policy.request_expiry_days", "99")
    refused("INVALID_INPUT", admin.set_policy, "policy.nothing", "1")
    refused("FORBIDDEN", desk.open("M001").set_policy, "policy.request_expiry_days", "3")


def test_branches_and_staff(desk):
    admin, manager = desk.open("A0001"), desk.open("M001")
    code = f"{desk.number() % 1000:03d}"
    while code in {b.code for b in admin.list_branches()}:
        code = f"{desk.number() % 1000:03d}"
    added = admin.add_branch(code, f"지점{code}")
    assert (added.code, added.name) == (code, f"지점{code}")
    assert added in admin.list_branches()
    refused("DUPLICATE", admin.add_branch, code, "또")
    refused("FORBIDDEN", manager.add_branch, "9Z9", "안됨")

    employee_no = f"N{desk.number()}"
    person = admin.add_staff(employee_no=employee_no, name="신입", branch_code=code,
                             role="teller", password=PASSWORD)
    assert (person.employee_no, person.branch_code, person.role, person.active) == (
        employee_no, code, "teller", True)
    assert [s.employee_no for s in admin.list_staff(branch_code=code)] == [employee_no]
    assert employee_no not in [s.employee_no for s in manager.list_staff()]  # his branch only
    assert "T001" in [s.employee_no for s in manager.list_staff()]
    refused("INVALID_INPUT", admin.add_staff, employee_no=f"N{desk.number()}", name="약함",
            branch_code=code, role="teller", password="1234")
    refused("FORBIDDEN", manager.add_staff, employee_no=f"N{desk.number()}", name="안됨",
            branch_code="001", role="teller", password=PASSWORD)

    locked = admin.lock_staff(employee_no)
    assert locked.locked
    # a locked account answers as a wrong password does (no account probing)
    refused("AUTH_FAILED", desk.unsigned().sign_in, employee_no, PASSWORD, terminal="desk")
    unlocked = admin.unlock_staff(employee_no)
    assert not unlocked.locked and unlocked.failed_sign_ins == 0
    assert desk.open(employee_no).actor.branch_code == code
    refused("NOT_FOUND", admin.lock_staff, "NOBODY")


def test_channel_keys_are_shown_once_and_revoked(desk):
    admin = desk.open("A0001")
    made = admin.create_channel_key("mts", name="mts-backend")
    assert made.secret and made.key.channel == "mts" and made.key.revoked_at is None
    listed = {k.id: k for k in admin.list_channel_keys()}
    assert made.key.id in listed and made.secret not in repr(listed[made.key.id])
    revoked = admin.revoke_channel_key(made.key.id)
    assert revoked.revoked_at is not None
    assert admin.list_channel_keys()[-1].id >= made.key.id
    refused("INVALID_INPUT", admin.create_channel_key, "fax")
    refused("FORBIDDEN", desk.open("M001").create_channel_key, "web")
    refused("FORBIDDEN", desk.open("T001").list_channel_keys)
    refused("NOT_FOUND", admin.revoke_channel_key, 10**9)


def test_an_admin_changes_a_role_or_branch(desk):
    """issue 15 item 5: change_staff, admin only, never one's own account; the member's
    sessions end (through the server the old session is refused at once)."""
    admin = desk.open("A0001")
    employee_no = desk.staff("teller")
    member = desk.open(employee_no)
    changed = admin.change_staff(employee_no, role="manager")
    assert (changed.employee_no, changed.role, changed.branch_code) == (
        employee_no, "manager", "001")
    if desk.mode == "server":
        refused("SESSION_ENDED", member.list_approvals)
    again = desk.open(employee_no)
    assert (again.actor.role.value, again.actor.branch_code) == ("manager", "001")
    moved = admin.change_staff(employee_no, branch_code="002")
    assert (moved.role, moved.branch_code) == ("manager", "002")
    assert employee_no in [s.employee_no for s in admin.list_staff(branch_code="002")]
    refused("FORBIDDEN", admin.change_staff, "A0001", role="teller")
    refused("FORBIDDEN", desk.open("M001").change_staff, employee_no, role="teller")
    refused("INVALID_INPUT", admin.change_staff, employee_no, role="boss")
    refused("INVALID_INPUT", admin.change_staff, employee_no)
    refused("NOT_FOUND", admin.change_staff, employee_no, branch_code="ZZ9")
    refused("NOT_FOUND", admin.change_staff, "NOBODY", role="teller")


def test_an_admin_moves_a_member_to_another_role_and_branch(desk):
    admin = desk.open("A0001")
    employee_no = desk.staff("teller")
    moved = admin.change_staff(employee_no, role="manager", branch_code="002")
    assert (moved.employee_no, moved.role, moved.branch_code) == (employee_no, "manager", "002")
    assert employee_no in [s.employee_no for s in admin.list_staff(branch_code="002")]
    actor = desk.open(employee_no).actor
    assert actor is not None and (actor.role.value, actor.branch_code) == ("manager", "002")
    refused("FORBIDDEN", desk.open("M001").change_staff, "T002", role="manager")
    refused("FORBIDDEN", admin.change_staff, "A0001", branch_code="001")  # not oneself
    refused("INVALID_INPUT", admin.change_staff, employee_no, role="boss")
    refused("NOT_FOUND", admin.change_staff, employee_no, branch_code="Z99")
    refused("INVALID_INPUT", admin.change_staff, employee_no)  # nothing to change
    refused("NOT_FOUND", admin.change_staff, "NOBODY", role="teller")


# Console methods that need no contract test of their own: `close` (ends the console; the
# fixture closes every remote one), `actor`/`training` (properties read in every test).
_NOT_CALLS = {"close", "actor", "training"}


def test_every_console_call_has_a_contract_test():
    """A call added to the Console Protocol gets a test here, run in both modes."""
    import pathlib

    calls = {name for name, _ in inspect.getmembers(Console) if not name.startswith("_")}
    here = pathlib.Path(__file__).parent
    text = "".join(path.read_text(encoding="utf-8") for path in here.glob("test_*.py"))
    missing = sorted(name for name in calls - _NOT_CALLS
                     if f".{name}(" not in text and f".{name}," not in text)
    assert not missing, f"Console calls without a contract test in tests/contract: {missing}"
