"""Channel intake, maker-checker decisions and delegations through the CLI."""

from __future__ import annotations

import json

import pytest
from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template

REGISTER = ["intake", "register", "--device-id", "dev-9", "--methods", "pin",
            "--verified", "id_card,one_won,phone"]

# ---------------------------------------------------------------- intake


def test_intake_register_ok_and_its_pending_request(cli):
    doc = cli.register("C001", "mts", "phone-1", "--device-model", "Galaxy S24",
                       "--biometrics", "both", "--key-fingerprint", "SHA256:abc")
    assert set(doc) == {"request_id", "credential_id", "status"}
    assert doc["status"] == "pending"
    shown = cli.json("request", "show", doc["request_id"], "--as", "M001")
    assert shown["request_id"] == doc["request_id"] and shown["kind"] == "registration"
    assert shown["origin"] == "channel" and shown["branch_code"] == "001"
    assert {e["kind"] for e in shown["evidence"]} == {"id_card", "one_won", "phone"}
    assert all(e["passed"] for e in shown["evidence"])
    assert shown["credential"]["device_model"] == "Galaxy S24"
    human = cli.ok("intake", "register", "--customer", "C002", "--channel", "web",
                   "--device-id", "chrome-1", "--methods", "pin",
                   "--verified", "id_card,one_won,phone").stdout
    assert "pending" in human


@pytest.mark.parametrize(
    ("customer", "code"),
    [("C005", "INELIGIBLE_CORPORATION"), ("C004", "INELIGIBLE_FOREIGNER"),
     ("C006", "NO_ONLINE_TRADING")],
)
def test_intake_register_ineligible_customers(cli, customer, code):
    cli.fail(3, code, *REGISTER, "--customer", customer, "--channel", "mts")
    assert cli.json("approvals", "--as", "M001")["items"] == []


def test_intake_register_needs_all_three_verifications(cli):
    result = cli.fail(3, "VERIFICATION_INCOMPLETE", "intake", "register", "--customer", "C001",
                      "--channel", "mts", "--device-id", "d", "--methods", "pin",
                      "--verified", "id_card,phone")
    assert "one_won" in result.stderr


def test_intake_register_methods_per_channel(cli):
    cli.fail(3, "METHOD_NOT_ALLOWED", "intake", "register", "--customer", "C001",
             "--channel", "web", "--device-id", "chrome-1", "--methods", "pin,fingerprint",
             "--verified", "id_card,one_won,phone")
    # MTS biometrics only where the device supports them.
    cli.fail(3, "METHOD_NOT_ALLOWED", "intake", "register", "--customer", "C001",
             "--channel", "mts", "--device-id", "p", "--methods", "pin,face",
             "--biometrics", "fingerprint", "--verified", "id_card,one_won,phone")


def test_intake_register_bad_input_is_exit_2(cli):
    channel = cli.fail(2, "INVALID_INPUT", *REGISTER, "--customer", "C001", "--channel", "sms")
    assert json.loads(channel.stdout)["error"]["field"] == "channel"
    cli.fail(3, "NOT_FOUND", *REGISTER, "--customer", "C999", "--channel", "mts")


def test_duplicate_pending_registration(cli):
    cli.register("C001", "web", "chrome-1")
    cli.fail(3, "DUPLICATE_PENDING", "intake", "register", "--customer", "C001",
             "--channel", "web", "--device-id", "safari-1", "--methods", "pin",
             "--verified", "id_card,one_won,phone")
    # The other channel is independent.
    cli.register("C001", "mts", "phone-1")


def test_five_failed_logins_lock_the_credential(cli):
    cli.registered("C001", "web", "chrome-1")
    login = ["intake", "login", "--customer", "C001", "--channel", "web", "--device-id",
             "chrome-1"]
    ok = cli.json(*login, "--result", "ok")
    assert ok["status"] == "active" and ok["failed_logins"] == 0
    for n in range(1, 5):
        assert cli.json(*login, "--result", "fail")["failed_logins"] == n
    locked = cli.json(*login, "--result", "fail")
    assert locked["status"] == "locked" and locked["failed_logins"] == 5
    cli.fail(3, "CREDENTIAL_LOCKED", *login, "--result", "ok")
    assert cli.json("customer", "show", "C001", "--as", "T001")["web"]["status"] == "locked"
    cli.fail(3, "NOT_REGISTERED", "intake", "login", "--customer", "C001", "--channel", "web",
             "--device-id", "safari-1", "--result", "ok")
    cli.fail(2, "INVALID_INPUT", *login, "--result", "maybe")


def test_registration_on_a_new_device_replaces_the_old_one(cli):
    first = cli.registered("C001", "mts", "phone-1")
    second = cli.registered("C001", "mts", "phone-2")
    shown = cli.json("customer", "show", "C001", "--as", "T001")
    assert shown["mts"]["id"] == second["credential_id"]
    old = next(h for h in shown["history"] if h["id"] == first["credential_id"])
    assert old["status"] == "replaced"


