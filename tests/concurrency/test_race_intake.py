"""Concurrent registrations from the channel for one customer and channel: one pending
request, every other one refused with DUPLICATE_PENDING."""

from __future__ import annotations

from race_helpers import (
    ROUNDS,
    assert_store_consistent,
    codes,
    race,
    rows,
    terminals_fixture,  # noqa: F401 (the `terminals` fixture)
    unexpected,
)

from staff_console.services.intake import register_from_channel
from staff_console.services.requests import approve_request, reject_request

CUSTOMERS = ("C001", "C002", "C003", "C007")


def _register(backend, clock, customer_no, channel, device):
    return register_from_channel(
        backend, customer_no=customer_no, channel=channel, device_id=device,
        methods="pin,pattern" if channel == "mts" else "pin", verified="id_card,one_won,phone",
        clock=clock)


def _pending(engine, customer_no, channel):
    return rows(engine, """
        SELECT r.id, c.status FROM request r JOIN customer u ON u.id = r.customer_id
        JOIN credential c ON c.id = r.credential_id
        WHERE u.customer_no = :no AND r.channel = :ch AND r.status = 'pending'
          AND r.kind = 'registration'""", no=customer_no, ch=channel)


def test_concurrent_intakes_end_in_one_pending(world, terminals):
    b, clock = world.backend, world.clock
    engine = b.store.engine
    n = 6
    backs = terminals(n)
    for r in range(ROUNDS):
        customer_no = CUSTOMERS[r % len(CUSTOMERS)]
        channel = "mts" if r % 2 == 0 else "web"
        out = race([
            (lambda bk=bk, c=customer_no, ch=channel, dev=f"r{r}-t{i}":
             _register(bk, clock, c, ch, dev))
            for i, bk in enumerate(backs)
        ])
        assert unexpected(out, {"DUPLICATE_PENDING"}) == []
        assert codes(out) == {"ok": 1, "DUPLICATE_PENDING": n - 1}, codes(out)
        pending = _pending(engine, customer_no, channel)
        assert len(pending) == 1 and pending[0][1] == "pending", pending
        winner = next(o.value for o in out if o.ok)
        assert pending[0][0] == winner.request_id
        # The losers left nothing behind: no extra pending credential, no event.
        assert rows(engine, """
            SELECT count(*) FROM credential c JOIN customer u ON u.id = c.customer_id
            WHERE u.customer_no = :no AND c.channel = :ch AND c.status = 'pending'""",
                    no=customer_no, ch=channel) == [(1,)]
        # Decide it, so that the next round for this customer starts without a pending one.
        manager = world.manager if customer_no in ("C001", "C002") else world.manager2
        if r % 3 == 0:
            reject_request(b, manager, winner.request_id, note="test", clock=clock)
        else:
            approve_request(b, manager, winner.request_id, clock=clock)
    assert_store_consistent(b)


def test_intakes_on_both_channels_and_customers_at_once(world, terminals):
    """Many customers and both channels in one burst: one pending per (customer, channel)."""
    b, clock = world.backend, world.clock
    backs = terminals(8)
    for r in range(ROUNDS // 2):
        calls = []
        for i, bk in enumerate(backs):
            customer_no = CUSTOMERS[i % 2]
            channel = ("mts", "web")[(i // 2) % 2]
            calls.append(lambda bk=bk, c=customer_no, ch=channel, dev=f"r{r}-t{i}":
                         _register(bk, clock, c, ch, dev))
        out = race(calls)
        assert unexpected(out, {"DUPLICATE_PENDING"}) == []
        assert codes(out) == {"ok": 4, "DUPLICATE_PENDING": 4}, codes(out)
        for customer_no in CUSTOMERS[:2]:
            for channel in ("mts", "web"):
                pending = _pending(b.store.engine, customer_no, channel)
                assert len(pending) == 1
                reject_request(b, world.manager, pending[0][0], note="test", clock=clock)
    assert_store_consistent(b)
