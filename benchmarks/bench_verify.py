"""Audit verification at scale: 1,000,000 chained events verified as a stream, bounded memory.

    python benchmarks/bench_verify.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--events 1000000] [--db sc_bench_verify] [--keep] [--reuse]

1. Creates a fresh database (`--db`, dropped first) and migrates it (`store.migrate.upgrade`).
2. Appends N events fast: generated in chunks of 50,000 with a realistic spread of actions,
   actors, customers and details, chained by the store's own `store.chain.link` (the same
   canonical form and HMAC as every append), written with PostgreSQL COPY, and the head moved to the
   last event. (`--reuse` skips this and verifies what is there.)
3. Runs `store.audit.verify_chain` in a fresh process, so that its peak RSS (VmHWM on Linux)
   is the verifier's own, and prints the time, the rate and the peak RSS, next to the
   RSS of the same fresh process before verifying (the interpreter and the imports).
4. Tampers with one event in the middle and checks that the verifier names it (then restores).

Targets: 1,000,000 events verified in <= 30 s; memory bounded (does not grow with N: compare
`--events 100000` and `--events 1000000`).
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
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

BENCH_KEY = bytes(range(32))
CHUNK = 50_000
ACTIONS = (
    ("customer.search", "access", 0.35), ("customer.view", "access", 0.25),
    ("credential.login", "event", 0.15), ("request.created", "event", 0.08),
    ("request.approved", "event", 0.06), ("credential.activated", "event", 0.05),
    ("credential.login_failed", "event", 0.03), ("request.rejected", "event", 0.02),
    ("staff.sign_in", "event", 0.01),
)


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


def _events(n: int, seed: int = 11):
    """(at, actor, terminal, action, category, customer_no, target, detail) tuples."""
    from staff_console.store.chain import canonical_detail

    rng = random.Random(seed)
    names, cum, total = [], [], 0.0
    for action, category, share in ACTIONS:
        total += share
        names.append((action, category))
        cum.append(total)
    start = datetime(2024, 1, 2, 0, 0, tzinfo=UTC)
    for i in range(n):
        r = rng.random() * total
        action, category = next(names[k] for k, c in enumerate(cum) if r <= c)
        actor = f"T{rng.randrange(1, 400):03d}"
        customer = f"D{rng.randrange(1, 1_000_000):07d}"
        if action == "customer.search":
            detail = {"query": "김민", "kinds": ["name"],
                      "results": [f"D{rng.randrange(1, 1_000_000):07d}" for _ in range(5)]}
            customer_no, target = None, None
        elif action.startswith("request."):
            detail = {"kind": "registration", "channel": "mts"}
            customer_no, target = customer, f"request:{rng.randrange(1, 10**6)}"
        else:
            detail = {}
            customer_no, target = customer, f"credential:{rng.randrange(1, 10**6)}"
        at = start + timedelta(seconds=i * 0.5, microseconds=rng.randrange(1_000_000))
        yield (at, actor, f"T-{actor}", action, category, customer_no, target,
               canonical_detail(detail))


def append_bulk(url: str, n: int) -> float:
    """Chain n events onto an empty chain and COPY them in; returns seconds."""
    from staff_console.store.chain import AT, link
    from staff_console.store.engine import make_engine
    from staff_console.store.keyring import GENESIS_HASH, Keyring
    from staff_console.store.migrate import upgrade

    started = time.perf_counter()
    engine = make_engine(url, idle_in_transaction_ms=None)
    keyring = Keyring(BENCH_KEY)
    upgrade(engine, keyring)
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        seq, prev = 0, GENESIS_HASH
        chunk: list[tuple] = []

        def flush() -> None:
            nonlocal seq, prev
            rows, seq, prev = link(keyring, seq, prev, chunk)
            with conn.cursor() as cur, cur.copy(
                    "COPY audit_event (seq, at, actor, terminal, action, category, customer_no, "
                    "target, detail, prev_hash, hash) FROM STDIN") as copy:
                for row in rows:  # stored as naive UTC, as the UTCDateTime column type does
                    copy.write_row((*row[:AT], row[AT].replace(tzinfo=None), *row[AT + 1:]))
            chunk.clear()

        for fields in _events(n):
            chunk.append(fields)
            if len(chunk) >= CHUNK:
                flush()
        if chunk:
            flush()
        with conn.cursor() as cur:
            cur.execute("UPDATE audit_head SET seq = %s, hash = %s, mac = %s WHERE id = 1",
                        (seq, prev, keyring.head_mac(seq, prev)))
            cur.execute("ANALYZE audit_event")
        conn.commit()
    finally:
        raw.close()
        engine.dispose()
    return time.perf_counter() - started


def _peak_rss_kib() -> int:
    """This process's peak resident set. Linux: VmHWM (getrusage's ru_maxrss survives exec, so
    in a spawned child it starts at the parent's size); elsewhere ru_maxrss."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _verify_in_child(url: str, out) -> None:
    from staff_console.store.audit import verify_chain
    from staff_console.store.engine import make_engine
    from staff_console.store.keyring import Keyring

    engine = make_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    rss_before = _peak_rss_kib()
    started = time.perf_counter()
    with engine.connect() as conn:
        verdict = verify_chain(conn, Keyring(BENCH_KEY))
    seconds = time.perf_counter() - started
    rss_peak = _peak_rss_kib()
    engine.dispose()
    out.put({"ok": verdict.ok, "count": verdict.count, "first_bad": verdict.first_bad_seq,
             "problem": verdict.problem, "seconds": seconds, "rss_before_kib": rss_before,
             "rss_peak_kib": rss_peak})


