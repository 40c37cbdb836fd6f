"""audit verify / list / access-log / sign-off through the CLI."""

from __future__ import annotations

import json
import sqlite3

from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template


def test_audit_verify_ok_then_tampering_names_the_event(cli):
    verdict = cli.json("audit", "verify")
    assert verdict["verdict"] == "intact" and verdict["events"] > 3
    assert verdict["first_bad"] is None and verdict["problem"] is None
    assert verdict["anchors_checked"] == 0 and verdict["unanchored_after"] == 0
    assert "intact" in cli.ok("audit", "verify").stdout
    with sqlite3.connect(cli.db_path) as conn:
        conn.execute("UPDATE audit_event SET detail = '{\"edited\":true}' WHERE seq = 3")
    result = cli.run("audit", "verify")
    assert result.exit_code == 3
    assert "event 3" in result.stdout and "event 3" in result.stderr
    assert "error: AUDIT_TAMPERED: EDITED" in result.stderr
    as_json = cli.run("audit", "verify", "--json")
    assert as_json.exit_code == result.exit_code
    doc = json.loads(as_json.stdout)
    assert doc["verdict"] == "tampered" and doc["problem"] == "EDITED"
    assert doc["first_bad"] == 3 and doc["events"] == 2


def test_audit_verify_detects_a_deleted_newest_event(cli):
    with sqlite3.connect(cli.db_path) as conn:
        last = conn.execute("SELECT max(seq) FROM audit_event").fetchone()[0]
        conn.execute("DELETE FROM audit_event WHERE seq = ?", (last,))
    result = cli.run("audit", "verify", "--json")
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    assert doc["first_bad"] == last and doc["problem"] == "TRUNCATED"
    assert doc["missing"] == [last, last]


def test_audit_verify_prints_only_the_verdict(cli):
    out = cli.ok("audit", "verify").stdout
    assert "C001" not in out and "A0001" not in out
    # The verdict, and what it cannot see without anchors.
    lines = out.strip().splitlines()
    assert len(lines) == 2 and "intact" in lines[0] and "no anchors" in lines[1]


def _cut_with_the_key(cli, keep: int) -> None:
    """What someone holding the store's key can do: delete the newest events and re-sign the
    head at the new last event."""
    from staff_console.store.keyring import Keyring, decode_key

    key = Keyring(decode_key((cli.home / "master.key").read_text()))
    with sqlite3.connect(cli.db_path) as conn:
        digest = conn.execute("SELECT hash FROM audit_event WHERE seq = ?", (keep,)).fetchone()[0]
        conn.execute("DELETE FROM audit_event WHERE seq > ?", (keep,))
        conn.execute("UPDATE audit_head SET seq = ?, hash = ?, mac = ?",
                     (keep, digest, key.head_mac(keep, digest)))


def test_audit_anchor_then_verify_against_it(cli, tmp_path):
    anchors = tmp_path / "anchors" / "trail.anchors"
    anchors.parent.mkdir()
    first = cli.json("audit", "anchor", "--out", anchors, "--as", "AU01")
    assert first["file"] == str(anchors) and first["kind"] == "anchor"
    assert (anchors.stat().st_mode & 0o777) == 0o600
    second = cli.json("audit", "anchor", "--out", anchors, "--as", "A0001")
    assert second["seq"] > first["seq"]  # the first anchor (and the sign-in) are events
    lines = anchors.read_text().splitlines()
    assert lines == [first["line"], second["line"]]
    assert "anchor written" in cli.ok("audit", "anchor", "--out", anchors, "--as",
                                      "AU01").stdout
    last = json.loads(anchors.read_text().splitlines()[2])["seq"]
    cli.fail(4, "FORBIDDEN", "audit", "anchor", "--out", anchors, "--as", "M001")
    cli.fail(2, "INVALID_INPUT", "audit", "anchor", "--as", "AU01")  # no file anywhere
    cli.fail(2, "INVALID_INPUT", "audit", "anchor", "--out", tmp_path / "no" / "such",
             "--as", "AU01")
    ok = cli.json("audit", "verify", "--anchors", anchors)
    assert ok["verdict"] == "intact" and ok["anchors_checked"] == 3
    assert ok["unanchored_after"] == last
    assert "anchored through event" in cli.ok("audit", "verify", "--anchors", anchors).stdout

    _cut_with_the_key(cli, first["seq"] - 1)
    assert cli.json("audit", "verify")["verdict"] == "intact"  # unanchored: cannot see it
    result = cli.run("audit", "verify", "--anchors", anchors, "--json")
    assert result.exit_code == 3 and "error: AUDIT_TAMPERED: TRUNCATED" in result.stderr
    doc = json.loads(result.stdout)
    assert doc == {"verdict": "tampered", "events": first["seq"] - 1, "first_bad": first["seq"],
                   "anchors_checked": 3, "problem": "TRUNCATED",
                   "missing": [first["seq"], last], "bad_anchors": [],
                   "unanchored_after": last, "anchor_file": str(anchors)}
    human = cli.run("audit", "verify", "--anchors", anchors)
    assert human.exit_code == 3 and f"{first['seq']}-{last}" in human.stdout