# ---------------------------------------------------------------- maker-checker


def test_revoke_and_approve_by_the_manager(cli):
    cli.registered("C001", "mts", "phone-1")
    made = cli.json("request", "revoke", "--customer", "C001", "--channel", "mts",
                    "--reason", "lost_device", "--note", "분실 신고", "--as", "T001")
    assert made["status"] == "pending" and made["request_id"] == made["id"]
    assert made["kind"] == "revocation" and made["maker"] == "T001"
    assert made["reason"] == "lost_device" and made["branch_code"] == "001"
    queue = cli.json("approvals", "--as", "M001")["items"]
    assert [r["request_id"] for r in queue] == [made["request_id"]]
    mine = cli.json("requests", "--as", "T001")["items"]
    assert [r["request_id"] for r in mine] == [made["request_id"]]
    decided = cli.json("approve", made["request_id"], "--note", "확인함", "--as", "M001")
    assert decided["status"] == "approved" and decided["decider"] == "M001"
    assert decided["authority"] == "manager" and decided["decision_note"] == "확인함"
    shown = cli.json("customer", "show", "C001", "--as", "T001")
    assert shown["mts"] is None and shown["history"][0]["status"] == "revoked"
    assert shown["history"][0]["end_reason"] == "lost_device"
    assert cli.json("approvals", "--as", "M001")["items"] == []
    assert cli.json("requests", "--pending", "--as", "T001")["items"] == []
    actions = [e["action"] for e in cli.events(customer="C001")]
    assert "request.approved" in actions and "credential.revoked" in actions


def test_revoke_refusals(cli):
    cli.fail(3, "NOT_REGISTERED", "request", "revoke", "--customer", "C001", "--channel", "mts",
             "--reason", "lost_device", "--as", "T001")
    cli.registered("C001", "mts", "phone-1")
    reason = cli.fail(2, "INVALID_INPUT", "request", "revoke", "--customer", "C001",
                      "--channel", "mts", "--reason", "bored", "--as", "T001")
    assert json.loads(reason.stdout)["error"]["field"] == "reason"
    note = cli.fail(2, "INVALID_INPUT", "request", "revoke", "--customer", "C001",
                    "--channel", "mts", "--reason", "other", "--as", "T001")
    assert json.loads(note.stdout)["error"]["field"] == "note"
    cli.json("request", "revoke", "--customer", "C001", "--channel", "mts",
             "--reason", "customer_request", "--as", "T001")
    cli.fail(3, "DUPLICATE_PENDING", "request", "revoke", "--customer", "C001",
             "--channel", "mts", "--reason", "customer_request", "--as", "T002")
    cli.fail(4, "FORBIDDEN", "request", "revoke", "--customer", "C001", "--channel", "mts",
             "--reason", "customer_request", "--as", "AU01")


def _revocation(cli, maker="T001", customer="C001", channel="mts") -> int:
    cli.registered(customer, channel, f"{channel}-dev")
    return cli.json("request", "revoke", "--customer", customer, "--channel", channel,
                    "--reason", "customer_request", "--as", maker)["request_id"]


def test_teller_cannot_approve(cli):
    request_id = _revocation(cli)
    cli.fail(4, "FORBIDDEN", "approve", request_id, "--as", "T002")
    cli.fail(4, "FORBIDDEN", "approve", request_id, "--as", "M002")  # another branch's manager
    assert cli.json("request", "show", request_id, "--as", "T001")["status"] == "pending"


def test_maker_cannot_approve_own_request(cli):
    request_id = _revocation(cli, maker="M001")
    cli.fail(3, "SELF_APPROVAL", "approve", request_id, "--as", "M001")
    assert cli.json("request", "show", request_id, "--as", "M001")["status"] == "pending"


def test_a_decision_is_final(cli):
    request_id = _revocation(cli)
    cli.ok("approve", request_id, "--as", "M001")
    cli.fail(3, "ALREADY_DECIDED", "approve", request_id, "--as", "M001")
    cli.fail(3, "ALREADY_DECIDED", "reject", request_id, "--note", "늦음", "--as", "M001")
    cli.fail(3, "NOT_FOUND", "approve", "999", "--as", "M001")


def test_reject_needs_a_note(cli):
    intake = cli.register("C001", "web", "chrome-1")
    result = cli.fail(2, "INVALID_INPUT", "reject", intake["request_id"], "--as", "M001")
    assert json.loads(result.stdout)["error"]["field"] == "note"
    assert cli.json("request", "show", intake["request_id"], "--as", "M001")["status"] == "pending"
    rejected = cli.json("reject", intake["request_id"], "--note", "신분증 불일치", "--as", "M001")
    assert rejected["status"] == "rejected" and rejected["credential"]["status"] == "rejected"
    human = cli.ok("request", "show", intake["request_id"], "--as", "M001").stdout
    assert "rejected" in human and "신분증 불일치" in human


