"""The Console Protocol's contract, embedded and through a live server: the walkthrough's flows
run once on a LocalConsole over the store and once on RemoteConsoles of a server process, each
on an identically built store, and every answer (times, hashes and signatures aside) and every
refusal's code must be the same."""

from __future__ import annotations

import re
import stat
from datetime import UTC, datetime, timedelta

import pytest
from live_server import SITE_BACKENDS, Site, make_site

from staff_console.api import Console
from staff_console.api.wire import encode
from staff_console.domain.errors import ConsoleError

_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_HEX = re.compile(r"^[0-9a-f]{32,}$")


def _normal(value):
    """A view's JSON without what depends on the wall clock or the store's random id (times,
    hashes, signed lines)."""
    if isinstance(value, dict):
        return {k: "<varies>" if k in ("line", "at", "store_id") else _normal(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, str) and (_TIME.match(value) or _HEX.match(value)):
        return "<varies>"
    return value


def walkthrough(open_console, tmp_path) -> list:
    """The flows of the README's walkthrough through the Protocol; the transcript of answers."""
    transcript: list = []

    def note(label, value):
        transcript.append((label, _normal(encode(value))))
        return value

    def refusal(label, call):
        with pytest.raises(ConsoleError) as caught:
            call()
        transcript.append((label, caught.value.code))
        return caught.value.code

    teller: Console = open_console("T001")
    teller2: Console = open_console("T002")
    manager: Console = open_console("M001")
    auditor: Console = open_console("AU01")
    admin: Console = open_console("A0001")

    page = note("search", teller.search_customers("홍"))
    assert {c.customer_no for c in page.items} >= {"C001", "C007"}
    detail = note("show", teller.show_customer("C001"))
    assert detail.mts is not None and detail.mts.status == "active"
    note("matrix", teller.service_matrix("C001"))

    # Revocation: made by a teller, approved by the manager in another session.
    made = note("request", teller.request_revocation(customer_no="C001", channel="mts",
                                                     reason="lost_device", note="분실"))
    assert made.status == "pending"
    assert made.id in [r.id for r in note("mine", teller.list_my_requests(pending_only=True))]
    assert made.id in [r.id for r in note("approvals", manager.list_approvals())]
    refusal("teller approves", lambda: teller2.approve_request(made.id))
    refusal("own approval", lambda: teller.approve_request(made.id))
    decided = note("approve", manager.approve_request(made.id, note="확인"))
    assert decided.status == "approved" and decided.decider == "M001"
    refusal("twice", lambda: manager.approve_request(made.id))
    assert note("after", teller.show_customer("C001")).mts is None

    # Reject and withdraw.
    web = note("request web", teller.request_revocation(customer_no="C001", channel="web",
                                                        reason="customer_request"))
    assert note("reject", manager.reject_request(web.id, note="본인 확인 불가")).status == "rejected"
    other = note("request c002", teller.request_revocation(customer_no="C002", channel="mts",
                                                           reason="incident"))
    assert note("withdraw", teller.withdraw_request(other.id)).status == "withdrawn"

    # A delegation: the teller decides under it, then it ends.
    now = datetime.now(UTC)
    granted = note("grant", manager.grant_delegation(
        delegate_employee_no="T002", valid_from=now - timedelta(minutes=1),
        valid_until=now + timedelta(hours=2)))
    assert granted.active
    assert granted.id in [d.id for d in note("delegations", manager.list_delegations())]
    again = note("request again", teller.request_revocation(customer_no="C002", channel="mts",
                                                            reason="lost_device"))
    approved = note("delegate approves", teller2.approve_request(again.id))
    assert approved.authority == "delegate"
    ended = note("end", manager.end_delegation(granted.id))
    assert ended.ended_at is not None and not ended.active

    # Expiring credentials, and their export (a new owner-only file on this terminal).
    note("expiring", manager.list_expiring(within_days=400))
    note("by month", manager.expiring_by_month(months=13))
    export = tmp_path / "expiring.csv"
    result = manager.export_expiring(export, within_days=400)
    transcript.append(("export rows", result.rows))
    assert stat.S_IMODE(export.stat().st_mode) == 0o600
    assert export.read_text(encoding="utf-8-sig").count("\n") >= result.rows
    refusal("export again", lambda: manager.export_expiring(export, within_days=400))

    # The audit trail: the events of a customer, the verification, an anchor.
    events = note("events", auditor.list_events(customer_no="C001"))
    assert any(e.action == "request.approved" or e.action.startswith("request.")
               for e in events.items)
    verdict = note("verify", auditor.verify_audit())
    assert verdict.ok and verdict.count > 0
    note("anchor", auditor.anchor_audit())

    # Policy: tightening applies at once; loosening waits for a second admin.
    assert note("set", admin.set_policy("policy.request_expiry_days", "5")).status == "applied"
    assert note("loosen", admin.set_policy("policy.idle_lock_minutes", "30")).status == "pending"
    note("policy", admin.show_policy())
    note("changes", admin.list_policy_changes())
    refusal("teller sets policy", lambda: teller.set_policy("policy.request_expiry_days", "3"))

    note("branches", admin.list_branches())
    note("staff", manager.list_staff())
    refusal("unknown customer", lambda: teller.show_customer("C999"))
    refusal("bad input", lambda: teller.search_customers("x" * 500))
    for console in (teller, teller2, manager, auditor, admin):
        console.sign_out(reason="command_end")
    return transcript


@pytest.fixture(params=SITE_BACKENDS)
def two_sites(request, tmp_path_factory):
    local_sites = make_site(request.param, tmp_path_factory.mktemp("local"))
    remote_sites = make_site(request.param, tmp_path_factory.mktemp("remote"))
    local, remote = next(local_sites), next(remote_sites)
    remote.start()
    yield local, remote
    for sites in (local_sites, remote_sites):
        next(sites, None)


def test_the_walkthrough_answers_the_same_embedded_and_through_the_server(two_sites, tmp_path):
    local, remote = two_sites
    assert isinstance(local, Site)
    (tmp_path / "local").mkdir()
    (tmp_path / "remote").mkdir()
    embedded = walkthrough(local.local, tmp_path / "local")
    served = walkthrough(remote.signed_in, tmp_path / "remote")
    assert len(embedded) == len(served)
    for mine, theirs in zip(embedded, served, strict=True):
        assert mine == theirs, mine[0]
