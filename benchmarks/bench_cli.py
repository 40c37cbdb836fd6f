"""CLI start-up benchmark: wall time and peak memory of a signed-in command, against its floors,
in both modes: embedded (the store on this PC) and client (a terminal of a console server).

    python benchmarks/bench_cli.py                 # 30 runs of each, both modes, fresh demo store
    python benchmarks/bench_cli.py --runs 50 --mode client --imports
    python benchmarks/bench_cli.py --compare /tmp/before --compare /tmp/after   # two builds

Each run is a new process, timed from just before it is spawned to its exit; peak RSS and CPU
time come from the kernel (wait4; a client's CPU is its own, the server's is not in it). The
commands take turns (run 1 of each, then run 2 of each, ...) so a noisy neighbour costs every
command alike. Measured in the same run:
- `python -c pass`: the interpreter's own start;
- argon2 floor: start, import argon2, one verification of the demo staff's stored hash (the
  parameters `db init --demo` wrote). This is the floor of any signed-in command: the query
  comes on top of it (in client mode the server verifies, the client waits for it);
- `staff-console customer show D0000001 --json --as T001`;
- `staff-console customer search ㅎㄱㄷ --as T001`;
each embedded (the demo SQLite store) and as a client (STAFF_CONSOLE_SERVER=http://127.0.0.1:P,
a separate home with no store and no key) of `staff-console serve` started on the same demo
store (one worker, on this machine: its CPUs are shared with the client's).
The store is a demo made by `db init --demo` in a temporary STAFF_CONSOLE_HOME. Python writes
byte code into a private cache (PYTHONPYCACHEPREFIX), as an installed wheel has it compiled:
a checkout run with PYTHONDONTWRITEBYTECODE would compile the project on every start.
`--imports` adds the biggest imports of one `customer show` (python -X importtime) per mode.
Target: median wall of each command <= 0.30 s. This is a benchmark, not a test: it prints
figures and exits 0.
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 0.30
PASSWORD = "Demo12345!"  # the published demo password (docs/demo.md)
SCRIPT = Path(sys.executable).with_name("staff-console")

ARGON2_FLOOR = r"""
import sys
from argon2 import PasswordHasher
PasswordHasher().verify(sys.argv[1], sys.argv[2])
"""

IMPORTS_PROBE = r"""
import sys
from staff_console.cli import main
sys.argv = ["staff-console", *sys.argv[1:]]
main()
"""


def _env(home: Path, cache: Path, server: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("STAFF_CONSOLE_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(STAFF_CONSOLE_HOME=str(home), STAFF_CONSOLE_PASSWORD=PASSWORD,
               PYTHONPYCACHEPREFIX=str(cache), COLUMNS="200")
    if server:
        env["STAFF_CONSOLE_SERVER"] = server
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    """`staff-console serve` on the demo store, on loopback (plain http: loopback only)."""
    port = _free_port()
    out = log.open("wb")
    proc = subprocess.Popen([str(SCRIPT), "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the server did not listen within 60 s: {log.read_text()[-2000:]}")


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float, int, int]:
    """(wall s, cpu s, peak RSS KiB, exit code) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{argv[1:]} exited {proc.returncode}: {err.strip()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _demo_hash(home: Path) -> str:
    with sqlite3.connect(home / "staff_console.sqlite3") as db:
        (value,) = db.execute("SELECT password_hash FROM staff WHERE employee_no = 'T001'").fetchone()
    return value


def _imports(env: dict[str, str], top: int, mode: str) -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", IMPORTS_PROBE, "customer",
                           "show", "D0000001", "--json", "--as", "T001"],
                          env=env, capture_output=True, text=True)
    totals: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line[len("import time:"):].split("|")
        if not cumulative.strip().isdigit():
            continue
        depth = (len(name) - len(name.lstrip())) // 2
        if depth <= 1:  # imported by the program itself (or by its first level)
            key = name.strip()
            totals[key] = max(totals.get(key, 0), int(cumulative))
    print(f"\nBiggest imports of one `customer show`, {mode} (cumulative, python -X importtime):")
    for name, micros in sorted(totals.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {micros / 1000:8.1f} ms  {name}")


# A build's entry point from a directory holding its `staff_console` package (--compare): the
# checkout's editable finder is left out, so the package is the directory's.
TREE_LAUNCHER = r"""
import os, sys
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, os.environ["BENCH_TREE"])
sys.argv = ["staff-console", *sys.argv[1:]]
from staff_console.cli import main
main()
"""


def _commands(env: dict[str, str], label: str,
              tree: Path | None = None) -> dict[str, tuple[list[str], dict[str, str]]]:
    launcher = [str(SCRIPT)]
    if tree is not None:
        launcher = [sys.executable, "-c", TREE_LAUNCHER]
        env = {**env, "BENCH_TREE": str(tree)}
        label = f"{label}, {tree.name}"
    return {
        f"customer show --json, {label}": (
            [*launcher, "customer", "show", "D0000001", "--json", "--as", "T001"], env),
        f"customer search, {label}": (
            [*launcher, "customer", "search", "ㅎㄱㄷ", "--as", "T001"], env),
    }


def _builds(env: dict[str, str], label: str,
            compare: list[Path]) -> dict[str, tuple[list[str], dict[str, str]]]:
    """This checkout's commands, or with --compare each build's, the same way (taking turns)."""
    if not compare:
        return _commands(env, label)
    commands: dict[str, tuple[list[str], dict[str, str]]] = {}
    for tree in compare:
        commands.update(_commands(env, label, tree))
    return commands


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--mode", choices=("both", "embedded", "client"), default="both")
    parser.add_argument("--imports", action="store_true", help="also list the biggest imports")
    parser.add_argument("--keep", type=Path, help="use (or create) the demo home here")
    parser.add_argument("--compare", type=Path, action="append", default=[], metavar="DIR",
                        help="a build to time instead of the checkout: a directory holding its "
                             "staff_console package (git archive REV staff_console | tar -x -C "
                             "DIR); give it several times to time builds side by side (the "
                             "server is the checkout's)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_cli_") as tmp:
        home = args.keep or Path(tmp) / "home"
        cache = Path(tmp) / "pycache"
        env = _env(home, cache)
        if not (home / "staff_console.sqlite3").exists():
            t0 = time.perf_counter()
            subprocess.run([str(SCRIPT), "db", "init", "--demo"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            print(f"demo store built in {time.perf_counter() - t0:.1f} s: {home}")
        stored = _demo_hash(home)
        print(f"demo staff hash parameters: {stored.split('$')[3]}")
        commands: dict[str, tuple[list[str], dict[str, str]]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], env),
            "argon2 floor (import + 1 verify)": (
                [sys.executable, "-c", ARGON2_FLOOR, stored, PASSWORD], env),
        }
        server = None
        client_env = None
        if args.mode in ("both", "embedded"):
            commands.update(_builds(env, "embedded", args.compare))
        if args.mode in ("both", "client"):
            server_env = {k: v for k, v in env.items() if k != "STAFF_CONSOLE_PASSWORD"}
            server, url = _start_server(server_env, Path(tmp) / "server.log")
            client_home = Path(tmp) / "client-home"  # no store, no key: a terminal's home
            client_env = _env(client_home, cache, server=url)
            commands.update(_builds(client_env, "client", args.compare))
            print(f"console server: {url} (pid {server.pid}, one worker, the demo store)")
        try:
            _measure(commands, args.runs, server)
            if args.imports:
                if args.mode in ("both", "embedded"):
                    _imports(env, 15, "embedded")
                if client_env is not None:
                    _imports(client_env, 15, "client")
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(commands: dict[str, tuple[list[str], dict[str, str]]], runs: int,
             server: subprocess.Popen | None) -> None:
    for argv, env in commands.values():  # warm-up: byte code written, files in the page cache
        _run(argv, env)
        _run(argv, env)
    samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in commands}
    server_cpu = _cpu_seconds(server.pid) if server is not None else 0.0
    for _ in range(runs):
        for name, (argv, env) in commands.items():
            wall, cpu, rss, _code = _run(argv, env)
            samples[name].append((wall, cpu, rss))

    if server is not None:
        client_commands = sum(1 for name in commands if ", client" in name)
        server_cpu = (_cpu_seconds(server.pid) - server_cpu) / (runs * client_commands)
    floor = statistics.median(s[0] for s in samples["argon2 floor (import + 1 verify)"])
    print(f"\n{runs} runs each, interleaved; CPUs {os.cpu_count()}, "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"{'command':42} {'median':>8} {'p95':>8} {'min':>8} {'cpu med':>8} "
          f"{'peak RSS':>9} {'x floor':>8}")
    for name, rows in samples.items():
        walls = [r[0] for r in rows]
        cpus = [r[1] for r in rows]
        rss = max(r[2] for r in rows) / 1024
        median = statistics.median(walls)
        print(f"{name:42} {median:8.3f} {_p95(walls):8.3f} {min(walls):8.3f} "
              f"{statistics.median(cpus):8.3f} {rss:7.1f}Mi {median / floor:8.2f}")
    for name in list(commands)[2:]:
        median = statistics.median(r[0] for r in samples[name])
        verdict = "met" if median <= TARGET_S else "NOT met"
        print(f"target median <= {TARGET_S:.2f} s, {name}: {verdict} ({median:.3f} s)")
    if server is not None:
        # The client's CPU above is its own; the server's (sign-in with its argon2 verification,
        # the call, sign-out) comes on top, on the other core or after it.
        print(f"server CPU per client command (mean over the runs): {server_cpu:.3f} s")


if __name__ == "__main__":
    main()
