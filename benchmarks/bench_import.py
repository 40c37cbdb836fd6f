"""Customer import at scale: wall time, rows/s and peak memory, beside the floor of parsing.

    python benchmarks/bench_import.py [--rows 100000 1000000] [--runs 3 1]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--keep]

For each size N (default 100,000 then 1,000,000; `--runs` gives the runs per size):
1. Writes a CSV of N valid, unique customers (names, RRNs, phones, one or two accounts) into a
   temporary directory.
2. The floor: a fresh child process reads and parses the same file with the csv module alone
   (`csv.reader` over the file opened as UTF-8 text).
3. The import: a fresh child process runs the use case `import_customers_file` (what
   `staff-console customer import FILE --as ADMIN` runs once signed in) into a fresh store:
   a copy of a migrated SQLite file with two branches and an admin (or, with `--pg`, a new
   PostgreSQL database set up the same way).
Each child's wall time, CPU time (user + system: on a shared machine the steadier figure) and
peak RSS (its VmHWM, Linux) are measured;
several runs give the median. The import's figures are printed beside the floor's, with the
ratios, and the store is checked after each run (N customers, N `customer.create` events).

Targets: 100,000 rows in <= 6 s with <= 200 MB peak; at 1,000,000 rows a peak within 1.5x of
the peak at 100,000 (memory flat in the size of the file).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
BENCH_KEY = bytes(range(32))
PASSWORD = "Bench-import-2026!"
HEADER = "customer_no,name,id_number,phone,branch_code,online_trading,account_nos\n"
SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
SYLLABLES = "민서준하윤지도현우진영수경미숙호성은재희정훈"


def write_csv(path: Path, rows: int) -> None:
    """N valid rows, unique in every key; written as a stream."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for i in range(rows):
            name = (SURNAMES[i % len(SURNAMES)] + SYLLABLES[(i // 7) % len(SYLLABLES)]
                    + SYLLABLES[(i // 151) % len(SYLLABLES)])
            yy, mm, dd = 40 + i % 60, 1 + (i // 60) % 12, 1 + (i // 720) % 28
            rrn = f"{yy:02d}{mm:02d}{dd:02d}-{1 + i % 2}{i:06d}"
            phone = f"010-{1000 + i // 10000:04d}-{i % 10000:04d}"
            accounts = f"{50000000000 + 2 * i}" + (f";{50000000001 + 2 * i}" if i % 3 == 0 else "")
            out.write(f"B{i:07d},{name},{rrn},{phone},00{1 + i % 2},{'YN'[i % 5 == 0]},"
                      f"{accounts}\n")


def set_up_store(url: str) -> int:
    """Migrate, add the first admin and two branches; returns the admin's staff id."""
    from staff_console.domain.clock import SystemClock
    from staff_console.services import staff as staff_service
    from staff_console.services.backend import Backend
    from staff_console.store.engine import Store, make_engine
    from staff_console.store.keyring import Keyring
    from staff_console.store.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine, Keyring(BENCH_KEY))
    backend = Backend(store=Store(engine, Keyring(BENCH_KEY)), password_time_cost=1,
                      password_memory_kib=8192)
    clock = SystemClock()
    staff_service.bootstrap_admin(backend, employee_no="A0001", name="관리자", branch_code="HQ",
                                  branch_name="본사", password=PASSWORD, clock=clock)
    admin = staff_service.authenticate(backend, "A0001", PASSWORD, clock=clock)
    for code, name in (("001", "강남지점"), ("002", "여의도지점")):
        staff_service.add_branch(backend, admin, code, name, clock=clock)
    backend.store.dispose()
    return admin.staff_id


# The child that imports: the use case alone, as the CLI runs it once the admin is signed in.
IMPORT_CHILD = """
import sys
from pathlib import Path
from staff_console.domain.authority import Actor, Role
from staff_console.domain.clock import SystemClock
from staff_console.services.backend import Backend
from staff_console.services.customer_import import import_customers_file
from staff_console.store.engine import Store, make_engine
from staff_console.store.keyring import Keyring

url, path, staff_id, key = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
backend = Backend(store=Store(make_engine(url), Keyring(bytes.fromhex(key))))
admin = Actor(staff_id, "A0001", "관리자", "HQ", Role.ADMIN)
result = import_customers_file(backend, admin, path, clock=SystemClock())
backend.store.dispose()
print(result.imported)
""" + "\n" + (HWM := """
import resource
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        print(line.split()[1])  # peak RSS of this process, KiB
usage = resource.getrusage(resource.RUSAGE_SELF)
print(usage.ru_utime + usage.ru_stime)  # CPU seconds: unlike wall time, not inflated by load
""")
PARSE_CHILD = """
import csv, sys
rows = 0
with open(sys.argv[1], encoding="utf-8", newline="") as handle:
    for _row in csv.reader(handle):
        rows += 1
print(rows - 1)
""" + HWM


# The children compile the package's byte code once into a private cache, as an installed
# wheel has it compiled (this machine's environment may say PYTHONDONTWRITEBYTECODE).
CHILD_ENV = {**os.environ, "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir())
                                                       / "bench_import_pycache")}
CHILD_ENV.pop("PYTHONDONTWRITEBYTECODE", None)


def run_child(code: str, *args: str) -> tuple[float, float, float, str]:
    """Wall seconds, peak RSS in MiB, CPU seconds and the first line of stdout of
    `python -c code`.

    The peak is the child's own VmHWM, printed by the child as it ends: the rusage of a child
    (`os.wait4`) also counts the pages of this process it was forked from, before its exec."""
    started = time.perf_counter()
    child = subprocess.run([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                           cwd=ROOT, check=False, env=CHILD_ENV)
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"child failed ({child.returncode})")
    first, peak_kib, cpu = child.stdout.decode().split()
    return wall, int(peak_kib) / 1024, float(cpu), first


def fresh_store(template: Path | None, work: Path, pg: str | None, run: int) -> tuple[str, int]:
    if pg is None:
        path = work / f"store-{run}.sqlite3"
        shutil.copy(template, path)
        return f"sqlite:///{path}", int((work / "admin_id").read_text())
    name = f"sc_bench_import_{run}"
    admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = sa.engine.make_url(pg).set(database=name).render_as_string(hide_password=False)
    return url, set_up_store(url)


def check_store(url: str, rows: int) -> None:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        customers = conn.exec_driver_sql("SELECT count(*) FROM customer").scalar_one()
        events = conn.exec_driver_sql(
            "SELECT count(*) FROM audit_event WHERE action = 'customer.create'").scalar_one()
    engine.dispose()
    if customers != rows or events != rows:
        raise SystemExit(f"store check failed: {customers} customers, {events} events")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, nargs="+", default=[3, 1],
                        help="runs per size, in the order of --rows (the last repeats)")
    parser.add_argument("--pg", metavar="URL", help="a PostgreSQL server (admin database URL)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory (and the PostgreSQL databases)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_import_"))
    template = None
    if args.pg is None:
        template = work / "template.sqlite3"
        (work / "admin_id").write_text(str(set_up_store(f"sqlite:///{template}")))
    print(f"{'rows':>9} {'what':<6} {'runs':>4} {'wall s':>8} {'rows/s':>9} {'cpu s':>7}"
          f" {'peak MiB':>9} {'x wall':>7} {'x peak':>7}")
    run = 0
    try:
        for index, rows in enumerate(args.rows):
            runs = args.runs[min(index, len(args.runs) - 1)]
            csv_path = work / f"customers-{rows}.csv"
            write_csv(csv_path, rows)
            floor, result = [], []
            for _ in range(runs):
                wall, peak, cpu, out = run_child(PARSE_CHILD, str(csv_path))
                assert int(out) == rows
                floor.append((wall, peak, cpu))
                run += 1
                url, staff_id = fresh_store(template, work, args.pg, run)
                wall, peak, cpu, out = run_child(IMPORT_CHILD, url, str(csv_path),
                                                 str(staff_id), BENCH_KEY.hex())
                assert int(out) == rows, out
                check_store(url, rows)
                result.append((wall, peak, cpu))
                if args.pg is None:
                    Path(url.removeprefix("sqlite:///")).unlink()
            for what, runs_of in (("parse", floor), ("import", result)):
                wall, peak, cpu = (statistics.median(r[k] for r in runs_of) for k in range(3))
                line = (f"{rows:>9,} {what:<6} {runs:>4} {wall:>8.2f} {rows / wall:>9,.0f}"
                        f" {cpu:>7.2f} {peak:>9.1f}")
                if what == "import":
                    f_wall = statistics.median(r[0] for r in floor)
                    f_peak = statistics.median(r[1] for r in floor)
                    line += f" {wall / f_wall:>7.1f} {peak / f_peak:>7.1f}"
                print(line)
            if runs > 1:
                print(f"{'':>9} import runs: wall " + ", ".join(f"{r[0]:.2f}" for r in result)
                      + " s; cpu " + ", ".join(f"{r[2]:.2f}" for r in result)
                      + " s; peak " + ", ".join(f"{r[1]:.0f}" for r in result) + " MiB")
            csv_path.unlink()
    finally:
        if args.pg is not None and not args.keep:
            admin = sa.create_engine(args.pg, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                for n in range(1, run + 1):
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "sc_bench_import_{n}"')
            admin.dispose()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
