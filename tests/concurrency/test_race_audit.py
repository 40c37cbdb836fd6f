"""Many terminals append to the audit chain at once: it stays one chain, seq 1..N without gaps
or forks, it verifies, and every successful operation left exactly its event."""

from __future__ import annotations

from helpers import register
from race_helpers import (
    ROUNDS,
    assert_store_consistent,
    codes,
    count_events,
    race,
    rows,
    scalar,
    terminals_fixture,  # noqa: F401 (the `terminals` fixture)
    unexpected,
)

from staff_console.services.customer_search import search_customers
from staff_console.services.customer_view import show_customer
from staff_console.services.intake import record_login
from staff_console.services.requests import approve_request


def test_concurrent_appends_make_one_chain(world, terminals):
    b, clock = world.backend, world.clock
    engine = b.store.engine
    approve_request(b, world.manager, register(world, device_id="phone").request_id, clock=clock)
    approve_request(b, world.manager, register(world, customer_no="C002", channel="web",
                                               device_id="browser").request_id, clock=clock)
    n = 8
    backs = terminals(n)
    actors = [world.teller, world.teller2, world.manager, world.auditor] * 2
    before = {a: count_events(engine, a) for a in ("customer.search", "customer.view",
                                              "credential.login")}
    ok = {"customer.search": 0, "customer.view": 0, "credential.login": 0}
    for r in range(ROUNDS):
        calls = []
        for i, (bk, actor) in enumerate(zip(backs, actors, strict=True)):
            kind = (r + i) % 4
            if kind == 0:
                calls.append(lambda bk=bk, a=actor: search_customers(bk, a, "홍", clock=clock))
            elif kind == 1:
                calls.append(lambda bk=bk, a=actor: show_customer(bk, a, "C001", clock=clock))
            elif kind == 2:
                calls.append(lambda bk=bk: record_login(bk, customer_no="C001", channel="mts",
                                                        device_id="phone", result="ok",
                                                        clock=clock))
            else:
                calls.append(lambda bk=bk: record_login(bk, customer_no="C002", channel="web",
                                                        device_id="browser", result="ok",
                                                        clock=clock))
        out = race(calls)
        assert unexpected(out, set()) == [], [repr(o.error) for o in out if not o.ok]
        assert codes(out) == {"ok": n}
        for i in range(n):
            action = ("customer.search", "customer.view", "credential.login",
                      "credential.login")[(r + i) % 4]
            ok[action] += 1
    for action, done in ok.items():
        assert count_events(engine, action) - before[action] == done, action
    total = assert_store_consistent(b)
    assert rows(engine, "SELECT min(seq), max(seq), count(*) FROM audit_event") == [
        (1, total, total)]
    assert scalar(engine, "SELECT seq FROM audit_head") == total
    assert scalar(engine, "SELECT count(*) FROM audit_outbox") == 0


def test_seals_racing_each_other_chain_every_event_once(world, terminals):
    """PostgreSQL: terminals seal each other's events; whoever seals, each event is chained
    exactly once and the outbox ends empty. (SQLite: the same calls, chained in-transaction.)"""
    b, clock = world.backend, world.clock
    engine = b.store.engine
    backs = terminals(6)
    searches = 0
    for _ in range(ROUNDS // 2):
        calls = [lambda bk=bk: search_customers(bk, world.teller, "ㅎㄱ", clock=clock)
                 for bk in backs]
        calls += [lambda bk=bk: bk.store.seal_pending() for bk in backs[:3]]
        out = race(calls)
        assert all(o.ok for o in out), [repr(o.error) for o in out if not o.ok]
        searches += len(backs)
    assert count_events(engine, "customer.search") == searches
    assert scalar(engine, "SELECT count(*) FROM audit_outbox") == 0
    assert_store_consistent(b)
