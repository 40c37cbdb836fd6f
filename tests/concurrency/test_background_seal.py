"""The console's audit sealer (store/sealer.py): terminals commit their use cases and a thread
per terminal chains the events in batches afterwards. Whatever the interleaving, the chain ends
as one chain with every event once, readers see every committed event, and closing a terminal
leaves nothing in the outbox. On SQLite the option does nothing (events chain in-transaction),
so the same tests check that too."""

from __future__ import annotations

import threading

from helpers import register
from race_helpers import (
    ROUNDS,
    assert_store_consistent,
    codes,
    count_events,
    race,
    scalar,
    terminal_backend,
    terminals_fixture,  # noqa: F401 (the `terminals` fixture)
    unexpected,
)

from staff_console.services.audit_trail import list_events, verify_audit
from staff_console.services.customer_search import search_customers
from staff_console.services.customer_view import show_customer
from staff_console.services.intake import record_login
from staff_console.services.requests import approve_request, reject_request
from staff_console.store.sealer import BUSY, MAX_LINGER_FACTOR, BackgroundSealer


def test_background_sealed_terminals_make_one_chain(world, terminals):
    b, clock = world.backend, world.clock
    engine = b.store.engine
    approve_request(b, world.manager, register(world, device_id="phone").request_id, clock=clock)
    backs = terminals(6, background_seal=True)
    done = {"customer.search": 0, "customer.view": 0, "credential.login": 0,
            "request.approved": 0, "request.rejected": 0}
    for r in range(ROUNDS):
        pending = register(world, customer_no="C002", channel="web", device_id=f"b-{r}")
        calls = [
            lambda bk=backs[0]: search_customers(bk, world.teller, "홍", clock=clock),
            lambda bk=backs[1]: show_customer(bk, world.teller2, "C001", clock=clock),
            lambda bk=backs[2]: record_login(bk, customer_no="C001", channel="mts",
                                             device_id="phone", result="ok", clock=clock),
            lambda bk=backs[3]: search_customers(bk, world.auditor, "C001", clock=clock),
            # Two deciders race on one request: one decision, one event.
            lambda bk=backs[4], i=pending.request_id: approve_request(
                bk, world.manager, i, clock=clock),
            lambda bk=backs[5], i=pending.request_id: reject_request(
                bk, world.manager, i, note="race", clock=clock),
        ]
        out = race(calls)
        assert unexpected(out, {"ALREADY_DECIDED"}) == [], [repr(o.error) for o in out]
        assert codes(out)["ok"] == 5
        for action, o in zip(("customer.search", "customer.view", "credential.login",
                              "customer.search", "request.approved", "request.rejected"),
                             out, strict=True):
            done[action] += o.ok
    # Closing a terminal stops its sealer and chains what it left.
    for bk in backs:
        bk.store.dispose()
    assert scalar(engine, "SELECT count(*) FROM audit_outbox") == 0
    for action, n in done.items():
        if action in ("request.approved", "request.rejected"):
            continue
        assert count_events(engine, action) == n, action
    decided = count_events(engine, "request.approved") + count_events(engine, "request.rejected")
    assert decided == ROUNDS + 1  # one decision per raced request, plus the first approval
    total = assert_store_consistent(b)
    assert scalar(engine, "SELECT seq FROM audit_head") == total


def test_readers_see_every_committed_event_before_the_sealer_runs(world, db_url):
    """A sealer that has not run yet (a long linger) does not hide events from an auditor:
    reading the trail chains what is waiting first."""
    clock = world.clock
    terminal = terminal_backend(db_url, background_seal=True, seal_linger=60)
    try:
        search_customers(terminal, world.teller, "홍길동", clock=clock)
        page = list_events(world.backend, world.auditor, clock=clock, action="customer.search")
        assert [e.actor for e in page.items][:1] == ["T001"]
        assert scalar(world.backend.store.engine, "SELECT count(*) FROM audit_outbox") == 0
        assert verify_audit(world.backend, clock=clock).ok
    finally:
        terminal.store.dispose()


