"""A stateful property test: random sequences of what the channels, the staff and the clock do,
on a fresh SQLite store per example, with the invariants of DOMAIN.md checked after every step.

Invariants:
- at most one current (active or locked) credential per customer and channel;
- no current credential for a corporation, a foreigner or a customer without online trading;
- at most one pending request per customer, channel and kind;
- every credential and request status change is an allowed transition (domain.states);
- whoever decided a request did not make it, and held the authority at decided_at: the manager
  of the request's branch, or the delegate of a delegation of that branch whose window covered
  decided_at and had not been ended by then (delegations are granted and ended by the steps);
- a step that succeeds appends at least one audit event; a refused step (ConsoleError) changes
  nothing at all; the audit chain verifies after every step.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections import Counter
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import CHEAP_ARGON2, NOW, TEST_KEY, build_world
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from svc_helpers import audit_count, query, snapshot

from staff_console.domain.authority import delegation_state
from staff_console.domain.channels import Channel
from staff_console.domain.clock import FixedClock, parse_instant
from staff_console.domain.errors import ConsoleError
from staff_console.domain.policy import Policy
from staff_console.domain.states import (
    CREDENTIAL_TRANSITIONS,
    CURRENT_VALUES,
    REQUEST_TRANSITIONS,
    CredentialStatus,
    RequestStatus,
    RevocationReason,
)
from staff_console.services.audit_trail import verify_audit
from staff_console.services.backend import Backend
from staff_console.services.delegations import end_delegation, grant_delegation
from staff_console.services.expiry import expire_due
from staff_console.services.intake import record_login, register_from_channel
from staff_console.services.requests import (
    approve_request,
    reject_request,
    request_revocation,
    withdraw_request,
)
from staff_console.store.engine import Store, make_engine
from staff_console.store.keyring import Keyring

OUTCOMES: Counter[str] = Counter()  # what the examples did, across the run

CUSTOMERS = ["C001", "C002", "C003", "C004", "C005", "C006", "C007"]
ELIGIBLE = ["C001", "C002", "C003", "C007"]
INELIGIBLE = ("C004", "C005", "C006")
STAFF = ["M001", "T001", "T002", "AU01", "M002", "T201"]
DEVICES = ["dev-a", "dev-b"]
# Mostly customers who can register, so that sequences get far; sometimes one who cannot.
SOME_CUSTOMER = st.one_of(st.sampled_from(ELIGIBLE), st.sampled_from(CUSTOMERS))
FULL = "id_card,one_won,phone"
CHANNELS = st.sampled_from([channel.value for channel in Channel])
PICK = st.integers(0, 1000)
# Most often the manager of the request's branch; anyone else is refused (or is a delegate, or
# the maker who withdraws).
DECIDERS = st.one_of(st.just("branch manager"), st.just("a delegate"), st.sampled_from(STAFF))
MAKERS = st.sampled_from(["T001", "T002", "M001", "T201", "M002"])
# Delegations: mostly a teller of the granting manager's branch (the valid case), sometimes
# someone the rules refuse; windows that start in the past or the future, short or long.
GRANTS = st.tuples(st.sampled_from(["M001", "M001", "M002", "T001"]),
                   st.sampled_from(["T001", "T002", "T001", "T201", "AU01", "M001"]),
                   st.integers(-24, 12), st.integers(1, 24 * 4))


def _instant(value) -> datetime:
    """A stored instant as read by raw SQL (SQLite gives text), in UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _backend(path: Path) -> Backend:
    store = Store(make_engine(f"sqlite:///{path}"), Keyring(TEST_KEY))
    return Backend(store=store, policy=Policy(), **CHEAP_ARGON2)


@pytest.fixture(scope="module")
def world_template(sqlite_template, tmp_path_factory):
    """The test world (branches, staff, customers) built once through the services; every
    example starts from a copy of this file."""
    path = tmp_path_factory.mktemp("stateful") / "world.sqlite3"
    shutil.copy(sqlite_template, path)
    backend = _backend(path)
    actors = build_world(backend, FixedClock(parse_instant(NOW))).actors
    backend.store.dispose()
    with closing(sqlite3.connect(path)) as conn:  # fold the WAL into the file we copy
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path, actors


