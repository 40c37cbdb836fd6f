"""The Console contract, embedded and through the server: the audit trail, its verification and
anchors, the access log's review, and the exports (a new owner-only file on the terminal)."""

from __future__ import annotations

import stat
from datetime import datetime
from zoneinfo import ZoneInfo

from test_customers_and_session import refused


def _month() -> str:
    # The store's months are Korea's (a run across midnight on the 1st may miss one read).
    return datetime.now(ZoneInfo("Asia/Seoul")).strftime("%Y-%m")


def test_the_events_of_a_customer_and_their_pages(desk):
    customer_no = desk.customer("mts")
    teller, manager, auditor = desk.open("T001"), desk.open("M001"), desk.open("AU01")
    made = teller.request_revocation(customer_no=customer_no, channel="mts", reason="incident")
    manager.approve_request(made.id)
    page = auditor.list_events(customer_no=customer_no)
    actions = [e.action for e in page.items]
    assert "request.created" in actions and "request.approved" in actions, actions
    assert all(e.customer_no == customer_no for e in page.items)
    seqs = [e.seq for e in page.items]
    assert seqs == sorted(seqs, reverse=True)  # newest first
    first = auditor.list_events(customer_no=customer_no, limit=1)
    assert len(first.items) == 1 and first.has_more and first.items[0].seq == seqs[0]
    rest = auditor.list_events(customer_no=customer_no, before_seq=seqs[0])
    assert [e.seq for e in rest.items] == seqs[1:]
    by_staff = auditor.list_events(staff_no="M001", action="request.approved", limit=500)
    assert made.id in {int(str(e.target).split(":")[1]) for e in by_staff.items}
    refused("FORBIDDEN", teller.list_events, customer_no=customer_no)
    refused("INVALID_INPUT", auditor.list_events, limit=0)


def test_the_trail_verifies_and_anchors(desk):
    auditor = desk.open("AU01")
    anchor = auditor.anchor_audit()
    assert anchor.seq > 0 and anchor.kind and anchor.line.strip()
    verdict = auditor.verify_audit(anchors=[anchor.line])
    assert verdict.ok and verdict.count >= anchor.seq and verdict.anchors_checked == 1
    assert verdict.bad_anchors == () and verdict.problem is None
    forged = anchor.line.replace(anchor.hash, "0" * len(anchor.hash))
    assert forged != anchor.line
    bad = auditor.verify_audit(anchors=[forged])
    assert bad.bad_anchors and bad.bad_anchors[0][0] == 1
    refused("FORBIDDEN", desk.open("T001").anchor_audit)


def test_the_access_log_review_and_its_sign_off(desk):
    customer_no = desk.customer()
    desk.open("T001").show_customer(customer_no)  # a read of customer data: in the access log
    auditor = desk.open("AU01")
    month = _month()
    page = auditor.access_log(month, limit=500)
    assert any(e.customer_no == customer_no for e in page.items)
    assert desk.open("M001").access_log(month).items  # a manager reviews his branch's
    refused("FORBIDDEN", desk.open("T001").access_log, month)
    refused("INVALID_INPUT", auditor.access_log, "2026-13")
    signoff = auditor.sign_off_access_review(month, note="이상 없음")
    assert signoff.action == "access_log.signed_off" and signoff.actor == "AU01"
    anchor = auditor.signoff_anchor(signoff)
    assert anchor.kind == "sign-off" and anchor.seq == signoff.detail["head_seq"]
    assert auditor.verify_audit(anchors=[anchor.line]).bad_anchors == ()


def test_exports_write_a_new_private_file_on_the_terminal(desk, tmp_path):
    customer_no = desk.customer("mts")
    manager, auditor = desk.open("M001"), desk.open("AU01")
    expiring = tmp_path / "expiring.csv"
    result = manager.export_expiring(expiring, within_days=3 * 366)
    text = expiring.read_text(encoding="utf-8-sig")
    assert result.rows >= 1 and result.path == str(expiring)
    assert customer_no in text and text.count("\n") == result.rows + 1
    assert stat.S_IMODE(expiring.stat().st_mode) == 0o600
    refused("INVALID_INPUT", manager.export_expiring, expiring, within_days=30)  # no overwrite
    assert expiring.read_text(encoding="utf-8-sig") == text

    events = tmp_path / "events.csv"
    counted = auditor.export_events(events, customer_no=customer_no)
    rows = events.read_text(encoding="utf-8-sig").splitlines()
    assert counted.rows == len(rows) - 1 >= 1 and all(customer_no in r for r in rows[1:])
    assert stat.S_IMODE(events.stat().st_mode) == 0o600

    access = tmp_path / "access.csv"
    assert auditor.export_access_log(_month(), access).rows >= 1
    refused("FORBIDDEN", desk.open("T001").export_access_log, _month(), tmp_path / "no.csv")
    assert not (tmp_path / "no.csv").exists()  # nothing left behind by a refusal
