"""`staff-console policy`: the store's policy through the CLI, and a terminal's own files and
environment that try to change it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template


@pytest.fixture
def cli2(cli):
    """The world with a second admin."""
    cli.ok("staff", "add", "--employee-no", "A0002", "--name", "부관리자", "--branch", "HQ",
           "--role", "admin", "--as", "A0001")
    return cli


def _revoke(cli, customer="C001") -> dict:
    return cli.json("request", "revoke", "--customer", customer, "--channel", "mts",
                    "--reason", "lost_device", "--as", "T001")


def _deadline(doc: dict) -> timedelta:
    return (datetime.fromisoformat(doc["expires_at"])
            - datetime.fromisoformat(doc["created_at"]))


def test_policy_show_for_every_staff_member(cli):
    doc = cli.json("policy", "show", "--as", "T001")
    assert doc["policy"] == {"policy.checker.registration": True,
                             "policy.checker.revocation": True,
                             "policy.request_expiry_days": 7, "policy.idle_lock_minutes": 10,
                             "policy.expiring_within_days": 30,
                             "policy.session_hours": 10}
    text = cli.ok("policy", "show", "--as", "AU01").stdout
    assert "policy.checker.revocation" in text and "1..30" in text


def test_a_local_config_and_environment_change_nothing(cli):
    """The hostile case of issue 12: the terminal's config.toml switches the checker off, its
    environment sets a 0-day deadline. The terminal is refused (INVALID_SETTING names the
    setting, nothing is written) and the store's policy holds: a teller's revocation waits for a
    checker with the 7-day deadline."""
    cli.registered("C001", "mts", "phone-1")
    revoke = ["request", "revoke", "--customer", "C001", "--channel", "mts",
              "--reason", "lost_device", "--as", "T001"]
    config = cli.home / "config.toml"
    config.write_text("checker_required = {revocation = false, registration = false}\n",
                      encoding="utf-8")
    result = cli.fail(2, "INVALID_SETTING", *revoke)
    assert "checker_required" in result.stderr
    config.unlink()
    result = cli.fail(2, "INVALID_SETTING", *revoke,
                      env={"STAFF_CONSOLE_REQUEST_EXPIRY_DAYS": "0"})
    assert "STAFF_CONSOLE_REQUEST_EXPIRY_DAYS" in result.stderr
    assert cli.json("requests", "--as", "T001")["items"] == []  # nothing was written
    doc = cli.json(*revoke)
    assert doc["status"] == "pending" and doc["authority"] is None
    assert _deadline(doc) == timedelta(days=7)
    intake = cli.register("C002", "web", "b-1")
    assert intake["status"] == "pending"


def test_set_a_stronger_value_applies_at_once(cli):
    doc = cli.json("policy", "set", "request_expiry_days", "3", "--as", "A0001")
    assert (doc["status"], doc["old_value"], doc["new_value"]) == ("applied", 7, 3)
    cli.registered("C001", "mts", "phone-1")
    assert _deadline(_revoke(cli)) == timedelta(days=3)
    [ev] = [e for e in cli.events() if e["action"] == "policy.changed"]
    assert (ev["actor"], ev["target"]) == ("A0001", "policy.request_expiry_days")
    detail = json.loads(ev["detail"]) if isinstance(ev["detail"], str) else ev["detail"]
    assert (detail["old"], detail["new"]) == ("7", "3")


@pytest.mark.parametrize("key,value", [("request_expiry_days", "0"),
                                       ("request_expiry_days", "-5"),
                                       ("request_expiry_days", "7502"),
                                       ("idle_lock_minutes", "61"),
                                       ("checker.revocation", "sometimes")])
def test_set_validates_the_value(cli, key, value):
    # `--` first: "-5" is a value, not an option
    result = cli.run("policy", "set", "--as", "A0001", "--json", "--", key, value)
    assert result.exit_code == 2, result.output
    assert f"error: INVALID_INPUT: policy.{key}" in result.stderr
    assert json.loads(result.stdout)["error"]["field"] == f"policy.{key}"


def test_set_refuses_unknown_keys_and_non_admins(cli):
    cli.fail(2, "INVALID_INPUT", "policy", "set", "argon2_time_cost", "1", "--as", "A0001")
    cli.fail(4, "FORBIDDEN", "policy", "set", "request_expiry_days", "3", "--as", "M001")
    cli.fail(4, "FORBIDDEN", "policy", "pending", "--as", "T001")


def test_switching_the_checker_off_takes_two_admins(cli2):
    cli = cli2
    cli.registered("C001", "mts", "phone-1")
    pending = cli.json("policy", "set", "checker.revocation", "off", "--as", "A0001")
    assert pending["status"] == "pending"
    change = pending["id"]
    assert [c["id"] for c in cli.json("policy", "pending", "--as", "A0002")["items"]] == [change]
    assert _revoke(cli)["status"] == "pending"  # not yet
    cli.fail(3, "SELF_APPROVAL", "policy", "approve", change, "--as", "A0001")
    cli.fail(4, "FORBIDDEN", "policy", "approve", change, "--as", "M001")
    done = cli.json("policy", "approve", change, "--as", "A0002")
    assert (done["status"], done["decider"]) == ("approved", "A0002")
    cli.fail(3, "ALREADY_DECIDED", "policy", "approve", change, "--as", "A0002")
    cli.registered("C002", "mts", "phone-2")
    at_once = _revoke(cli, "C002")
    assert (at_once["status"], at_once["authority"]) == ("approved", "policy")
    actions = [e["action"] for e in cli.events() if e["action"].startswith("policy.")]
    assert sorted(actions) == ["policy.change_requested", "policy.changed"]


def test_reject_a_pending_change(cli2):
    cli = cli2
    change = cli.json("policy", "set", "checker.registration", "off", "--as", "A0001")["id"]
    human = cli.ok("policy", "reject", change, "--note", "아니오", "--as", "A0002").stdout
    assert "rejected" in human
    assert cli.json("policy", "pending", "--as", "AU01")["items"] == []
    assert cli.json("policy", "show", "--as", "A0001")["policy"][
        "policy.checker.registration"] is True
    cli.fail(3, "NOT_FOUND", "policy", "approve", 99, "--as", "A0002")