class ConsoleMachine(RuleBasedStateMachine):
    template: Path
    actors: dict

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="sc-stateful-"))
        path = self.dir / "store.sqlite3"
        shutil.copy(self.template, path)
        self.backend = _backend(path)
        self.clock = FixedClock(parse_instant(NOW))
        self.requests: list[int] = []
        self.delegations: list[tuple[int, str]] = []  # (id, granting manager)
        self.cred_status: dict[int, str] = {}
        self.req_status: dict[int, str] = {}

    def teardown(self) -> None:
        self.backend.store.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------------ the step wrapper

    def attempt(self, label: str, work) -> bool:
        """Run one use case. Success appends audit events; a refusal changes nothing.
        A second passes first, as it does between two people's actions: two steps never share
        an instant, so "in force at decided_at" has one answer (a delegation ended at the very
        instant of a decision made before the end would read as ended)."""
        self.clock.advance(seconds=1)
        before = snapshot(self.backend)
        events_before = len(before["audit_event"])
        try:
            work()
        except ConsoleError as exc:
            event(f"{label}: {exc.code}")
            OUTCOMES[f"{label}: {exc.code}"] += 1
            assert snapshot(self.backend) == before, f"refused {label} wrote something"
            return False
        event(f"{label}: ok")
        OUTCOMES[f"{label}: ok"] += 1
        assert audit_count(self.backend) > events_before, f"{label} succeeded without an event"
        return True

    def pick_request(self, n: int) -> int:
        """Mostly a pending request (the interesting case), sometimes any request at all."""
        pending = [r for r in self.requests if self.req_status.get(r) == "pending"]
        if pending and n % 4:
            return pending[n % len(pending)]
        return self.requests[n % len(self.requests)]

    def target(self, n: int, customer: str, channel: str, device: str) -> tuple[str, str, str]:
        """Mostly a (customer, channel, device) that holds a current or recently ended
        credential, so that logins and revocations reach the interesting paths; otherwise the
        drawn one."""
        rows = query(self.backend, "SELECT cu.customer_no, cr.channel, cr.device_id "
                                   "FROM credential cr JOIN customer cu ON cu.id = "
                                   "cr.customer_id WHERE cr.activated_at IS NOT NULL "
                                   "ORDER BY cr.id DESC")
        if rows and n % 4:
            row = rows[n % min(len(rows), 4)]
            return row["customer_no"], row["channel"], row["device_id"]
        return customer, channel, device

    # ------------------------------------------------------------------ rules

    @initialize(length_hours=st.sampled_from([6, 24 * 7, 24 * 30, 24 * 366]))
    def start(self, length_hours) -> None:
        """Every example starts with M001 delegating to T002 from an hour ago, for a while, and
        T002 approving a registration under it (so every example has a delegate's decision)."""
        self.observe()
        self.delegate(("M001", "T002", -1, length_hours))
        self.register_and_approve("C002", "mts", "dev-a", "a delegate")

    @rule(customer=SOME_CUSTOMER, channel=CHANNELS, device=st.sampled_from(DEVICES),
          verified=st.sampled_from([FULL, FULL, FULL, "id_card,phone"]))
    def intake(self, customer, channel, device, verified):
        def work():
            out = register_from_channel(
                self.backend, customer_no=customer, channel=channel, device_id=device,
                methods="pin,pattern" if channel == "mts" else "pin", verified=verified,
                clock=self.clock)
            self.requests.append(out.request_id)

        self.attempt("intake", work)

    @rule(customer=st.sampled_from(ELIGIBLE), channel=CHANNELS,
          device=st.sampled_from(DEVICES), who=st.sampled_from(["branch manager", "a delegate"]))
    def register_and_approve(self, customer, channel, device, who):
        """The common path: the channel registers and the branch manager (or the branch's
        newest delegate, in its window or not) approves at once."""
        before = len(self.requests)
        self.intake(customer, channel, device, FULL)
        if len(self.requests) > before:
            self.observe()  # the invariants hold between the two calls too
            self.run_decision(self.requests[-1], "approve", who)

    @precondition(lambda self: self.requests)
    @rule(n=PICK, action=st.sampled_from(["approve", "approve", "approve", "reject", "withdraw"]),
          who=DECIDERS)
    def decide(self, n, action, who):
        self.run_decision(self.pick_request(n), action, who)

    def run_decision(self, req: int, action: str, who: str) -> None:
        if who in ("branch manager", "a delegate"):
            branch = query(self.backend, "SELECT branch_code FROM request WHERE id = :i",
                           i=req)[0]["branch_code"]
            delegates = query(self.backend, "SELECT s.employee_no FROM delegation d JOIN staff s "
                              "ON s.id = d.delegate_id WHERE d.branch_code = :b "
                              "ORDER BY d.id DESC", b=branch)
            if who == "a delegate" and delegates:  # the newest one, whether in its window or not
                who = delegates[0]["employee_no"]
            else:
                who = {"001": "M001", "002": "M002"}[branch]
        actor = self.actors[who]
        if action == "approve":
            work = lambda: approve_request(self.backend, actor, req, clock=self.clock)  # noqa: E731
        elif action == "reject":
            work = lambda: reject_request(self.backend, actor, req,  # noqa: E731
                                          note="rejected in the property test", clock=self.clock)
        else:
            work = lambda: withdraw_request(self.backend, actor, req, clock=self.clock)  # noqa: E731
        self.attempt(action, work)

    @rule(n=PICK, customer=SOME_CUSTOMER, channel=CHANNELS, who=MAKERS,
          reason=st.sampled_from([r.value for r in RevocationReason if r is not r.OTHER]))
    def revoke_request(self, n, customer, channel, who, reason):
        customer, channel, _ = self.target(n, customer, channel, "")

        def work():
            out = request_revocation(self.backend, self.actors[who], customer_no=customer,
                                     channel=channel, reason=reason, clock=self.clock)
            self.requests.append(out.id)

        self.attempt("revoke_request", work)

    @rule(n=PICK, customer=SOME_CUSTOMER, channel=CHANNELS, device=st.sampled_from(DEVICES),
          result=st.sampled_from(["ok", "fail", "fail"]), times=st.integers(1, 5))
    def login(self, n, customer, channel, device, result, times):
        customer, channel, device = self.target(n, customer, channel, device)
        for _ in range(times):
            self.attempt(f"login {result}", lambda: record_login(
                self.backend, customer_no=customer, channel=channel, device_id=device,
                result=result, clock=self.clock))

    @rule(grant=GRANTS)
    def delegate(self, grant):
        grantor, delegate, start_hours, length_hours = grant
        start = self.clock.now() + timedelta(hours=start_hours)

        def work():
            view = grant_delegation(
                self.backend, self.actors[grantor], delegate_employee_no=delegate,
                valid_from=start, valid_until=start + timedelta(hours=length_hours),
                clock=self.clock)
            self.delegations.append((view.id, grantor))

        self.attempt("delegate", work)

    @precondition(lambda self: self.delegations)
    @rule(n=PICK, who=st.sampled_from(["grantor", "grantor", "M002", "T001"]))
    def end_delegation(self, n, who):
        delegation_id, grantor = self.delegations[n % len(self.delegations)]
        actor = self.actors[grantor if who == "grantor" else who]
        self.attempt("end_delegation", lambda: end_delegation(
            self.backend, actor, delegation_id, clock=self.clock))

    @rule(days=st.sampled_from([1, 3, 8, 30, 400, 700]), hours=st.integers(0, 23))
    def advance(self, days, hours):
        self.clock.advance(days=days, hours=hours)

    @rule()
    def expire(self):
        before = audit_count(self.backend)
        result = expire_due(self.backend, clock=self.clock)
        changed = result.credentials_expired + result.requests_expired
        assert (audit_count(self.backend) > before) == (changed > 0)
        # a second run finds nothing
        again = expire_due(self.backend, clock=self.clock)
        assert (again.credentials_expired, again.requests_expired) == (0, 0)

    # ------------------------------------------------------------------ invariants

    @invariant()
    def observe(self) -> None:
        b = self.backend
        creds = query(b, "SELECT cr.id, cr.status, cr.channel, cu.customer_no, cr.activated_at, "
                         "cr.valid_until FROM credential cr JOIN customer cu "
                         "ON cu.id = cr.customer_id")
        current: dict[tuple, int] = {}
        for c in creds:
            if c["status"] in CURRENT_VALUES:
                key = (c["customer_no"], c["channel"])
                current[key] = current.get(key, 0) + 1
                assert c["customer_no"] not in INELIGIBLE, c
                assert c["activated_at"] is not None and c["valid_until"] is not None
            if c["status"] == "pending":
                assert c["activated_at"] is None
            old = self.cred_status.get(c["id"])
            if old is None:
                assert c["status"] == "pending", f"a new credential starts pending: {c}"
            elif old != c["status"]:
                assert CredentialStatus(c["status"]) in CREDENTIAL_TRANSITIONS[
                    CredentialStatus(old)], f"credential {c['id']}: {old} -> {c['status']}"
            self.cred_status[c["id"]] = c["status"]
        assert all(n <= 1 for n in current.values()), current

        reqs = query(b, "SELECT id, status, customer_id, channel, kind FROM request")
        pending: dict[tuple, int] = {}
        for r in reqs:
            if r["status"] == "pending":
                key = (r["customer_id"], r["channel"], r["kind"])
                pending[key] = pending.get(key, 0) + 1
            old = self.req_status.get(r["id"])
            if old is None:
                assert r["status"] == "pending"
            elif old != r["status"]:
                assert RequestStatus(r["status"]) in REQUEST_TRANSITIONS[RequestStatus(old)], (
                    f"request {r['id']}: {old} -> {r['status']}")
            self.req_status[r["id"]] = r["status"]
        assert all(n <= 1 for n in pending.values()), pending
        self.check_deciders()

        verdict = verify_audit(b, clock=self.clock)
        assert verdict.ok, verdict


    def check_deciders(self) -> None:
        """Four eyes, and the authority each decision names was held at decided_at."""
        staff = {s["id"]: s for s in query(self.backend,
                                           "SELECT id, role, branch_code FROM staff")}
        windows = {d["id"]: d for d in query(self.backend, "SELECT * FROM delegation")}
        decided = query(self.backend, "SELECT * FROM request WHERE status IN "
                                      "('approved', 'rejected')")
        for r in decided:
            decider = r["decider_staff_id"]
            assert decider is not None and r["decided_at"] is not None, r
            assert decider != r["maker_staff_id"], f"request {r['id']}: decided by its maker"
            if r["authority"] == "manager":
                assert staff[decider]["role"] == "manager", r
                assert staff[decider]["branch_code"] == r["branch_code"], r
                assert r["delegation_id"] is None, r
            else:
                assert r["authority"] == "delegate", r
                d = windows[r["delegation_id"]]
                assert (d["delegate_id"], d["branch_code"]) == (decider, r["branch_code"]), r
                state = delegation_state(_instant(d["valid_from"]), _instant(d["valid_until"]),
                                         d["ended_at"] and _instant(d["ended_at"]),
                                         _instant(r["decided_at"]))
                assert state.value == "active", (r, d, state)
            OUTCOMES[f"decided as {r['authority']}"] += 1


def test_random_sequences_keep_the_invariants(world_template):
    path, actors = world_template
    ConsoleMachine.template = path
    ConsoleMachine.actors = actors
    OUTCOMES.clear()
    run_state_machine_as_test(
        ConsoleMachine,
        settings=settings(max_examples=25, stateful_step_count=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.filter_too_much]),
    )
    # not vacuous: the sequences did register and approve (OUTCOMES tallies every outcome)
    assert OUTCOMES["intake: ok"] and OUTCOMES["approve: ok"], OUTCOMES
    assert OUTCOMES["delegate: ok"] and OUTCOMES["decided as delegate"], OUTCOMES
