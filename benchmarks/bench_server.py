"""Server benchmark: N simulated terminals over HTTP (api.remote.RemoteConsole) plus the channel
traffic through the channel API, against `staff-console serve` on PostgreSQL, all on this
machine; then the same terminals in-process (api.local.LocalConsole: the floor), the
invariants and the audit chain, 100 concurrent retries of one registration, and the search's
first page at 1,000,000 customers through the server.

    python benchmarks/bench_server.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--terminals 16] [--workers 2] [--threads T] [--seconds 30] [--warmup 3] [--customers 20000]
        [--search-customers 1000000 | 0] [--json out.json]

The store: a real store made by services.database.init_backend (as `db init`), the demo data
(benchmarks/bench_load.py `setup`: 20,000 customers, seed 7, one active delegation per branch)
and one channel key per channel. The server: `staff-console serve --workers W` on a loopback
port, as deployed (plain HTTP on the loopback; TLS is the proxy's or uvicorn's and is not
measured). Each terminal process signs in twice over HTTP (a teller, and its branch's manager or
delegate) and runs bench_load's mix in a closed loop: searches, customer views, revocation
requests, approvals and rejections through the facade; channel logins and registrations as
JSON POSTs to /v1/channel/... with an API key and a fresh Idempotency-Key each. The floor phase
runs the same terminals with LocalConsole and the intake services in-process (no server), for
the same time, on the same store. CPU seconds per operation: the terminals (rusage), the server
processes and PostgreSQL's backends (/proc), each over the measured window.

Targets: >= 400 mixed ops/s with p95 <= 50 ms at 16 terminals through the server; exactly one
registration from 100 concurrent retries; search first page p95 <= 10 ms at 1,000,000
customers (one terminal). Exit 0 when the targets are met and the invariants and chain hold.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_load  # noqa: E402  (its setup, invariants, chain check and CPU readers)

MIX = bench_load.MIX
TARGET_OPS, TARGET_P95_MS, TARGET_SEARCH_P95_MS = 400.0, 50.0, 10.0
BENCH_KEY = bench_load.BENCH_KEY


# ---------------------------------------------------------------- the store and the server

def _settings(url: str, home: Path):
    from staff_console.settings import Settings
    from staff_console.store.keyring import encode_key

    return Settings(home=home, db_url=url, key_text=encode_key(BENCH_KEY), argon2_time_cost=1,
                    argon2_memory_kib=8192)


def make_store(admin_url: str, name: str, customers: int, home: Path) -> tuple[str, dict]:
    """A real store with the demo data and a channel key per channel; bench_load's data."""
    from staff_console.api.local import LocalConsole
    from staff_console.services.database import init_backend

    url = bench_load.create_database(admin_url, name)
    settings = _settings(url, home)
    init_backend(settings, mode="real").store.dispose()  # identity and key check, as db init
    data = bench_load.setup(url, customers)
    backend = bench_load.backend_for(url)
    admin = LocalConsole(backend)
    admin.sign_in("A0001", data["password"], terminal="bench-setup")
    data["keys"] = {ch: admin.create_channel_key(ch, name=f"bench-{ch}").secret
                    for ch in ("mts", "web")}
    backend.store.dispose()
    return url, data


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(url: str, home: Path, workers: int,
                 threads: int | None = None) -> tuple[subprocess.Popen, str]:
    from staff_console.store.keyring import encode_key

    port = _free_port()
    env = {**os.environ, "STAFF_CONSOLE_HOME": str(home), "STAFF_CONSOLE_DB": url,
           "STAFF_CONSOLE_KEY": encode_key(BENCH_KEY)}
    env.pop("STAFF_CONSOLE_SERVER", None)
    out = (home / "server.out").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", "from staff_console.cli import main; main()", "serve",
         "--port", str(port), "--workers", str(workers),
         *(("--threads", str(threads)) if threads else ())],
        env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError((home / "server.out").read_text(errors="replace"))
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200 and len(_descendants(process.pid)) >= \
                    (workers if workers > 1 else 0):
                connection.close()
                return process, base
            connection.close()
        except OSError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the server did not become ready")


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
                children[ppid].append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# ---------------------------------------------------------------- the channel back-end client

