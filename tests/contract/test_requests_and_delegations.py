"""The Console contract, embedded and through the server: revocation requests (maker-checker),
delegations and the expiring list (each test runs in both modes: conftest.py's `desk`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from test_customers_and_session import refused


def test_a_revocation_is_requested_then_approved_by_the_branch_manager(desk):
    customer_no = desk.customer("mts")
    teller, teller2, manager = desk.open("T001"), desk.open("T002"), desk.open("M001")
    other_manager = desk.open("M002")
    made = teller.request_revocation(customer_no=customer_no, channel="mts",
                                     reason="lost_device", note="분실 신고")
    assert (made.status, made.kind, made.maker, made.branch_code) == (
        "pending", "revocation", "T001", "001")
    assert made.reason == "lost_device" and made.note == "분실 신고"
    assert made.id in [r.id for r in teller.list_my_requests(pending_only=True)]
    assert made.id not in [r.id for r in teller2.list_my_requests()]
    assert made.id in [r.id for r in manager.list_approvals()]
    assert made.id not in [r.id for r in other_manager.list_approvals()]
    assert [r.id for r in teller.show_customer(customer_no).pending] == [made.id]
    refused("DUPLICATE_PENDING", teller2.request_revocation, customer_no=customer_no,
            channel="mts", reason="incident")

    refused("FORBIDDEN", teller2.approve_request, made.id)  # a teller cannot approve
    refused("FORBIDDEN", other_manager.approve_request, made.id)  # another branch's
    decided = manager.approve_request(made.id, note="확인함")
    assert (decided.status, decided.decider, decided.authority) == ("approved", "M001",
                                                                    "manager")
    assert decided.decision_note == "확인함"
    refused("ALREADY_DECIDED", manager.approve_request, made.id)
    assert teller.get_request(made.id).status == "approved"
    assert made.id not in [r.id for r in manager.list_approvals()]
    assert made.id not in [r.id for r in teller.list_my_requests(pending_only=True)]
    assert made.id in [r.id for r in teller.list_my_requests()]
    after = teller.show_customer(customer_no)
    assert after.mts is None
    assert [(c.status, c.end_reason) for c in after.history] == [("revoked", "lost_device")]
    refused("NOT_REGISTERED", teller.request_revocation, customer_no=customer_no,
            channel="mts", reason="lost_device")
    refused("NOT_FOUND", teller.get_request, 10**9)


def test_a_manager_cannot_approve_his_own_request(desk):
    customer_no = desk.customer("web")
    manager = desk.open("M001")
    made = manager.request_revocation(customer_no=customer_no, channel="web",
                                      reason="customer_request")
    refused("SELF_APPROVAL", manager.approve_request, made.id)
    assert manager.get_request(made.id).status == "pending"


def test_reject_and_withdraw(desk):
    customer_no = desk.customer("mts", "web")
    teller, teller2, manager = desk.open("T001"), desk.open("T002"), desk.open("M001")
    web = teller.request_revocation(customer_no=customer_no, channel="web",
                                    reason="customer_request")
    refused("INVALID_INPUT", manager.reject_request, web.id, note="")
    rejected = manager.reject_request(web.id, note="본인 확인 불가")
    assert (rejected.status, rejected.decision_note) == ("rejected", "본인 확인 불가")
    assert teller.show_customer(customer_no).web is not None

    mts = teller.request_revocation(customer_no=customer_no, channel="mts", reason="incident")
    refused("FORBIDDEN", teller2.withdraw_request, mts.id)  # only its maker withdraws it
    withdrawn = teller.withdraw_request(mts.id)
    assert withdrawn.status == "withdrawn"
    refused("ALREADY_DECIDED", manager.approve_request, mts.id)
    assert teller.show_customer(customer_no).mts is not None


def test_a_delegate_decides_inside_the_window_only(desk):
    delegate_no = desk.staff("teller")
    customer_no = desk.customer("mts", "web")
    teller, manager = desk.open("T001"), desk.open("M001")
    delegate = desk.open(delegate_no)
    now = datetime.now(UTC)
    refused("FORBIDDEN", teller.grant_delegation, delegate_employee_no=delegate_no,
            valid_from=now, valid_until=now + timedelta(hours=1))
    refused("DELEGATION_INVALID", manager.grant_delegation, delegate_employee_no="T201",
            valid_from=now, valid_until=now + timedelta(hours=1))  # another branch's teller
    granted = manager.grant_delegation(delegate_employee_no=delegate_no,
                                       valid_from=now - timedelta(minutes=1),
                                       valid_until=now + timedelta(hours=2))
    assert granted.active and granted.delegate == delegate_no and granted.grantor == "M001"
    assert granted.id in [d.id for d in manager.list_delegations() if d.active]

    made = teller.request_revocation(customer_no=customer_no, channel="mts",
                                     reason="lost_device")
    assert made.id in [r.id for r in delegate.list_approvals()]
    approved = delegate.approve_request(made.id)
    assert (approved.decider, approved.authority, approved.delegation_id) == (
        delegate_no, "delegate", granted.id)

    ended = manager.end_delegation(granted.id)
    assert ended.ended_at is not None and not ended.active
    refused("DELEGATION_INVALID", manager.end_delegation, granted.id)
    late = teller.request_revocation(customer_no=customer_no, channel="web",
                                     reason="lost_device")
    refused("DELEGATION_INVALID", delegate.approve_request, late.id)
    assert not [d for d in manager.list_delegations() if d.id == granted.id and d.active]


def test_the_expiring_list_and_the_batch(desk):
    soon = desk.customer("mts")
    later = desk.customer("web")
    manager = desk.open("M001")
    # Time passes for one of them (the store's stand-in: its last valid day moves closer).
    desk.site.sql("UPDATE credential SET valid_until = :day WHERE device_id = :device",
                  day=(datetime.now(UTC) + timedelta(days=20)).date(), device=f"{soon}-mts")
    listed = {item.customer_no: item for item in manager.list_expiring(within_days=30)}
    assert soon in listed and later not in listed
    assert 18 <= listed[soon].days_left <= 21 and listed[soon].channel == "mts"
    assert later in {i.customer_no for i in manager.list_expiring(within_days=3 * 366)}
    assert soon not in {i.customer_no for i in desk.open("M002").list_expiring(within_days=30)}
    months = dict(manager.expiring_by_month(months=2))
    assert len(months) == 2 and sum(months.values()) >= 1
    refused("INVALID_INPUT", manager.list_expiring, within_days=-1)

    desk.site.sql("UPDATE credential SET valid_until = :day WHERE device_id = :device",
                  day=(datetime.now(UTC) - timedelta(days=2)).date(), device=f"{soon}-mts")
    result = desk.open("A0001").expire_due()
    assert result.credentials_expired >= 1
    assert desk.open("A0001").expire_due().credentials_expired == 0  # done once
    shown = manager.show_customer(soon)
    assert shown.mts is None and [c.status for c in shown.history] == ["expired"]


def test_the_count_of_approvals_and_the_watch(desk):
    """count_approvals is list_approvals' length (None for who decides nothing); a watching
    manager hears within 2 s of a request of his branch made and decided elsewhere, and
    nothing of another branch's."""
    import queue
    import time

    customer_no = desk.customer("mts")
    other = desk.customer("mts", branch="002")
    teller, manager = desk.open("T001"), desk.open("M001")
    assert teller.count_approvals() is None
    assert manager.count_approvals() == len(manager.list_approvals())
    events: queue.Queue = queue.Queue()
    watch = manager.watch(events.put)
    try:
        assert events.get(timeout=5).kind == "ready"
        elsewhere = desk.open("T201").request_revocation(customer_no=other, channel="mts",
                                                         reason="incident")
        before = manager.count_approvals() or 0
        made = teller.request_revocation(customer_no=customer_no, channel="mts",
                                         reason="lost_device")
        assert manager.count_approvals() == before + 1
        seen: list = []

        def heard(kind: str, request_id: int) -> bool:
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline:
                if any(e.kind == kind and e.data.get("request_id") == request_id for e in seen):
                    return True
                try:
                    seen.append(events.get(timeout=max(0.01, deadline - time.monotonic())))
                except queue.Empty:
                    break
            return any(e.kind == kind and e.data.get("request_id") == request_id for e in seen)

        assert heard("request.arrived", made.id), seen
        teller.withdraw_request(made.id)
        assert manager.count_approvals() == before
        assert elsewhere.id not in [e.data.get("request_id") for e in seen]
    finally:
        watch.stop()
    assert not watch.running
