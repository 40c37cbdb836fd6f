"""The console server's CPU per staff call against its floor, the same call in-process.

    python benchmarks/bench_server_call.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--calls 2000] [--rounds 3] [--call list_branches] [--spy out.txt]

One server process (`staff-console serve --workers 1`) on a fresh PostgreSQL store with the demo
data; one terminal (RemoteConsole, keep-alive) calls `--call` in a closed loop. Per round: the
server process's CPU per call (/proc), then the same calls through LocalConsole in this process
(rusage: the floor, the store's work and the use case without the server). Rounds alternate so
that the shared machine's noise falls on both. `--spy FILE`: py-spy's top functions of the
server over one extra round (py-spy must be installed; a tool, not a dependency).
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_load  # noqa: E402
import bench_server  # noqa: E402

ARGUMENTS = {"search_customers": {"query": "김"}}


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _user_system(pids: list[int]) -> tuple[float, float]:
    tick = os.sysconf("SC_CLK_TCK")
    user = system = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        user, system = user + int(fields[11]), system + int(fields[12])
    return user / tick, system / tick


def _loop(console, call: str, count: int) -> tuple[float, float]:
    arguments = ARGUMENTS.get(call, {})
    method = getattr(console, call)
    start = time.perf_counter()
    for _ in range(count):
        method(**arguments)
    return time.perf_counter() - start, 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--call", default="list_branches")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--spy", type=Path)
    args = parser.parse_args(argv)

    from staff_console.api.local import LocalConsole
    from staff_console.api.remote import RemoteConsole

    name = f"bench_call_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="bench-call-") as folder:
        home = Path(folder)
        url, data = bench_server.make_store(args.url, name, args.customers, home)
        process, base = bench_server.start_server(url, home, 1)
        try:
            pids = [process.pid, *bench_server._descendants(process.pid)]
            teller = bench_load.TELLERS[bench_load.BRANCHES[0]][0]
            remote = RemoteConsole(base)
            remote.sign_in(teller, data["password"], terminal="bench-call")
            local = LocalConsole(bench_load.backend_for(url))
            local.sign_in(teller, data["password"], terminal="bench-call-local")
            _loop(remote, args.call, 200)  # warm: imports, caches, the pool
            _loop(local, args.call, 200)
            server_ms, floor_ms, wall_ms, system_share = [], [], [], []
            for _ in range(args.rounds):
                user0, system0 = _user_system(pids)
                wall, _ = _loop(remote, args.call, args.calls)
                user1, system1 = _user_system(pids)
                spent = (user1 - user0) + (system1 - system0)
                server_ms.append(spent / args.calls * 1e3)
                system_share.append((system1 - system0) / spent if spent else 0.0)
                wall_ms.append(wall / args.calls * 1e3)
                before = _self_cpu()
                _loop(local, args.call, args.calls)
                floor_ms.append((_self_cpu() - before) / args.calls * 1e3)
            print(f"{args.call}: server CPU ms/call {[round(v, 3) for v in server_ms]} "
                  f"median {statistics.median(server_ms):.3f}; floor (in-process) "
                  f"{[round(v, 3) for v in floor_ms]} median {statistics.median(floor_ms):.3f}; "
                  f"wall ms/call through the server median {statistics.median(wall_ms):.3f}; the "
                  f"kernel's share of the server's CPU {statistics.median(system_share):.0%}")
            if args.spy:
                worker = max(pids)
                spy = subprocess.Popen(["py-spy", "record", "-p", str(worker), "-f", "raw",
                                        "-o", str(args.spy), "-r", "200", "--gil", "--nonblocking"],
                                       stdout=subprocess.DEVNULL)
                time.sleep(1.5)
                _loop(remote, args.call, args.calls)
                spy.send_signal(signal.SIGINT)  # py-spy writes its file on an interrupt
                spy.wait(timeout=60)
            remote.close()
        finally:
            bench_server.stop_server(process)
            bench_server._drop(args.url, name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
