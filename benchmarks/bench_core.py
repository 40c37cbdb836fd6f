"""Load the demo and time customer search and show THROUGH THE SERVICES.

    python benchmarks/bench_core.py                                  # 100,000 customers, SQLite
    python benchmarks/bench_core.py --customers 1000000 --db sqlite:////tmp/bench.sqlite3
    python benchmarks/bench_core.py --customers 1000000 \\
        --db postgresql+psycopg://postgres@127.0.0.1:5432/bench --json

The database is created if needed (a SQLite file, or a PostgreSQL database through the server's
`postgres` database) and migrated; the demo is loaded (timed) unless the store already has
customers; `--fresh` drops and recreates it first. Then, signed in as demo teller T001 with a
fixed clock, each search kind runs `--runs` times with queries drawn deterministically from the
data (after a few warm-up calls), and `customer show` likewise; `--rounds N` repeats that
with other queries and reports the median of each figure over the rounds. Every call is a full use case:
staff re-check, query, one access-log event appended to the hash chain, commit.

Targets (docs/demo.md): SQLite with 1M customers, search first page p95 <= 5 ms and show p95
<= 10 ms; PostgreSQL every search kind p95 <= 10 ms. Only public tools: time.perf_counter and
statistics.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from staff_console.demo import DEMO_PASSWORD
from staff_console.demo.load import load_demo
from staff_console.domain.clock import FixedClock, parse_instant
from staff_console.services.backend import Backend
from staff_console.services.customer_search import search_customers
from staff_console.services.customer_view import show_customer
from staff_console.services.staff import authenticate
from staff_console.store.engine import Store, make_engine
from staff_console.store.keyring import Keyring
from staff_console.store.migrate import upgrade

BENCH_KEY = bytes(range(32))  # a fixed key: the benchmark store is throwaway demo data
DEFAULT_DB = "sqlite:///" + str(Path(os.environ.get("TMPDIR", "/tmp")) / "staff_console_bench.sqlite3")

KINDS = (
    ("name_full", "full name, e.g. 김민준"),
    ("name_prefix", "one syllable, e.g. 김 (first page only)"),
    ("chosung", "초성 of a full name, e.g. ㅎㄱㄷ"),
    ("chosung_short", "one 초성, e.g. ㄱ"),
    ("name_latin", "Latin surname in lower case, e.g. smith"),
    ("customer_no", "customer number"),
    ("account", "account number"),
    ("phone", "full phone 010-1234-5678"),
    ("phone_last4", "last 4 digits of the phone"),
    ("birth", "birth date YYMMDD"),
)


def prepare_database(url: str, fresh: bool) -> None:
    """Create the SQLite file's folder or the PostgreSQL database; with `fresh`, start over."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            if fresh:
                for suffix in ("", "-wal", "-shm"):
                    Path(path + suffix).unlink(missing_ok=True)
        return
    name = parsed.database
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": name}).first()
            if exists and fresh:
                conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
                conn.exec_driver_sql(f'DROP DATABASE "{name}"')
                exists = None
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(p) - 1]


def summarize(samples: list[float]) -> dict:
    ms = [s * 1000 for s in samples]
    return {"runs": len(ms), "p50_ms": round(statistics.median(ms), 3),
            "p95_ms": round(percentile(ms, 95), 3), "max_ms": round(max(ms), 3),
            "mean_ms": round(statistics.fmean(ms), 3)}


def draw_queries(backend: Backend, runs: int, seed: int) -> dict[str, list[str]]:
    """Queries for each kind, drawn deterministically from the data: random customers (and
    their accounts), by id, with a seeded random.Random."""
    rng = random.Random(seed)
    with backend.store.engine.connect() as conn:
        top = conn.execute(sa.text("SELECT max(id) FROM customer")).scalar() or 0
        ids = sorted({rng.randint(1, top) for _ in range(runs * 3)})
        rows = []
        for i in range(0, len(ids), 500):
            rows += conn.execute(sa.text(
                "SELECT c.id, c.customer_no, c.name, c.name_chosung, c.phone, c.phone_last4, "
                "c.birth_yymmdd, c.customer_type, c.nationality, min(a.account_no) "
                "FROM customer c JOIN account a ON a.customer_id = c.id "
                "WHERE c.id IN (" + ",".join(str(x) for x in ids[i:i + 500]) + ") "
                "GROUP BY c.id, c.customer_no, c.name, c.name_chosung, c.phone, c.phone_last4, "
                "c.birth_yymmdd, c.customer_type, c.nationality ORDER BY c.id")).all()
    rng.shuffle(rows)
    korean = [r for r in rows if r.customer_type == "individual" and r.nationality == "domestic"]
    foreign = [r for r in rows if r.nationality == "foreign" and r.name.isascii()]
    pick = (lambda pool: [pool[k % len(pool)] for k in range(runs)])  # noqa: E731
    return {
        "name_full": [r.name for r in pick(korean)],
        "name_prefix": [r.name[0] for r in pick(korean)],
        "chosung": [r.name_chosung for r in pick(korean)],
        "chosung_short": [r.name_chosung[0] for r in pick(korean)],
        # Foreigners' names are stored upper-case; staff type them in any case.
        "name_latin": [r.name.split()[0].lower() for r in pick(foreign or rows)],
        "customer_no": [r.customer_no for r in pick(rows)],
        "account": [r[9] for r in pick(rows)],
        "phone": [r.phone for r in pick(rows)],
        "phone_last4": [r.phone_last4 for r in pick(rows)],
        "birth": [r.birth_yymmdd for r in pick(korean)],
        "show": [r.customer_no for r in pick(rows)],
    }