def test_dispose_chains_what_the_sealer_left(world, db_url):
    clock = world.clock
    terminal = terminal_backend(db_url, background_seal=True, seal_linger=60)
    for _ in range(3):
        show_customer(terminal, world.teller, "C001", clock=clock)
    terminal.store.dispose()
    engine = world.backend.store.engine
    assert scalar(engine, "SELECT count(*) FROM audit_outbox") == 0
    assert count_events(engine, "customer.view") == 3
    assert_store_consistent(world.backend)


# ---------------------------------------------------------------- the thread alone (no store)

class _FakeSeal:
    """Answers from a script: an exception to raise, or a count (BUSY: another seal works)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls: list[list[int]] = []
        self.done = threading.Event()

    def __call__(self, ids):
        self.calls.append(list(ids))
        answer = self.answers.pop(0) if self.answers else len(ids)
        if not self.answers:
            self.done.set()
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_sealer_tries_again_after_a_failed_seal():
    seal = _FakeSeal(ConnectionError("store went away"), 2)
    sealer = BackgroundSealer(seal, linger=0.001)
    sealer.notify([1, 2])
    assert seal.done.wait(10)
    sealer.close()
    assert seal.calls == [[1, 2], [1, 2]]  # the same events, not lost


def test_sealer_looks_again_when_another_seal_was_at_work():
    seal = _FakeSeal(BUSY, 1)
    sealer = BackgroundSealer(seal, linger=0.001)
    sealer.notify([7])
    assert seal.done.wait(10)
    sealer.close()
    assert seal.calls == [[7], [7]]  # not dropped: that seal may have missed our event


def _settles(sealer: BackgroundSealer, seal: _FakeSeal, calls: int, linger: float) -> bool:
    """Whether, within 10 s, the sealer has made `calls` seals and then set its linger to
    `linger` (it adapts right after each seal returns, on its own thread)."""
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if len(seal.calls) == calls and abs(sealer.linger - linger) < 1e-9:
            return True
        time.sleep(0.001)
    return False


def test_sealer_backs_off_while_other_terminals_seal_and_returns_when_it_seals_itself():
    """Events another terminal's seal took (0), or another seal at work (BUSY): the linger
    doubles, up to its cap. A seal that chained events itself: back to the base linger."""
    seal = _FakeSeal(0, 0, BUSY, 0, 0, 3, 0)
    sealer = BackgroundSealer(seal, linger=0.002)
    cap = 0.002 * MAX_LINGER_FACTOR
    steps = [([1], 1, 0.004), ([2], 2, 0.008), ([3], 4, cap),  # BUSY, then taken on the retry
             ([4], 5, cap), ([5, 6, 7], 6, 0.002), ([8], 7, 0.004)]
    try:
        for ids, calls, linger in steps:
            sealer.notify(ids)
            assert _settles(sealer, seal, calls, linger), (ids, seal.calls, sealer.linger)
    finally:
        sealer.close()
    assert seal.calls[2:4] == [[3], [3]]  # BUSY: the same events again, after the longer linger


def test_sealer_batches_what_gathered_during_its_linger():
    seal = _FakeSeal()
    sealer = BackgroundSealer(seal, linger=0.2)
    for i in range(5):
        sealer.notify([i])
    assert seal.done.wait(10)
    sealer.close()
    assert seal.calls[0] == [0, 1, 2, 3, 4]  # one seal for all five use cases


def test_closing_during_the_linger_does_not_hang():
    """`close` while the thread lingers before a seal: it still seals what it took, then stops
    at once (a terminal's exit must not wait on it)."""
    import time

    seal = _FakeSeal()
    sealer = BackgroundSealer(seal, linger=0.3)
    sealer.notify([1])
    assert sealer.lingering.wait(10)  # the thread is lingering now
    began = time.monotonic()
    sealer.close()
    assert time.monotonic() - began < 2
    assert seal.calls == [[1]]