def test_withdraw_by_the_maker_only(cli):
    request_id = _revocation(cli)
    cli.fail(4, "FORBIDDEN", "withdraw", request_id, "--as", "T002")
    withdrawn = cli.json("withdraw", request_id, "--as", "T001")
    assert withdrawn["status"] == "withdrawn"
    cli.fail(3, "ALREADY_DECIDED", "approve", request_id, "--as", "M001")
    assert cli.json("customer", "show", "C001", "--as", "T001")["mts"]["status"] == "active"


def test_human_output_of_the_queue_and_a_decision(cli):
    request_id = _revocation(cli)
    queue = cli.ok("approvals", "--as", "M001").stdout
    assert "C001" in queue and "revocation" in queue and "+09:00" in queue
    decided = cli.ok("approve", str(request_id), "--as", "M001").stdout
    assert "approved" in decided and "M001" in decided
    assert "C001" in cli.ok("requests", "--as", "T001").stdout


# ---------------------------------------------------------------- delegation


def test_delegation_grant_list_end(cli):
    granted = cli.json("delegate", "grant", "--to", "T002", "--from", "2026-11-24T09:00:00+09:00",
                       "--until", "2026-11-25T09:00:00+09:00", "--as", "M001")
    assert granted["delegate"] == "T002" and granted["grantor"] == "M001"
    assert granted["active"] is True and granted["branch_code"] == "001"
    assert [d["id"] for d in cli.json("delegate", "list", "--as", "M001")["items"]] == [granted["id"]]
    assert [d["id"] for d in cli.json("delegate", "list", "--as", "T002")["items"]] == [granted["id"]]
    assert cli.json("delegate", "list", "--as", "T001")["items"] == []
    assert "T002" in cli.ok("delegate", "list", "--as", "M001").stdout
    ended = cli.json("delegate", "end", granted["id"], "--as", "M001")
    assert ended["active"] is False and ended["ended_at"] is not None
    cli.fail(3, "DELEGATION_INVALID", "delegate", "end", granted["id"], "--as", "M001")


def test_delegation_refusals(cli):
    window = ["--from", "2026-11-24T09:00:00+09:00", "--until", "2026-11-25T09:00:00+09:00"]
    cli.fail(4, "FORBIDDEN", "delegate", "grant", "--to", "T002", *window, "--as", "T001")
    cli.fail(3, "DELEGATION_INVALID", "delegate", "grant", "--to", "T201", *window,
             "--as", "M001")  # another branch
    naive = cli.fail(2, "INVALID_INPUT", "delegate", "grant", "--to", "T002", "--from",
                     "2026-11-24T09:00", "--until", "2026-11-25T09:00:00+09:00", "--as", "M001")
    assert json.loads(naive.stdout)["error"]["field"] == "from"
    cli.fail(3, "DELEGATION_INVALID", "delegate", "grant", "--to", "T002",
             "--from", "2026-11-25T09:00:00+09:00", "--until", "2026-11-24T09:00:00+09:00",
             "--as", "M001")


def test_a_delegate_approves_inside_the_window_only(cli):
    cli.json("delegate", "grant", "--to", "T002", "--from", "2026-11-24T09:00:00+09:00",
             "--until", "2026-11-25T09:00:00+09:00", "--as", "M001")
    inside = _revocation(cli, customer="C001", channel="mts")
    assert [r["request_id"] for r in cli.json("approvals", "--as", "T002")["items"]] == [inside]
    decided = cli.json("approve", inside, "--as", "T002")
    assert decided["authority"] == "delegate" and decided["delegation_id"] is not None
    assert decided["decider"] == "T002"
    late = _revocation(cli, customer="C002", channel="web")
    after = "2026-11-25T09:00:00+09:00"  # `until` is exclusive
    cli.fail(3, "DELEGATION_INVALID", "--now", after, "approve", late, "--as", "T002")
    assert cli.json("--now", after, "approvals", "--as", "T002")["items"] == []
    # The manager still decides.
    assert cli.json("--now", after, "approve", late, "--as", "M001")["authority"] == "manager"


def test_a_delegation_ended_early_stops_the_delegate(cli):
    granted = cli.json("delegate", "grant", "--to", "T002", "--from", "2026-11-24T09:00:00+09:00",
                       "--until", "2026-11-30T09:00:00+09:00", "--as", "M001")
    request_id = _revocation(cli)
    cli.ok("delegate", "end", granted["id"], "--as", "M001")
    cli.fail(3, "DELEGATION_INVALID", "approve", request_id, "--as", "T002")


def test_a_request_past_its_deadline_cannot_be_decided(cli):
    intake = cli.register("C002", "mts", "phone-9")
    later = "2026-12-01T10:00:00+09:00"  # created + 7 days
    cli.fail(3, "REQUEST_EXPIRED", "--now", later, "approve", intake["request_id"], "--as", "M001")
    assert cli.json("--now", later, "approvals", "--as", "M001")["items"] == []
