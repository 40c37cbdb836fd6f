"""Helpers for the race and crash tests: a store per thread, a barrier start, raw reads.

The tests in this folder run in the normal `pytest` on SQLite and, with
STAFF_CONSOLE_TEST_PG_URL set, on PostgreSQL too (the `pg` marker, as in `.ci/run`).

Each racing thread gets its own engine on the same database URL, as separate terminals would;
a threading.Barrier lines them up so that their transactions really overlap.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from helpers import CHEAP_ARGON2, TEST_KEY

from staff_console.domain.errors import ConsoleError
from staff_console.domain.policy import Policy
from staff_console.domain.states import CURRENT_VALUES
from staff_console.services.backend import Backend
from staff_console.store.audit import verify_chain
from staff_console.store.engine import Store, make_engine
from staff_console.store.keyring import Keyring

ROUNDS = 20


def terminal_backend(db_url: str, *, background_seal: bool = False, **store_options) -> Backend:
    """One terminal: its own engine and small pool (and, with `background_seal`, its own
    audit sealer thread, as the console runs)."""
    store = Store(make_engine(db_url, pool_size=1, max_overflow=1 + background_seal),
                  Keyring(TEST_KEY), background_seal=background_seal, **store_options)
    return Backend(store=store, policy=Policy(), **CHEAP_ARGON2)


@pytest.fixture(name="terminals")
def terminals_fixture(db_url):
    """`terminals(n)`: n backends, each with its own engine on the test's database.
    (A fixture here, imported by the test modules: a conftest.py in this folder would shadow
    the top-level one for `from conftest import ...`.)"""
    made: list[Backend] = []

    def make(n: int, *, background_seal: bool = False) -> list[Backend]:
        backends = [terminal_backend(db_url, background_seal=background_seal)
                    for _ in range(n)]
        made.extend(backends)
        return backends

    yield make
    for b in made:
        b.store.dispose()


@dataclass
class Outcome:
    value: object = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def code(self) -> str | None:
        if self.error is None:
            return None
        if isinstance(self.error, ConsoleError):
            return self.error.code
        return type(self.error).__name__


def race(calls: list[Callable[[], object]], *, timeout: float = 60) -> list[Outcome]:
    """Run the calls in threads released together by a barrier; every outcome, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]

    def runner(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout)
            outcomes[i].value = call()
        except BaseException as exc:  # noqa: BLE001 - every outcome is inspected by the test
            outcomes[i].error = exc

    threads = [threading.Thread(target=runner, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a racing thread hung"
    return outcomes


def codes(outcomes: list[Outcome]) -> Counter:
    return Counter("ok" if o.ok else o.code for o in outcomes)


def unexpected(outcomes: list[Outcome], allowed: set[str]) -> list[BaseException]:
    return [o.error for o in outcomes if not o.ok and o.code not in allowed]


def rows(engine, text: str, **params) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(text), params)]


def scalar(engine, text: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(text), params).scalar()


def count_events(engine, action: str) -> int:
    """Chained audit events with this action."""
    return scalar(engine, "SELECT count(*) FROM audit_event WHERE action = :a", a=action)


def invariant_violations(engine) -> dict[str, list[tuple]]:
    """The store-wide invariants, read with plain SQL (not through the services)."""
    current = "(" + ", ".join(f"'{status}'" for status in CURRENT_VALUES) + ")"
    checks = {
        "two current credentials per customer and channel": f"""
            SELECT customer_id, channel, count(*) FROM credential
            WHERE status IN {current} GROUP BY customer_id, channel
            HAVING count(*) > 1""",
        "two pending requests per customer, channel and kind": """
            SELECT customer_id, channel, kind, count(*) FROM request
            WHERE status = 'pending' GROUP BY customer_id, channel, kind HAVING count(*) > 1""",
        "current credential of an ineligible customer": f"""
            SELECT c.id FROM credential c JOIN customer u ON u.id = c.customer_id
            WHERE c.status IN {current} AND (u.customer_type <> 'individual'
              OR u.nationality <> 'domestic' OR NOT u.online_trading)""",
        "decided request with more or fewer than one decision event": """
            SELECT r.id, r.status, count(e.seq) FROM request r
            LEFT JOIN audit_event e ON e.target = 'request:' || r.id
              AND e.action IN ('request.approved', 'request.rejected', 'request.withdrawn',
                               'request.expired')
            GROUP BY r.id, r.status
            HAVING (r.status = 'pending' AND count(e.seq) <> 0)
                OR (r.status <> 'pending' AND count(e.seq) <> 1)""",
        "request decided by its maker": """
            SELECT id FROM request WHERE decider_staff_id = maker_staff_id""",
        "approved registration whose credential never became active": """
            SELECT r.id FROM request r JOIN credential c ON c.id = r.credential_id
            WHERE r.kind = 'registration' AND r.status = 'approved' AND c.activated_at IS NULL""",
        "pending registration whose credential is not pending": """
            SELECT r.id FROM request r JOIN credential c ON c.id = r.credential_id
            WHERE r.kind = 'registration' AND r.status = 'pending' AND c.status <> 'pending'""",
        "audit chain fork (two events on one predecessor)": """
            SELECT prev_hash, count(*) FROM audit_event GROUP BY prev_hash HAVING count(*) > 1""",
        "audit seq gap": """
            SELECT count(*), coalesce(min(seq), 1), coalesce(max(seq), 0) FROM audit_event
            HAVING count(*) <> coalesce(max(seq), 0) OR coalesce(min(seq), 1) <> 1""",
        "events committed but never chained (left in the outbox)": """
            SELECT id, action FROM audit_outbox""",
        "audit head behind or ahead of the last event": """
            SELECT h.seq, (SELECT coalesce(max(seq), 0) FROM audit_event) FROM audit_head h
            WHERE h.seq <> (SELECT coalesce(max(seq), 0) FROM audit_event)""",
    }
    found = {}
    for name, sql in checks.items():
        bad = rows(engine, sql)
        if bad:
            found[name] = bad[:10]
    return found


def assert_chain_verifies(backend: Backend) -> int:
    """The chain verifies; returns the number of chained events."""
    with backend.store.engine.connect() as conn:
        verdict = verify_chain(conn, backend.store.keyring)
    assert verdict.ok, verdict
    return verdict.count


def assert_store_consistent(backend: Backend) -> int:
    """Invariants hold and the chain verifies; returns the number of events."""
    assert invariant_violations(backend.store.engine) == {}
    return assert_chain_verifies(backend)