class ChannelClient:
    """A channel back-end: JSON POSTs with its key and a fresh Idempotency-Key per call."""

    def __init__(self, base: str, keys: dict[str, str]) -> None:
        host_port = base.removeprefix("http://")
        host, port = host_port.split(":")
        self.host, self.port, self.keys = host, int(port), keys
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def post(self, channel: str, what: str, body: dict, idem: str | None = None) -> dict:
        payload = json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.keys[channel]}",
                   "Idempotency-Key": idem or uuid.uuid4().hex,
                   "Content-Type": "application/json"}
        for attempt in (1, 2):
            try:
                self.connection.request("POST", f"/v1/channel/{channel}/{what}", payload, headers)
                response = self.connection.getresponse()
                answer = json.loads(response.read())
                break
            except (OSError, http.client.HTTPException):
                self.connection.close()
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
                if attempt == 2:
                    raise
        if response.status != 200:
            from staff_console.domain.errors import ConsoleError

            raise ConsoleError(answer["code"], answer.get("message", ""))
        return answer


# ---------------------------------------------------------------- a terminal (child process)

class Terminal:
    """Terminal k in `mode` "server" (RemoteConsole + ChannelClient) or "local" (LocalConsole
    + the intake services in-process: the floor)."""

    def __init__(self, k: int, mode: str, url: str, base: str | None, data: dict) -> None:
        self.k, self.mode = k, mode
        self.rng = random.Random(1000 + k + (0 if mode == "server" else 500))
        self.branch = bench_load.BRANCHES[k % len(bench_load.BRANCHES)]
        tellers = bench_load.TELLERS[self.branch]
        teller_no = tellers[(k // len(bench_load.BRANCHES)) % len(tellers)]
        decider_no = (bench_load.MANAGERS if k % 2 == 0 else bench_load.DELEGATES)[self.branch]
        terminal = f"bench-{mode}-{k:02d}"
        if mode == "server":
            from staff_console.api.remote import RemoteConsole

            self.teller, self.decider = RemoteConsole(base), RemoteConsole(base)
            self.channel = ChannelClient(base, data["keys"])
            self.backend = None
        else:
            from staff_console.api.local import LocalConsole
            from staff_console.domain.clock import SystemClock

            self.backend = bench_load.backend_for(url)
            self.clock = SystemClock()
            self.teller, self.decider = LocalConsole(self.backend), LocalConsole(self.backend)
        self.teller.sign_in(teller_no, data["password"], terminal=terminal)
        self.decider.sign_in(decider_no, data["password"], terminal=terminal)
        self.customers = data["customers"][self.branch]
        self.queries = data["queries"][self.branch]
        self.logins = list(data["logins"][self.branch])
        self.pending: list[int] = []
        self.refills = 0
        kinds, weights = zip(*MIX.items(), strict=True)
        self.kinds, self.weights = list(kinds), list(weights)

    def register(self, no: str, channel: str, device: str) -> int:
        methods = ["pin", "pattern"] if channel == "mts" else ["pin"]
        verified = ["id_card", "one_won", "phone"]
        if self.mode == "server":
            return self.channel.post(channel, "registrations", {
                "customer_no": no, "device_id": device, "methods": methods,
                "verified": verified})["request_id"]
        from staff_console.services.intake import register_from_channel

        return register_from_channel(self.backend, customer_no=no, channel=channel,
                                     device_id=device, methods=methods, verified=verified,
                                     clock=self.clock).request_id

    def login(self, no: str, channel: str, device: str, result: str) -> None:
        if self.mode == "server":
            self.channel.post(channel, "logins", {"customer_no": no, "device_id": device,
                                                  "result": result})
            return
        from staff_console.services.intake import record_login

        record_login(self.backend, customer_no=no, channel=channel, device_id=device,
                     result=result, clock=self.clock)

    def pick_pending(self) -> int | None:
        if not self.pending:
            self.refills += 1  # the decider's 결재함, as the app shows it (not timed)
            self.pending = [r.id for r in self.decider.list_approvals()[:8]]
            self.rng.shuffle(self.pending)
        return self.pending.pop() if self.pending else None

    def op(self, kind: str):
        rng = self.rng
        if kind == "search":
            q = rng.choice(self.queries)
            return lambda: self.teller.search_customers(q, limit=20)
        if kind == "show":
            no = rng.choice(self.customers)
            return lambda: self.teller.show_customer(no)
        if kind in ("login_ok", "login_fail"):
            no, channel, device = rng.choice(self.logins)
            result = "ok" if kind == "login_ok" else "fail"
            return lambda: self.login(no, channel, device, result)
        if kind == "intake":
            no = rng.choice(self.customers)
            channel = "mts" if rng.random() < 0.7 else "web"
            device = f"bench-{self.mode}-{self.k}-{rng.getrandbits(48):012x}"
            return lambda: self.pending.append(self.register(no, channel, device))
        if kind == "revocation":
            no, channel, _device = rng.choice(self.logins)
            return lambda: self.pending.append(self.teller.request_revocation(
                customer_no=no, channel=channel, reason="customer_request").id)
        rid = self.pick_pending()
        if rid is None:
            return None
        if kind == "approve":
            def approve():
                view = self.decider.approve_request(rid)
                if view.kind == "registration" and view.credential is not None:
                    self.logins.append((view.customer_no, view.channel,
                                        view.credential.device_id))
            return approve
        return lambda: self.decider.reject_request(rid, note="bench")

    def close(self) -> None:
        if self.mode == "server":
            for console in (self.teller, self.decider):
                console.close()
        else:
            self.backend.store.dispose()


def terminal_main(k, mode, url, base, data, warmup, seconds, ready, go, start, out) -> None:
    from staff_console.domain.errors import ConsoleError

    try:
        term = Terminal(k, mode, url, base, data)
        samples: list[tuple[str, str, float]] = []
        totals: Counter = Counter()
        ready.put(k)
        go.wait()
        start_at = start.value
        measure_from, end = start_at + warmup, start_at + warmup + seconds
        while time.time() < start_at:
            time.sleep(0.001)
        cpu_from = cpu_to = None
        while True:
            now = time.time()
            if cpu_from is None and now >= measure_from:
                cpu_from = _cpu()
            if now >= end:
                cpu_to = _cpu()
                break
            kind = term.rng.choices(term.kinds, term.weights)[0]
            thunk = term.op(kind)
            if thunk is None:
                continue
            t0 = time.perf_counter()
            try:
                thunk()
                outcome = "ok"
            except ConsoleError as exc:
                outcome = exc.code
            elapsed = time.perf_counter() - t0
            totals[(kind, outcome)] += 1
            if now >= measure_from:
                samples.append((kind, outcome, elapsed))
        term.close()
        out.put({"k": k, "samples": samples, "totals": dict(totals), "refills": term.refills,
                 "cpu": (cpu_to - cpu_from) if cpu_from is not None else 0.0})
    except BaseException:  # noqa: BLE001 - report to the parent, never hang it
        out.put({"k": k, "error": traceback.format_exc()})


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------- one phase (parent)

def run_phase(mode: str, url: str, base: str | None, server_pids: list[int], data: dict,
              args) -> tuple[dict, Counter]:
    ctx = mp.get_context("spawn")
    out, ready, go, start = ctx.Queue(), ctx.Queue(), ctx.Event(), ctx.Value("d", 0.0)
    procs = [ctx.Process(target=terminal_main, args=(k, mode, url, base, data, args.warmup,
                                                     args.seconds, ready, go, start, out))
             for k in range(args.terminals)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=180)
    start.value = time.time() + 0.5
    go.set()
    measure_from = start.value + args.warmup
    time.sleep(max(0.0, measure_from - time.time()))
    pg_from = {pid: bench_load._proc_cpu([pid]) for pid in bench_load._backend_pids(url)}
    server_from = bench_load._proc_cpu(server_pids)
    machine_from = bench_load._machine_cpu()
    time.sleep(max(0.0, measure_from + args.seconds - time.time()))
    # PostgreSQL backends started during the window (a pool growing) count from zero.
    pg_cpu = sum(max(0.0, bench_load._proc_cpu([pid]) - pg_from.get(pid, 0.0))
                 for pid in set(bench_load._backend_pids(url)) | set(pg_from))
    server_cpu = bench_load._proc_cpu(server_pids) - server_from
    machine_to = bench_load._machine_cpu()
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(10)
    errors = [r["error"] for r in results if "error" in r]
    if errors:
        raise RuntimeError(f"{len(errors)} terminals failed; the first:\n{errors[0]}")
    by_kind: dict[str, list[float]] = defaultdict(list)
    outcomes: dict[str, Counter] = defaultdict(Counter)
    totals: Counter = Counter()
    for r in results:
        for kind, outcome, elapsed in r["samples"]:
            by_kind[kind].append(elapsed * 1000)
            outcomes[kind][outcome] += 1
        totals.update({tuple(k): v for k, v in r["totals"].items()})
    all_ms = sorted(x for v in by_kind.values() for x in v)
    n = max(1, len(all_ms))
    pct = bench_load.percentile
    figures = {"ops_per_s": round(len(all_ms) / args.seconds, 1),
               "p50_ms": round(pct(all_ms, 50), 2), "p95_ms": round(pct(all_ms, 95), 2),
               "p99_ms": round(pct(all_ms, 99), 2), "kinds": {},
               "cpu_ms_per_op": {
                   "terminals": round(sum(r["cpu"] for r in results) / n * 1000, 2),
                   "server": round(server_cpu / n * 1000, 2),
                   "postgres": round(pg_cpu / n * 1000, 2)},
               "machine_busy": round((machine_to[0] - machine_from[0])
                                     / max(1e-9, machine_to[1] - machine_from[1]), 3),
               # What this benchmark itself used of the machine (the rest: other work).
               "benchmark_share": round((sum(r["cpu"] for r in results) + server_cpu + pg_cpu)
                                        / max(1e-9, machine_to[1] - machine_from[1]), 3),
               "refills": sum(r["refills"] for r in results)}
    for kind in MIX:
        values = sorted(by_kind.get(kind, []))
        if values:
            figures["kinds"][kind] = {
                "ops_per_s": round(len(values) / args.seconds, 1),
                "p50_ms": round(pct(values, 50), 2), "p95_ms": round(pct(values, 95), 2),
                "p99_ms": round(pct(values, 99), 2), "outcomes": dict(outcomes[kind])}
    return figures, totals


def print_phase(title: str, figures: dict) -> None:
    print(f"\n{title}")
    print(f"{'kind':<12}{'ops/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  outcomes")
    for kind, row in figures["kinds"].items():
        shown = ", ".join(f"{k} {v}" for k, v in Counter(row["outcomes"]).most_common())
        print(f"{kind:<12}{row['ops_per_s']:>8}{row['p50_ms']:>9}{row['p95_ms']:>9}"
              f"{row['p99_ms']:>9}  {shown}")
    print(f"{'all':<12}{figures['ops_per_s']:>8}{figures['p50_ms']:>9}{figures['p95_ms']:>9}"
          f"{figures['p99_ms']:>9}")
    cpu = figures["cpu_ms_per_op"]
    print(f"CPU ms per operation: terminals {cpu['terminals']}, server {cpu['server']}, "
          f"PostgreSQL {cpu['postgres']}; machine {figures['machine_busy']:.0%} busy, of which "
          f"this benchmark {figures['benchmark_share']:.0%}")


# ---------------------------------------------------------------- the extra checks

def retry_storm(base: str, url: str, data: dict, retries: int = 100) -> dict:
    """`retries` concurrent calls of one registration with one Idempotency-Key."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:  # one who may register on the web and has nothing pending
        customer_no = conn.execute(sa.text(
            "SELECT customer_no FROM customer c WHERE customer_type = 'individual' "
            "AND nationality = 'domestic' AND online_trading AND NOT EXISTS (SELECT 1 FROM "
            "request r WHERE r.customer_id = c.id AND r.channel = 'web' AND r.status = "
            "'pending') ORDER BY customer_no DESC LIMIT 1")).scalar_one()
    device = f"storm-{uuid.uuid4().hex[:12]}"
    body = {"customer_no": customer_no, "device_id": device, "methods": ["pin"],
            "verified": ["id_card", "one_won", "phone"]}
    idem = f"storm-{uuid.uuid4().hex}"
    barrier = threading.Barrier(retries)

    def call(_i: int) -> tuple[int, str]:
        from staff_console.domain.errors import ConsoleError

        client = ChannelClient(base, data["keys"])
        barrier.wait()
        try:
            return 200, json.dumps(client.post("web", "registrations", body, idem),
                                   sort_keys=True)
        except ConsoleError as exc:  # a refusal is an answer too (counted apart)
            return 409, exc.code
        except Exception as exc:  # noqa: BLE001 - counted as a different answer
            return 0, repr(exc)

    with ThreadPoolExecutor(max_workers=retries) as pool:
        answers = list(pool.map(call, range(retries)))
    with engine.connect() as conn:
        registrations = conn.execute(sa.text(
            "SELECT count(*) FROM request r JOIN credential c ON c.id = r.credential_id "
            "WHERE c.device_id = :d"), {"d": device}).scalar()
    engine.dispose()
    return {"retries": retries, "registrations": registrations,
            "distinct_answers": len(set(answers)), "all_ok": all(s == 200 for s, _ in answers)}


def search_at_scale(admin_url: str, customers: int, home: Path, workers: int,
                    samples: int = 600) -> dict:
    """First page of search through the server, one terminal, at `customers`; and in-process."""
    from staff_console.api.local import LocalConsole
    from staff_console.api.remote import RemoteConsole

    name = "sc_bench_server_search"
    print(f"\nsearch at {customers:,} customers: loading ...", flush=True)
    url, data = make_store(admin_url, name, customers, home)
    process, base = start_server(url, home, workers)
    figures = {"customers": customers}
    try:
        queries = [q for branch in bench_load.BRANCHES for q in data["queries"][branch]]
        rng = random.Random(11)
        chosen = [rng.choice(queries) for _ in range(samples + 50)]
        remote = RemoteConsole(base)
        remote.sign_in("T001", data["password"], terminal="bench-search")
        backend = bench_load.backend_for(url)
        local = LocalConsole(backend)
        local.sign_in("T001", data["password"], terminal="bench-search-local")
        for label, console in (("server", remote), ("local", local)):
            timings = []
            for i, q in enumerate(chosen):
                t0 = time.perf_counter()
                console.search_customers(q)
                if i >= 50:  # warm-up
                    timings.append((time.perf_counter() - t0) * 1000)
            timings.sort()
            figures[label] = {"p50_ms": round(bench_load.percentile(timings, 50), 2),
                              "p95_ms": round(bench_load.percentile(timings, 95), 2)}
        remote.sign_out()
        backend.store.dispose()
    finally:
        stop_server(process)
        _drop(admin_url, name)
    return figures


def _drop(admin_url: str, name: str) -> None:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
    admin.dispose()


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get(
        "STAFF_CONSOLE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--db", default="sc_bench_server")
    parser.add_argument("--terminals", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--threads", type=int, default=None,
                        help="calls at once per server process (serve --threads; its default)")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--search-customers", type=int, default=1_000_000,
                        help="the search-at-scale store (0: skip)")
    parser.add_argument("--no-floor", action="store_true", help="skip the in-process phase")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)

    home = Path(tempfile.mkdtemp(prefix="bench-server-"))
    print(f"setting up {args.db}: a real store, demo with {args.customers:,} customers ...",
          flush=True)
    url, data = make_store(args.url, args.db, args.customers, home)
    since = datetime.now(UTC).replace(tzinfo=None)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        events_before = Counter(dict(conn.execute(sa.text(
            "SELECT action, count(*) FROM audit_event GROUP BY action")).all()))
    engine.dispose()
    figures: dict = {"terminals": args.terminals, "workers": args.workers,
                     "seconds": args.seconds, "customers": args.customers}
    process, base = start_server(url, home, args.workers, args.threads)
    try:
        server_pids = [process.pid, *_descendants(process.pid)]
        print(f"server: {base}, {args.workers} worker(s); {args.terminals} terminals, "
              f"{args.warmup:g} s warm-up + {args.seconds:g} s measured ...", flush=True)
        figures["server"], totals = run_phase("server", url, base, server_pids, data, args)
        print_phase(f"through the server ({args.workers} processes)", figures["server"])
        figures["retry_storm"] = retry_storm(base, url, data)
        print(f"\n100 concurrent retries, one Idempotency-Key: {figures['retry_storm']}")
    finally:
        stop_server(process)
    if not args.no_floor:
        figures["local"], local_totals = run_phase("local", url, None, [], data, args)
        totals.update(local_totals)
        print_phase("floor: the same terminals in-process (LocalConsole)", figures["local"])

    print("\nchecking invariants and verifying the audit chain ...", flush=True)
    storm_ok = figures["retry_storm"]["registrations"] == 1
    totals[("intake", "ok")] += 1 if storm_ok else 0  # the storm's one registration
    problems, chain = bench_load.check(url, totals, events_before, since)
    figures.update(chain)
    figures["violations"] = {k: [repr(x) for x in v] for k, v in problems.items()}
    for name, sample in problems.items():
        print(f"  VIOLATION {name}: {sample}")
    if not problems:
        print(f"  invariants hold; chain of {chain['events']:,} events verified in "
              f"{chain['verify_seconds']} s")
    _drop(args.url, args.db)

    search_ok = True
    if args.search_customers:
        figures["search"] = search_at_scale(args.url, args.search_customers, home, args.workers)
        print(f"search first page at {args.search_customers:,} customers, one terminal: "
              f"{figures['search']}")
        search_ok = figures["search"]["server"]["p95_ms"] <= TARGET_SEARCH_P95_MS
    server = figures["server"]
    met = (server["ops_per_s"] >= TARGET_OPS and server["p95_ms"] <= TARGET_P95_MS
           and storm_ok and search_ok)
    print(f"\ntargets (>= {TARGET_OPS:g} ops/s and p95 <= {TARGET_P95_MS:g} ms through the "
          f"server, one registration from 100 retries, search p95 <= {TARGET_SEARCH_P95_MS:g} "
          f"ms): {'met' if met else 'NOT met'}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0 if (met and not problems) else 1


if __name__ == "__main__":
    sys.exit(main())
