"""Load benchmark: N simulated terminals on one central PostgreSQL, a realistic mix, then the
invariants and the audit chain.

    python benchmarks/bench_load.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--terminals 16] [--seconds 30] [--warmup 3] [--customers 20000] [--db sc_bench_load]
        [--rate OPS_PER_S]

What it does:

1. Creates a fresh database (`--db`, dropped first), migrates it with `store.migrate.upgrade`
   (the same Alembic path as `staff-console db init`), and loads the demo data
   (`demo.load.load_demo`, 20,000 customers by default, seed 7) plus one active delegation
   per branch (the branch's 부지점장 D00x acts for the manager).
2. Starts N terminal *processes* (processes, not threads: one Python process per terminal, as in
   the branches, and no shared GIL). Terminal k works for branch 001..004 (k mod 4); it signs in
   once as a teller and once as its decider (the branch manager on even k, the delegate on odd
   k), then runs a closed loop without think time for `--warmup` + `--seconds` seconds. Only
   operations started after the warm-up are timed. The demo staff are hashed with cheap argon2
   parameters (time_cost=1, 8 MiB) so that the two sign-ins per process do not dominate setup;
   sign-ins are not part of the measured mix.
3. The mix (weights in MIX): customer searches of every kind (name prefix, 초성, full name,
   phone last 4, birth date, customer number, full phone, account number), customer detail
   views, channel logins (ok and failed) on current credentials, registrations from the channel
   (intake, including ineligible customers who are refused), revocation requests by the teller,
   and approvals and rejections of the branch's pending requests by the decider. Terminals of one
   branch draw on the same pending requests and customers, so they really race: losers get
   ALREADY_DECIDED, DUPLICATE_PENDING or NOT_REGISTERED, which are counted as completed
   operations with a refusal (they did their reads, locks and checks) and shown per code.
4. Prints operations per second by kind and overall, latency p50/p95/p99 (ms), then checks the
   invariants with plain SQL, that every successful operation left exactly its audit event (no
   lost or doubled events), and verifies the whole chain (timed).

With `--rate R` the terminals together start R operations per second (paced, each terminal
R/N) instead of running flat out: two builds then do the same work per second, and their CPU per
operation (terminals and PostgreSQL) compares directly. Closed-loop CPU per operation is not a
property of the build alone on a machine whose 2 CPUs the terminals share with the database: a
slower client lowers the throughput, and the database's fixed costs per second (group commit,
the sealer's rounds, lock waits) spread over fewer operations. When the server loads
pg_stat_statements, the statements per operation and their execution time are printed too.

Exit status 0 when the invariants and the chain hold and issue 13's targets (>= 500 ops/s,
p95 <= 60 ms) are met; 1 otherwise. `--json FILE` writes the figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import resource
import sys
import time
import traceback
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

BRANCHES = ("001", "002", "003", "004")
TELLERS = {"001": ["T001", "T002", "T003"], "002": ["T004", "T005"],
           "003": ["T006", "T007", "T008"], "004": ["T009", "T010"]}
MANAGERS = {"001": "M001", "002": "M002", "003": "M003", "004": "M004"}
DELEGATES = {"001": "D001", "002": "D002", "003": "D003", "004": "D004"}
CHEAP_ARGON2 = {"password_time_cost": 1, "password_memory_kib": 8192}
BENCH_KEY = bytes(range(32))

MIX = {
    "search": 30,
    "show": 20,
    "login_ok": 14,
    "login_fail": 2,
    "intake": 10,
    "revocation": 5,
    "approve": 14,
    "reject": 5,
}
# Which audit action each successful operation appends exactly once.
EVENT_OF = {
    "search": "customer.search",
    "show": "customer.view",
    "login_ok": "credential.login",
    "login_fail": "credential.login_failed",
    "approve": "request.approved",
    "reject": "request.rejected",
}
TARGET_OPS = 500.0
TARGET_P95_MS = 60.0  # issue 13's performance hold (16 terminals: >= 500 ops/s, p95 <= 60 ms)


# ---------------------------------------------------------------- setup (parent)

def _db_url(admin_url: str, name: str) -> str:
    return sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def create_database(admin_url: str, name: str) -> str:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return _db_url(admin_url, name)


def backend_for(url: str, *, pool_size: int = 2, max_overflow: int = 2):
    from staff_console.domain.policy import Policy
    from staff_console.services.backend import Backend
    from staff_console.store.engine import Store, make_engine
    from staff_console.store.keyring import Keyring

    # As the console runs: audit events chained by a background sealer (store/sealer.py).
    store = Store(make_engine(url, pool_size=pool_size, max_overflow=max_overflow),
                  Keyring(BENCH_KEY), background_seal=True)
    return Backend(store=store, policy=Policy(), **CHEAP_ARGON2)


def setup(url: str, customers: int) -> dict:
    from staff_console.demo import DEMO_PASSWORD
    from staff_console.demo.load import load_demo
    from staff_console.domain.clock import SystemClock
    from staff_console.services import staff as staff_service
    from staff_console.services.delegations import grant_delegation
    from staff_console.store.migrate import upgrade

    backend = backend_for(url)
    clock = SystemClock()
    t0 = time.perf_counter()
    upgrade(backend.store.engine, backend.store.keyring)
    t1 = time.perf_counter()
    summary = load_demo(backend, customers=customers, seed=7, clock=clock)
    t2 = time.perf_counter()
    now = clock.now()
    for branch in BRANCHES:
        manager = staff_service.authenticate(backend, MANAGERS[branch], DEMO_PASSWORD,
                                             clock=clock, terminal="bench-setup")
        grant_delegation(backend, manager, delegate_employee_no=DELEGATES[branch],
                         valid_from=now - timedelta(hours=1), valid_until=now + timedelta(days=1),
                         clock=clock)
    with backend.store.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        data = sample(conn)
    backend.store.dispose()
    data["password"] = DEMO_PASSWORD
    data["setup_seconds"] = {"migrate": round(t1 - t0, 2), "demo_load": round(t2 - t1, 2)}
    data["demo"] = {"customers": summary.customers, "credentials": summary.credentials,
                    "requests": summary.requests}
    return data


def sample(conn, *, repeatable: bool = False) -> dict:
    """What the terminals work on, per branch: up to 3,000 customers, the search queries of 600
    of them (every kind) and up to 3,000 active credentials to log in with; a random sample, or
    the first ones (`repeatable`: the same every run)."""
    customers, credentials = ("customer_no", "c.id") if repeatable else ("random()", "random()")
    data: dict = {"customers": {}, "logins": {}, "queries": {}}
    for branch in BRANCHES:
        rows = conn.execute(sa.text(
            "SELECT customer_no, name, name_chosung, phone, phone_last4, birth_yymmdd, "
            "(SELECT min(account_no) FROM account a WHERE a.customer_id = c.id) "
            f"FROM customer c WHERE branch_code = :b ORDER BY {customers} LIMIT 3000"),
            {"b": branch}).all()
        data["customers"][branch] = [r[0] for r in rows]
        queries = []
        for no, name, chosung, phone, last4, birth, account in rows[:600]:
            queries += [name[:2], chosung[:2], name, last4, no, phone]
            if birth:
                queries.append(birth)
            if account:
                queries.append(account)
        data["queries"][branch] = queries
        data["logins"][branch] = [tuple(r) for r in conn.execute(sa.text(
            "SELECT u.customer_no, c.channel, c.device_id FROM credential c "
            "JOIN customer u ON u.id = c.customer_id WHERE u.branch_code = :b "
            "AND c.status = 'active' AND c.valid_until >= CURRENT_DATE "
            f"ORDER BY {credentials} LIMIT 3000"), {"b": branch}).all()]
    return data


# ---------------------------------------------------------------- a terminal (child process)

class Terminal:
    def __init__(self, k: int, url: str, data: dict) -> None:
        from staff_console.domain.clock import SystemClock
        from staff_console.services import staff as staff_service

        self.k = k
        self.rng = random.Random(1000 + k)
        self.branch = BRANCHES[k % len(BRANCHES)]
        self.backend = backend_for(url)
        self.clock = SystemClock()
        self.engine = self.backend.store.engine
        tellers = TELLERS[self.branch]
        teller_no = tellers[(k // len(BRANCHES)) % len(tellers)]
        decider_no = (MANAGERS if k % 2 == 0 else DELEGATES)[self.branch]
        terminal = f"bench-{k:02d}"
        self.teller = staff_service.authenticate(self.backend, teller_no, data["password"],
                                                 clock=self.clock, terminal=terminal)
        self.decider = staff_service.authenticate(self.backend, decider_no, data["password"],
                                                  clock=self.clock, terminal=terminal)
        self.customers = data["customers"][self.branch]
        self.queries = data["queries"][self.branch]
        self.logins = list(data["logins"][self.branch])
        self.pending: list[int] = []
        self.refills = 0
        kinds, weights = zip(*MIX.items(), strict=True)
        self.kinds, self.weights = list(kinds), list(weights)

    def pick_pending(self) -> int | None:
        if not self.pending:
            self.refills += 1
            with self.engine.connect() as conn:
                self.pending = [r[0] for r in conn.execute(sa.text(
                    "SELECT id FROM request WHERE branch_code = :b AND status = 'pending' "
                    "ORDER BY id DESC LIMIT 8"), {"b": self.branch})]
            self.rng.shuffle(self.pending)
        return self.pending.pop() if self.pending else None

    def op(self, kind: str):
        """Run one operation; returns a thunk so the caller times only the service call."""
        from staff_console.services.customer_search import search_customers
        from staff_console.services.customer_view import show_customer
        from staff_console.services.intake import record_login, register_from_channel
        from staff_console.services.requests import (
            approve_request,
            reject_request,
            request_revocation,
        )

        b, c, rng = self.backend, self.clock, self.rng
        if kind == "search":
            q = rng.choice(self.queries)
            return lambda: search_customers(b, self.teller, q, clock=c, limit=20)
        if kind == "show":
            no = rng.choice(self.customers)
            return lambda: show_customer(b, self.teller, no, clock=c)
        if kind in ("login_ok", "login_fail"):
            no, channel, device = rng.choice(self.logins)
            result = "ok" if kind == "login_ok" else "fail"
            return lambda: record_login(b, customer_no=no, channel=channel, device_id=device,
                                        result=result, clock=c)
        if kind == "intake":
            no = rng.choice(self.customers)
            channel = "mts" if rng.random() < 0.7 else "web"
            device = f"bench-{self.k}-{rng.getrandbits(48):012x}"

            def intake():
                out = register_from_channel(
                    b, customer_no=no, channel=channel, device_id=device,
                    methods="pin,pattern" if channel == "mts" else "pin",
                    verified="id_card,one_won,phone", clock=c)
                self.pending.append(out.request_id)
                return out
            return intake
        if kind == "revocation":
            no, channel, _device = rng.choice(self.logins)

            def revoke():
                out = request_revocation(b, self.teller, customer_no=no, channel=channel,
                                         reason="customer_request", clock=c)
                self.pending.append(out.id)
                return out
            return revoke
        if kind in ("approve", "reject"):
            rid = self.pick_pending()
            if rid is None:
                return None
            if kind == "approve":
                def approve():
                    view = approve_request(b, self.decider, rid, clock=c)
                    cred = view.credential
                    if view.kind == "registration" and cred is not None:
                        self.logins.append((view.customer_no, view.channel, cred.device_id))
                    return view
                return approve
            return lambda: reject_request(b, self.decider, rid, note="bench", clock=c)
        raise ValueError(kind)


def terminal_main(k: int, url: str, data: dict, warmup: float, seconds: float, ready, go,
                  start, out_queue, rate: float = 0.0) -> None:
    from staff_console.domain.errors import ConsoleError

    try:
        if os.environ.get("BENCH_AUDIT_DIRECT"):  # experiment: chain inside each transaction
            from staff_console.services import common
            original = common.record

            def record(session, store, at, *events, immediate=False, change=None):
                return original(session, store, at, *events, immediate=True, change=change)
            common.record = record
            for name in ("customers", "intake", "requests", "staff"):
                module = __import__(f"staff_console.services.{name}", fromlist=["record"])
                module.record = record
        term = Terminal(k, url, data)
        samples: list[tuple[str, str, float]] = []
        totals: Counter = Counter()  # (kind, outcome) over the whole run, warm-up included
        ready.put(k)  # imported, connected and signed in: only then does the clock start
        go.wait()
        start_at = start.value
        measure_from = start_at + warmup
        end = measure_from + seconds
        while time.time() < start_at:
            time.sleep(0.001)
        cpu_from = cpu_to = None
        use_case_cpu = 0.0  # the CPU of this thread inside the measured use cases
        # --rate: this terminal starts an operation every `interval` seconds (phase-shifted per
        # terminal), or at once when it is behind; 0 = closed loop, no think time.
        interval = 1.0 / rate if rate > 0 else 0.0
        next_at = start_at + interval * random.Random(k).random()
        while True:
            if interval:
                delay = next_at - time.time()
                if delay > 0:
                    time.sleep(delay)
                next_at += interval
            now = time.time()
            if cpu_from is None and now >= measure_from:
                cpu_from = _cpu_seconds()
            if now >= end:
                cpu_to = _cpu_seconds()
                break
            kind = term.rng.choices(term.kinds, term.weights)[0]
            thunk = term.op(kind)
            if thunk is None:
                continue
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                thunk()
                outcome = "ok"
            except ConsoleError as exc:
                outcome = exc.code
            elapsed = time.perf_counter() - t0
            totals[(kind, outcome)] += 1
            if now >= measure_from:
                samples.append((kind, outcome, elapsed))
                use_case_cpu += time.thread_time() - c0
        term.backend.store.dispose()
        out_queue.put({"k": k, "samples": samples, "totals": dict(totals),
                       "refills": term.refills,
                       "cpu": (cpu_to - cpu_from) if cpu_from is not None else 0.0,
                       "use_case_cpu": use_case_cpu})
    except BaseException:  # noqa: BLE001 - report to the parent, never hang it
        out_queue.put({"k": k, "error": traceback.format_exc()})


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _proc_cpu(pids: list[int]) -> float:
    """CPU seconds used so far by these processes (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / tick


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far."""
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as handle:
        values = [int(x) for x in handle.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values) - idle) / tick, sum(values) / tick


def _backend_pids(url: str) -> list[int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        pids = [r[0] for r in conn.execute(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"))]
    engine.dispose()
    return pids


def _statements(url: str) -> tuple[int, int, float] | None:
    """(calls, plans, execution ms) of every statement run in this database so far, from
    pg_stat_statements when the server loads it (it is optional: None otherwise). The same SQL
    per operation is the same work for the database whatever the client's speed."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
            conn.commit()
            row = conn.execute(sa.text(
                "SELECT coalesce(sum(calls), 0), coalesce(sum(plans), 0), "
                "coalesce(sum(total_exec_time), 0) FROM pg_stat_statements s "
                "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database()"
            )).one()
            return int(row[0]), int(row[1]), float(row[2])
    except sa.exc.DBAPIError:  # the extension is not loaded (or an older version)
        return None
    finally:
        engine.dispose()


# ---------------------------------------------------------------- checks (parent)

INVARIANTS = {
    "two current credentials per customer and channel": """
        SELECT customer_id, channel, count(*) FROM credential
        WHERE status IN ('active', 'locked') GROUP BY customer_id, channel HAVING count(*) > 1""",
    "two pending requests per customer, channel and kind": """
        SELECT customer_id, channel, kind, count(*) FROM request WHERE status = 'pending'
        GROUP BY customer_id, channel, kind HAVING count(*) > 1""",
    "current credential of an ineligible customer": """
        SELECT c.id FROM credential c JOIN customer u ON u.id = c.customer_id
        WHERE c.status IN ('active', 'locked') AND (u.customer_type <> 'individual'
          OR u.nationality <> 'domestic' OR NOT u.online_trading)""",
    "request decided by the bench with other than one decision event": """
        SELECT r.id, r.status, count(e.seq) FROM request r
        LEFT JOIN audit_event e ON e.target = 'request:' || r.id
          AND e.action IN ('request.approved', 'request.rejected', 'request.withdrawn',
                           'request.expired')
        WHERE r.decided_at >= :since
        GROUP BY r.id, r.status HAVING count(e.seq) <> 1""",
    "approved registration whose credential never became active": """
        SELECT r.id FROM request r JOIN credential c ON c.id = r.credential_id
        WHERE r.kind = 'registration' AND r.status = 'approved' AND c.activated_at IS NULL""",
    "pending registration whose credential is not pending": """
        SELECT r.id FROM request r JOIN credential c ON c.id = r.credential_id
        WHERE r.kind = 'registration' AND r.status = 'pending' AND c.status <> 'pending'""",
    "audit chain fork (two events on one predecessor)": """
        SELECT prev_hash, count(*) FROM audit_event GROUP BY prev_hash HAVING count(*) > 1""",
    "audit seq gap": """
        SELECT count(*), min(seq), max(seq) FROM audit_event
        HAVING count(*) <> max(seq) OR min(seq) <> 1""",
    "events committed but never chained (left in the outbox)": """
        SELECT id, action FROM audit_outbox""",
    "audit head not at the last event": """
        SELECT h.seq FROM audit_head h WHERE h.seq <> (SELECT max(seq) FROM audit_event)""",
}


def check(url: str, totals: Counter, events_before: Counter, since) -> tuple[dict, dict]:
    from staff_console.store.audit import verify_chain
    from staff_console.store.engine import make_engine
    from staff_console.store.keyring import Keyring

    engine = make_engine(url)
    problems: dict[str, list] = {}
    with engine.connect() as conn:
        for name, sql in INVARIANTS.items():
            bad = conn.execute(sa.text(sql), {"since": since} if ":since" in sql else {}).all()
            if bad:
                problems[name] = [tuple(r) for r in bad[:5]]
        after = Counter(dict(conn.execute(sa.text(
            "SELECT action, count(*) FROM audit_event GROUP BY action")).all()))
    for kind, action in EVENT_OF.items():
        done = totals.get((kind, "ok"), 0)
        appended = after[action] - events_before[action]
        if done != appended:
            problems[f"{kind}: {done} successful operations but {appended} '{action}' events"] = []
    intakes = totals.get(("intake", "ok"), 0) + totals.get(("revocation", "ok"), 0)
    created = after["request.created"] - events_before["request.created"]
    if intakes != created:
        problems[f"requests: {intakes} created but {created} 'request.created' events"] = []
    t0 = time.perf_counter()
    with engine.connect() as conn:  # verify_chain reads through a Connection (store/audit.py)
        verdict = verify_chain(conn, Keyring(BENCH_KEY))
    verify_s = time.perf_counter() - t0
    if not verdict.ok:
        problems["audit chain"] = [verdict]
    engine.dispose()
    return problems, {"events": verdict.count, "verify_seconds": round(verify_s, 2)}


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get(
        "STAFF_CONSOLE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL URL whose user may create databases")
    parser.add_argument("--db", default="sc_bench_load")
    parser.add_argument("--terminals", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=0.0,
                        help="operations per second, all terminals together, paced (default: "
                             "closed loop, as fast as they go). At a fixed rate the builds do the "
                             "same work per second, so their CPU per operation compares directly")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)

    print(f"setting up {args.db}: migrate, demo with {args.customers:,} customers ...",
          flush=True)
    url = create_database(args.url, args.db)
    data = setup(url, args.customers)
    print(f"  {data['setup_seconds']}  {data['demo']}", flush=True)
    since = datetime.now(UTC).replace(tzinfo=None)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        events_before = Counter(dict(conn.execute(sa.text(
            "SELECT action, count(*) FROM audit_event GROUP BY action")).all()))
    engine.dispose()

    ctx = mp.get_context("spawn")
    queue, ready, go, start = ctx.Queue(), ctx.Queue(), ctx.Event(), ctx.Value("d", 0.0)
    procs = [ctx.Process(target=terminal_main,
                         args=(k, url, data, args.warmup, args.seconds, ready, go, start, queue,
                               args.rate / args.terminals))
             for k in range(args.terminals)]
    for p in procs:
        p.start()
    started = 0
    while started < len(procs):
        try:
            ready.get(timeout=120)
            started += 1
        except Exception:  # noqa: BLE001 - a terminal died during start-up
            break
    if started < len(procs):
        go.set()
        print("some terminals did not start", file=sys.stderr)
    start.value = time.time() + 0.5
    go.set()
    print(f"{args.terminals} terminals, {args.warmup:g} s warm-up + {args.seconds:g} s "
          "measured ...", flush=True)
    results = []
    measure_from = start.value + args.warmup
    time.sleep(max(0.0, measure_from - time.time()))
    pg_pids = _backend_pids(url)
    statements_from = _statements(url)
    pg_cpu_from, machine_from = _proc_cpu(pg_pids), _machine_cpu()
    time.sleep(max(0.0, measure_from + args.seconds - time.time()))
    pg_cpu, machine_to = _proc_cpu(pg_pids) - pg_cpu_from, _machine_cpu()
    statements_to = _statements(url)
    deadline = start.value + args.warmup + args.seconds + 120
    while len(results) < len(procs) and time.time() < deadline:
        try:
            results.append(queue.get(timeout=5))
        except Exception:  # noqa: BLE001 - queue.Empty: keep waiting until the deadline
            if not any(p.is_alive() for p in procs) and queue.empty():
                break
    for p in procs:
        p.join(10)
    errors = [r for r in results if "error" in r]
    for r in errors:
        print(f"terminal {r['k']} failed:\n{r['error']}", file=sys.stderr)
    if errors or len(results) < len(procs):
        print("some terminals failed or did not report", file=sys.stderr)
        return 1

    by_kind: dict[str, list[float]] = defaultdict(list)
    outcomes: dict[str, Counter] = defaultdict(Counter)
    totals: Counter = Counter()
    for r in results:
        for kind, outcome, elapsed in r["samples"]:
            by_kind[kind].append(elapsed * 1000)
            outcomes[kind][outcome] += 1
        totals.update({tuple(k): v for k, v in r["totals"].items()})
    all_ms = sorted(x for v in by_kind.values() for x in v)
    overall = len(all_ms) / args.seconds
    print()
    print(f"{'kind':<12}{'ops':>8}{'ops/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  outcomes")
    figures = {"terminals": args.terminals, "seconds": args.seconds,
               "customers": args.customers, "kinds": {}}
    for kind in MIX:
        values = sorted(by_kind.get(kind, []))
        if not values:
            continue
        row = {"ops": len(values), "ops_per_s": round(len(values) / args.seconds, 1),
               "p50_ms": round(percentile(values, 50), 2),
               "p95_ms": round(percentile(values, 95), 2),
               "p99_ms": round(percentile(values, 99), 2), "outcomes": dict(outcomes[kind])}
        figures["kinds"][kind] = row
        shown = ", ".join(f"{k} {v}" for k, v in outcomes[kind].most_common())
        print(f"{kind:<12}{row['ops']:>8}{row['ops_per_s']:>9}{row['p50_ms']:>9}"
              f"{row['p95_ms']:>9}{row['p99_ms']:>9}  {shown}")
    p50, p95, p99 = (percentile(all_ms, p) for p in (50, 95, 99))
    print(f"{'all':<12}{len(all_ms):>8}{overall:>9.1f}{p50:>9.2f}{p95:>9.2f}{p99:>9.2f}")
    client_cpu = sum(r.get("cpu", 0.0) for r in results)
    busy = machine_to[0] - machine_from[0]
    capacity = machine_to[1] - machine_from[1]
    n_ops = max(1, len(all_ms))
    use_case_cpu = sum(r.get("use_case_cpu", 0.0) for r in results)
    print(f"\nCPU per operation: terminals {client_cpu / n_ops * 1000:.2f} ms (in the use "
          f"cases' own thread {use_case_cpu / n_ops * 1000:.2f} ms), PostgreSQL "
          f"{pg_cpu / n_ops * 1000:.2f} ms; machine {busy / capacity:.0%} busy, of which this "
          f"benchmark {(client_cpu + pg_cpu) / capacity:.0%} ({os.cpu_count()} CPUs)")
    if statements_from is not None and statements_to is not None:
        calls, plans, exec_ms = (b - a for a, b in zip(statements_from, statements_to, strict=True))
        print(f"statements per operation {calls / n_ops:.2f} (planned {plans / n_ops:.2f}), "
              f"their execution {exec_ms / n_ops:.3f} ms (pg_stat_statements)")
        figures["statements_per_op"] = round(calls / n_ops, 3)
        figures["statement_exec_ms_per_op"] = round(exec_ms / n_ops, 4)
    figures["rate"] = args.rate
    figures["cpu_ms_per_op"] = {"terminals": round(client_cpu / n_ops * 1000, 2),
                                "use_case_threads": round(use_case_cpu / n_ops * 1000, 2),
                                "postgres": round(pg_cpu / n_ops * 1000, 2)}
    figures["machine_busy"] = round(busy / capacity, 3)
    figures["benchmark_share"] = round((client_cpu + pg_cpu) / capacity, 3)
    figures.update({"ops_per_s": round(overall, 1), "p50_ms": round(p50, 2),
                    "p95_ms": round(p95, 2), "p99_ms": round(p99, 2),
                    "refills": sum(r["refills"] for r in results),
                    "setup_seconds": data["setup_seconds"]})

    print("\nchecking invariants and verifying the audit chain ...", flush=True)
    problems, chain = check(url, totals, events_before, since)
    figures.update(chain)
    figures["violations"] = {k: [repr(x) for x in v] for k, v in problems.items()}
    if problems:
        for name, sample in problems.items():
            print(f"  VIOLATION {name}: {sample}")
    else:
        print(f"  invariants hold; chain of {chain['events']:,} events verified in "
              f"{chain['verify_seconds']} s")
    met = overall >= TARGET_OPS and p95 <= TARGET_P95_MS
    print(f"\ntargets (>= {TARGET_OPS:g} ops/s, p95 <= {TARGET_P95_MS:g} ms): "
          f"{'met' if met else 'NOT met'}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=2, ensure_ascii=False)
    if not args.keep:
        admin = sa.create_engine(args.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{args.db}"')
        admin.dispose()
    return 0 if (met and not problems) else 1


if __name__ == "__main__":
    sys.exit(main())