def measure(backend: Backend, teller, queries: dict[str, list[str]], clock, warmup: int) -> dict:
    """Time each search kind and `customer show` over its queries (after `warmup` calls)."""
    results: dict[str, dict] = {}
    for kind, _label in KINDS:
        samples, hits = [], 0
        for q in queries[kind][:warmup]:
            search_customers(backend, teller, q, clock=clock)
        for q in queries[kind]:
            began = time.perf_counter()
            page = search_customers(backend, teller, q, clock=clock)
            samples.append(time.perf_counter() - began)
            hits += bool(page.items)
        results[kind] = summarize(samples) | {"found": hits}
    samples = []
    for no in queries["show"][:warmup]:
        show_customer(backend, teller, no, clock=clock)
    for no in queries["show"]:
        began = time.perf_counter()
        show_customer(backend, teller, no, clock=clock)
        samples.append(time.perf_counter() - began)
    results["show"] = summarize(samples)
    return results


def run(args: argparse.Namespace) -> dict:
    prepare_database(args.db, args.fresh)
    engine = make_engine(args.db)
    upgrade(engine, Keyring(BENCH_KEY))
    # PostgreSQL: as the console runs (audit events chained by its background sealer), unless
    # --seal-inline (as the CLI runs: each call also waits for its seal).
    backend = Backend(store=Store(engine, Keyring(BENCH_KEY),
                                  background_seal=not args.seal_inline))
    clock = FixedClock(parse_instant(args.now))
    with engine.connect() as conn:
        existing = conn.execute(sa.text("SELECT count(*) FROM customer")).scalar()
    load_seconds = None
    summary = None
    if existing == 0:
        started = time.perf_counter()
        summary = load_demo(backend, customers=args.customers, seed=args.seed, clock=clock)
        load_seconds = time.perf_counter() - started
        existing = summary.customers
        print(f"loaded {summary.customers:,} customers, {summary.credentials:,} credentials, "
              f"{summary.accounts:,} accounts in {load_seconds:.1f} s", file=sys.stderr)
    else:
        print(f"store has {existing:,} customers: not loading", file=sys.stderr)
    teller = authenticate(backend, "T001", DEMO_PASSWORD, clock=clock, terminal="bench")
    rounds = []
    for number in range(args.rounds):
        # Each round draws its own queries (seed + round): the same data, other customers.
        queries = draw_queries(backend, args.runs, args.seed + number)
        rounds.append(measure(backend, teller, queries, clock, args.warmup))
    results = rounds[0] if len(rounds) == 1 else {
        kind: {key: round(statistics.median(r[kind][key] for r in rounds), 3)
               for key in rounds[0][kind]} | {"rounds": [r[kind] for r in rounds]}
        for kind in rounds[0]
    }
    store = backend.store
    report = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "db": store.dialect, "customers": existing, "seed": args.seed,
        "load_seconds": round(load_seconds, 1) if load_seconds is not None else None,
        "load_counts": None if summary is None else {
            "customers": summary.customers, "accounts": summary.accounts,
            "credentials": summary.credentials, "requests": summary.requests},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    "load_average": [round(x, 2) for x in os.getloadavg()]},
        "rounds": args.rounds,
        "audit_seal": "inline" if args.seal_inline or store.dialect != "postgresql"
        else "background",
        "results": results,
    }
    store.dispose()
    return report


def print_table(report: dict) -> None:
    print(f"{report['db']}, {report['customers']:,} customers"
          + (f", demo load {report['load_seconds']} s" if report["load_seconds"] else "")
          + (f"; median of {report['rounds']} rounds" if report["rounds"] > 1 else "")
          + f"; load average {report['machine']['load_average'][0]}")
    print(f"{'kind':<15}{'runs':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'found':>7}")
    labels = dict(KINDS) | {"show": "customer show"}
    for kind, r in report["results"].items():
        found = int(r["found"]) if "found" in r else ""
        print(f"{kind:<15}{int(r['runs']):>6}{r['p50_ms']:>9.2f}{r['p95_ms']:>9.2f}"
              f"{r['max_ms']:>9.2f}{found:>7}  {labels[kind]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--db", default=DEFAULT_DB, help=f"SQLAlchemy URL (default {DEFAULT_DB})")
    parser.add_argument("--runs", type=int, default=200, help="timed calls per kind")
    parser.add_argument("--warmup", type=int, default=10, help="untimed calls per kind first")
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat the measurement; the report gives the median per figure")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--seal-inline", action="store_true",
                        help="PostgreSQL: seal the audit events before each call returns (the "
                        "CLI's way) instead of in the background (the console's)")
    parser.add_argument("--now", default="2026-11-24T10:00:00+09:00",
                        help="the fixed clock (ISO-8601 with offset)")
    parser.add_argument("--fresh", action="store_true",
                        help="delete the SQLite file / drop the PostgreSQL database first")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log where the demo load's time goes (to stderr)")
    args = parser.parse_args(argv)
    if args.verbose:
        logging.basicConfig(format="%(message)s")
        logging.getLogger("staff_console.store.bulk").setLevel(logging.INFO)
    report = run(args)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
