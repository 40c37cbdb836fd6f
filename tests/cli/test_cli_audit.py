"""audit verify / list / access-log / sign-off through the CLI."""

from __future__ import annotations

import json
import sqlite3

from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template


def test_audit_verify_ok_then_tampering_names_the_event(cli):
    verdict = cli.json("audit", "verify")
    assert verdict["ok"] is True and verdict["count"] > 3 and verdict["first_bad_seq"] is None
    assert "intact" in cli.ok("audit", "verify").stdout
    with sqlite3.connect(cli.db_path) as conn:
        conn.execute("UPDATE audit_event SET detail = '{\"edited\":true}' WHERE seq = 3")
    result = cli.run("audit", "verify")
    assert result.exit_code != 0
    assert "event 3" in result.stdout and "event 3" in result.stderr
    as_json = cli.run("audit", "verify", "--json")
    assert as_json.exit_code == result.exit_code
    doc = json.loads(as_json.stdout)
    assert doc["ok"] is False and doc["first_bad_seq"] == 3 and doc["count"] == 2


def test_audit_verify_detects_a_deleted_newest_event(cli):
    with sqlite3.connect(cli.db_path) as conn:
        last = conn.execute("SELECT max(seq) FROM audit_event").fetchone()[0]
        conn.execute("DELETE FROM audit_event WHERE seq = ?", (last,))
    result = cli.run("audit", "verify", "--json")
    assert result.exit_code != 0
    assert json.loads(result.stdout)["first_bad_seq"] == last


def test_audit_verify_prints_only_the_verdict(cli):
    out = cli.ok("audit", "verify").stdout
    assert "C001" not in out and "A0001" not in out
    assert len(out.strip().splitlines()) == 1


def test_audit_list_filters(cli):
    cli.registered("C001", "mts", "phone-1")
    cli.ok("customer", "show", "C002", "--as", "T001")
    by_customer = cli.events(customer="C001")
    assert by_customer and all(e["customer_no"] == "C001" for e in by_customer)
    requests = cli.events(action="request.")
    assert {e["action"] for e in requests} == {"request.created", "request.approved"}
    by_staff = cli.events(staff="T001")
    assert by_staff and {e["actor"] for e in by_staff} == {"T001"}
    assert cli.events(**{"from": "2026-11-25"}) == []
    assert cli.events(**{"to": "2026-11-23"}) == []
    assert cli.events(**{"from": "2026-11-24", "to": "2026-11-24"})
    seqs = [e["seq"] for e in cli.events()]
    assert seqs == sorted(seqs, reverse=True)
    page = cli.json("audit", "list", "--as", "AU01", "--limit", "2")
    assert len(page["items"]) == 2 and page["has_more"] is True
    older = cli.json("audit", "list", "--as", "AU01", "--limit", "2",
                     "--before", page["items"][-1]["seq"])
    assert older["items"][0]["seq"] < page["items"][-1]["seq"]
    human = cli.ok("audit", "list", "--as", "AU01", "--customer", "C001").stdout
    assert "credential.activated" in human and "+09:00" in human


def test_audit_list_refusals(cli):
    cli.fail(4, "FORBIDDEN", "audit", "list", "--as", "T001")
    bad_date = cli.fail(2, "INVALID_INPUT", "audit", "list", "--as", "AU01", "--from", "24/11")
    assert json.loads(bad_date.stdout)["error"]["field"] == "from"
    cli.fail(2, "INVALID_INPUT", "audit", "list", "--as", "AU01", "--limit", "0")


def test_access_log_review_and_sign_off(cli):
    cli.ok("customer", "show", "C001", "--as", "T001")
    cli.ok("customer", "show", "C003", "--as", "T201")
    manager = cli.json("audit", "access-log", "--month", "2026-11", "--as", "M001")
    assert manager["month"] == "2026-11"
    assert {e["actor"] for e in manager["items"]} <= {"M001", "T001", "T002"}
    assert "customer.view" in {e["action"] for e in manager["items"]}
    auditor = cli.json("audit", "access-log", "--month", "2026-11", "--as", "AU01")
    assert {"T001", "T201"} <= {e["actor"] for e in auditor["items"]}
    assert cli.json("audit", "access-log", "--month", "2026-10", "--as", "AU01")["items"] == []
    cli.fail(4, "FORBIDDEN", "audit", "access-log", "--month", "2026-11", "--as", "T001")
    month = cli.fail(2, "INVALID_INPUT", "audit", "access-log", "--month", "11/2026",
                     "--as", "AU01")
    assert json.loads(month.stdout)["error"]["field"] == "month"
    signed = cli.json("audit", "sign-off", "--month", "2026-11", "--note", "이상 없음",
                      "--as", "M001")
    assert signed["action"] == "access_log.signed_off" and signed["actor"] == "M001"
    assert signed["detail"] == {"month": "2026-11", "scope": "001", "note": "이상 없음"}
    assert "signed off" in cli.ok("audit", "sign-off", "--month", "2026-11", "--as", "AU01").stdout
    assert cli.json("audit", "verify")["ok"] is True
