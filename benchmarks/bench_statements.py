"""Statements, round trips and CPU per operation kind of bench_load.py's mix, one terminal.

    python benchmarks/bench_statements.py [--url ...] [--customers 3000] [--ops 200]
        [--rounds 1] [--kinds approve,reject] [--show-sql] [--keep-db]

Sets up bench_load.py's database (its `setup`), makes one in-process terminal of each kind of
decider (k=0: the branch manager, k=1: the delegate), and runs `--ops` operations of each kind
of the mix, one kind at a time. Per operation of each kind it prints:

* statements the use case sent through SQLAlchemy (a `before_cursor_execute` counter on the
  engine, on the thread running the use cases: the background sealer's are counted apart),
  and BEGIN / COMMIT / ROLLBACK (engine events: SQLAlchemy sends them without a cursor);
* the sealer's statements per operation (its own thread);
* the terminal thread's CPU (`time.thread_time`), the process's (with the sealer thread and
  the 0.6 s wait for its last round) and the PostgreSQL backends' CPU (/proc, every backend of
  the database: clock ticks, so coarse for few operations).

Deterministic things (statements, transactions) compare between builds exactly; CPU per
operation only within one run, interleaved (`--rounds`).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections import Counter, defaultdict

import sqlalchemy as sa
from sqlalchemy import event

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_load  # noqa: E402

KINDS = ("search", "show", "login_ok", "login_fail", "intake", "revocation", "approve",
         "reject")


class Counters:
    def __init__(self, engine: sa.Engine) -> None:
        self.main = threading.get_ident()
        self.main_counts: Counter = Counter()
        self.other_counts: Counter = Counter()
        self.sql: list[str] = []
        self.keep_sql = False

        def bump(name: str, statement: str | None = None) -> None:
            if threading.get_ident() == self.main:
                self.main_counts[name] += 1
                if self.keep_sql and statement is not None:
                    self.sql.append(statement)
            else:
                self.other_counts[name] += 1

        @event.listens_for(engine, "before_cursor_execute")
        def _stmt(conn, cursor, statement, parameters, context, executemany):
            bump("statements", statement)

        @event.listens_for(engine, "begin")
        def _begin(conn):
            bump("begin")

        @event.listens_for(engine, "commit")
        def _commit(conn):
            bump("commit")

        @event.listens_for(engine, "rollback")
        def _rollback(conn):
            bump("rollback")


def _pg_cpu_of_app(url: str) -> float:
    """CPU seconds of every backend of the benchmark database but the one asking."""
    return bench_load._proc_cpu(bench_load._backend_pids(url))


def run_kind(term, counters: Counters, kind: str, n: int, url: str, show_sql: bool) -> dict:
    from staff_console.domain.errors import ConsoleError

    outcomes: Counter = Counter()
    counters.main_counts.clear()
    counters.other_counts.clear()
    pg_from = _pg_cpu_of_app(url)
    process_from = time.process_time()
    cpu = 0.0
    done = 0
    for i in range(n):
        thunk = term.op(kind)
        if thunk is None:
            outcomes["no pending"] += 1
            continue
        counters.keep_sql = show_sql and i == n - 1
        counters.sql.clear()
        t0 = time.thread_time()
        try:
            thunk()
            outcomes["ok"] += 1
        except ConsoleError as exc:
            outcomes[exc.code] += 1
        cpu += time.thread_time() - t0
        done += 1
    time.sleep(0.6)  # the sealer's last round
    process = time.process_time() - process_from
    pg = _pg_cpu_of_app(url) - pg_from
    per = {k: v / max(1, done) for k, v in counters.main_counts.items()}
    sealer = counters.other_counts["statements"] / max(1, done)
    row = {"kind": kind, "ops": done, "statements": per.get("statements", 0.0),
           "begin": per.get("begin", 0.0), "commit": per.get("commit", 0.0),
           "rollback": per.get("rollback", 0.0), "sealer_statements": sealer,
           "cpu_ms": cpu / max(1, done) * 1000, "pg_ms": pg / max(1, done) * 1000,
           "process_ms": process / max(1, done) * 1000,
           "outcomes": dict(outcomes)}
    if show_sql:
        row["sql"] = list(counters.sql)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get(
        "STAFF_CONSOLE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--db", default="sc_bench_statements")
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--show-sql", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep and reuse --db if present")
    args = parser.parse_args(argv)

    url = bench_load._db_url(args.url, args.db)
    exists = False
    if args.reuse:
        admin = sa.create_engine(args.url)
        with admin.connect() as conn:
            exists = bool(conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                       {"n": args.db}).first())
        admin.dispose()
    if not exists:
        url = bench_load.create_database(args.url, args.db)
    data = bench_load.setup(url, args.customers) if not exists else _data(url)

    terms = [bench_load.Terminal(k, url, data) for k in (0, 1)]
    counters = [Counters(t.engine) for t in terms]
    for t in terms:  # warm: every statement compiled and prepared once
        for kind in KINDS:
            for _ in range(3):
                thunk = t.op(kind)
                if thunk is not None:
                    try:
                        thunk()
                    except Exception:  # noqa: BLE001, S110 - refusals are fine here
                        pass
    kinds = args.kinds.split(",")
    results: dict[str, list[dict]] = defaultdict(list)
    for _round in range(args.rounds):
        for kind in kinds:
            k = 0 if kind not in ("approve", "reject") else _round % 2
            results[kind].append(run_kind(terms[k], counters[k], kind, args.ops, url,
                                          args.show_sql))
    print(f"{'kind':<12}{'stmts':>7}{'begin':>7}{'commit':>7}{'rollbk':>7}{'sealer':>7}"
          f"{'cpu ms':>8}{'proc ms':>8}{'pg ms':>7}  outcomes")
    mix_total = sum(bench_load.MIX.values())
    mix = Counter()
    for kind in kinds:
        rows = results[kind]
        r = rows[len(rows) // 2] if len(rows) == 1 else rows[0]
        cpus = sorted(x["cpu_ms"] for x in rows)
        pgs = sorted(x["pg_ms"] for x in rows)
        procs = sorted(x["process_ms"] for x in rows)
        cpu, pg, proc = cpus[len(cpus) // 2], pgs[len(pgs) // 2], procs[len(procs) // 2]
        print(f"{kind:<12}{r['statements']:>7.2f}{r['begin']:>7.2f}{r['commit']:>7.2f}"
              f"{r['rollback']:>7.2f}{r['sealer_statements']:>7.2f}{cpu:>8.3f}{proc:>8.3f}"
              f"{pg:>7.3f}  "
              f"{r['outcomes']}  cpu {[f'{c:.3f}' for c in cpus]}")
        w = bench_load.MIX.get(kind, 0) / mix_total
        for key in ("statements", "begin", "commit", "rollback", "sealer_statements"):
            mix[key] += w * r[key]
        mix["cpu_ms"] += w * cpu
        mix["process_ms"] += w * proc
        mix["pg_ms"] += w * pg
        if args.show_sql:
            for sql in r["sql"]:
                print("     ", " ".join(sql.split())[:400])
    if set(kinds) == set(KINDS):
        print(f"{'mix':<12}{mix['statements']:>7.2f}{mix['begin']:>7.2f}{mix['commit']:>7.2f}"
              f"{mix['rollback']:>7.2f}{mix['sealer_statements']:>7.2f}{mix['cpu_ms']:>8.3f}"
              f"{mix['process_ms']:>8.3f}{mix['pg_ms']:>7.3f}")
    for t in terms:
        t.backend.store.dispose()
    return 0


def _data(url: str) -> dict:
    """bench_load's data for an existing database (--reuse)."""
    from staff_console.demo import DEMO_PASSWORD

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        data = bench_load.sample(conn, repeatable=True)
    data["password"] = DEMO_PASSWORD
    engine.dispose()
    return data


if __name__ == "__main__":
    sys.exit(main())