def verify(url: str) -> dict:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    child = ctx.Process(target=_verify_in_child, args=(url, out))
    child.start()
    result = out.get(timeout=600)
    child.join(30)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get(
        "STAFF_CONSOLE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--db", default="sc_bench_verify")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="verify the existing database")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)

    url = _db_url(args.url, args.db)
    if not args.reuse:
        url = create_database(args.url, args.db)
        print(f"appending {args.events:,} chained events ...", flush=True)
        seconds = append_bulk(url, args.events)
        print(f"  appended in {seconds:.1f} s", flush=True)
    print("verifying in a fresh process ...", flush=True)
    result = verify(url)
    rate = result["count"] / result["seconds"] if result["seconds"] else 0
    print(f"  ok={result['ok']} events={result['count']:,} time={result['seconds']:.1f} s "
          f"({rate:,.0f} events/s)")
    print(f"  peak RSS {result['rss_peak_kib'] / 1024:.0f} MiB "
          f"(the same process before verifying: {result['rss_before_kib'] / 1024:.0f} MiB)")

    # Tamper with one event in the middle: the verifier must name it.
    middle = max(1, result["count"] // 2)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        old = conn.execute(sa.text("SELECT detail FROM audit_event WHERE seq = :s"),
                           {"s": middle}).scalar_one()
        conn.execute(sa.text("UPDATE audit_event SET detail = :d WHERE seq = :s"),
                     {"d": json.dumps({"tampered": True}), "s": middle})
    tampered = verify(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_event SET detail = :d WHERE seq = :s"),
                     {"d": old, "s": middle})
    engine.dispose()
    caught = (not tampered["ok"]) and tampered["first_bad"] == middle
    print(f"  tampered event {middle:,}: {'named' if caught else 'NOT caught'} "
          f"({tampered['problem']}) after {tampered['seconds']:.1f} s")

    met = result["ok"] and result["seconds"] <= 30 and caught
    figures = {"events": result["count"], "verify_seconds": round(result["seconds"], 2),
               "events_per_s": round(rate), "rss_peak_mib": round(result["rss_peak_kib"] / 1024),
               "rss_before_mib": round(result["rss_before_kib"] / 1024),
               "tamper_caught": caught}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=2)
    if not args.keep:
        admin = sa.create_engine(args.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{args.db}"')
        admin.dispose()
    print(f"target (<= 30 s for the chain, tampering named): {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
