"""A request is decided exactly once, whoever presses the button at the same moment."""

from __future__ import annotations

from datetime import timedelta

from helpers import register
from race_helpers import (
    ROUNDS,
    assert_store_consistent,
    codes,
    race,
    rows,
    scalar,
    terminals_fixture,  # noqa: F401 (the `terminals` fixture)
    unexpected,
)

from staff_console.services.delegations import grant_delegation
from staff_console.services.requests import (
    approve_request,
    reject_request,
    request_revocation,
    withdraw_request,
)


def _decision_events(engine, request_id: int) -> list[str]:
    return [r[0] for r in rows(
        engine, "SELECT action FROM audit_event WHERE target = :t AND action IN "
                "('request.approved', 'request.rejected', 'request.withdrawn') ORDER BY seq",
        t=f"request:{request_id}")]


def _delegate_t002(world):
    now = world.clock.now()
    grant_delegation(world.backend, world.manager, delegate_employee_no="T002",
                     valid_from=now - timedelta(hours=1), valid_until=now + timedelta(days=1),
                     clock=world.clock)


def test_many_approvers_one_request(world, terminals):
    """Six terminals (the manager on four, the delegate on two) approve one registration:
    one wins, five get ALREADY_DECIDED, one request.approved event."""
    _delegate_t002(world)
    backs = terminals(6)
    engine = world.backend.store.engine
    clock = world.clock
    for r in range(ROUNDS):
        intake = register(world, device_id=f"dev-{r}")
        approvers = [world.manager] * 4 + [world.teller2] * 2
        out = race([
            (lambda b=b, a=a, rid=intake.request_id: approve_request(b, a, rid, clock=clock))
            for b, a in zip(backs, approvers, strict=True)
        ])
        assert unexpected(out, {"ALREADY_DECIDED"}) == []
        assert codes(out) == {"ok": 1, "ALREADY_DECIDED": 5}, codes(out)
        assert _decision_events(engine, intake.request_id) == ["request.approved"]
        assert scalar(engine, "SELECT count(*) FROM credential WHERE customer_id = "
                              "(SELECT customer_id FROM request WHERE id = :i) AND channel = 'mts'"
                              " AND status IN ('active', 'locked')", i=intake.request_id) == 1
    assert_store_consistent(world.backend)


def test_approve_reject_withdraw_mix(world, terminals):
    """Approvals, rejections and the maker's withdrawal race on one revocation request:
    exactly one of them happens, and the credential follows the one that won."""
    _delegate_t002(world)
    b, clock = world.backend, world.clock
    engine = b.store.engine
    backs = terminals(7)
    winners = {}
    for r in range(ROUNDS):
        intake = register(world, device_id=f"dev-{r}")
        approve_request(b, world.manager, intake.request_id, clock=clock)
        req = request_revocation(b, world.teller, customer_no="C001", channel="mts",
                                 reason="lost_device", clock=clock)
        rid = req.id
        calls = [
            lambda rid=rid: approve_request(backs[0], world.manager, rid, clock=clock),
            lambda rid=rid: approve_request(backs[1], world.teller2, rid, clock=clock),
            lambda rid=rid: reject_request(backs[2], world.manager, rid, note="no", clock=clock),
            lambda rid=rid: reject_request(backs[3], world.teller2, rid, note="no", clock=clock),
            lambda rid=rid: withdraw_request(backs[4], world.teller, rid, clock=clock),
            lambda rid=rid: withdraw_request(backs[5], world.teller, rid, clock=clock),
            lambda rid=rid: approve_request(backs[6], world.manager, rid, clock=clock),
        ]
        kinds = ["approved", "approved", "rejected", "rejected", "withdrawn", "withdrawn",
                 "approved"]
        out = race(calls)
        assert unexpected(out, {"ALREADY_DECIDED"}) == []
        assert codes(out) == {"ok": 1, "ALREADY_DECIDED": 6}, codes(out)
        won = kinds[next(i for i, o in enumerate(out) if o.ok)]
        winners[won] = winners.get(won, 0) + 1
        assert _decision_events(engine, req.id) == [f"request.{won}"]
        status = scalar(engine, "SELECT status FROM request WHERE id = :i", i=req.id)
        cred = scalar(engine, "SELECT status FROM credential WHERE id = :i", i=req.credential_id)
        assert status == won
        assert cred == ("revoked" if won == "approved" else "active")
    assert sum(winners.values()) == ROUNDS
    assert_store_consistent(b)