def test_audit_anchor_default_file_and_a_bad_line(cli, tmp_path):
    anchors = tmp_path / "trail.anchors"
    env = {"STAFF_CONSOLE_AUDIT_ANCHOR_PATH": str(anchors)}
    # Before any anchor the configured file does not exist: verified without anchors.
    assert cli.json("audit", "verify", env=env)["anchor_file"] is None
    view = cli.json("audit", "anchor", "--as", "AU01", env=env)
    assert anchors.read_text() == view["line"] + "\n"
    signed = cli.json("audit", "sign-off", "--month", "2026-11", "--as", "M001", env=env)
    assert signed["anchor_file"] == str(anchors)
    sign_line = json.loads(anchors.read_text().splitlines()[1])
    assert sign_line["kind"] == "sign-off" and sign_line["seq"] == signed["detail"]["head_seq"]
    assert cli.json("audit", "verify", env=env)["anchors_checked"] == 2  # the default file
    forged = json.loads(view["line"])
    forged["seq"] += 1000
    with anchors.open("a") as handle:
        handle.write(json.dumps(forged) + "\nnot an anchor\n")
    result = cli.run("audit", "verify", "--json", env=env)
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    assert doc["problem"] == "BAD_ANCHOR" and doc["anchors_checked"] == 2
    assert doc["bad_anchors"] == [{"line": 3, "fault": "MAC"}, {"line": 4, "fault": "FORMAT"}]
    human = cli.run("audit", "verify", env=env)
    assert "line 3: MAC" in human.stdout and "line 4: FORMAT" in human.stdout
    cli.fail(2, "INVALID_INPUT", "audit", "verify", "--anchors", tmp_path / "missing")


def test_audited_commands_on_a_store_whose_head_was_deleted(cli):
    with sqlite3.connect(cli.db_path) as conn:
        conn.execute("DELETE FROM audit_head")
    result = cli.run("audit", "verify", "--json")
    assert result.exit_code == 3 and json.loads(result.stdout)["problem"] == "HEAD_MISSING"
    # Not UNEXPECTED (NoResultFound), and nothing recreates the head.
    cli.fail(1, "AUDIT_TAMPERED", "customer", "show", "C001", "--as", "T001")
    cli.fail(1, "AUDIT_TAMPERED", "db", "init")
    with sqlite3.connect(cli.db_path) as conn:
        assert conn.execute("SELECT count(*) FROM audit_head").fetchone()[0] == 0


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
    head = signed["detail"].pop("head_seq"), signed["detail"].pop("head_hash")
    assert signed["detail"] == {"month": "2026-11", "scope": "001", "note": "이상 없음"}
    assert head[0] == signed["seq"] - 1 and signed["anchor_file"] is None
    assert "signed off" in cli.ok("audit", "sign-off", "--month", "2026-11", "--as", "AU01").stdout
    assert cli.json("audit", "verify")["verdict"] == "intact"
