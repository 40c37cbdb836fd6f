"""The console server's CPU per staff call against its floor, the same call in-process.

    python benchmarks/bench_server_call.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--calls 2000] [--rounds 3] [--call list_branches] [--spy out.txt]

One server process (`staff-console serve --workers 1`) on a fresh PostgreSQL store with the demo
data; one terminal (RemoteConsole, keep-alive) calls `--call` in a closed loop. Per round: the
server process's CPU per call (/proc), then the same calls through LocalConsole in this process
(rusage: the store's work and the use case without the server), then the same calls against a
bare ASGI app under the same uvicorn (one process, httptools, no access log change) that reads
the body and answers the server's own answer, bytes for bytes: the HTTP floor, what any Python
server pays per call on this machine. Rounds alternate so that the shared machine's noise falls
on all three. `--spy FILE`: py-spy's top functions of the server over one extra round (py-spy
must be installed; a tool, not a dependency).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import signal
import socket
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

# The bare floor: uvicorn as `serve` runs it, an ASGI app answering every request with the file
# ANSWER holds (the real server's answer to the call).
BARE_MAIN = """
import sys
import uvicorn
answer = open(sys.argv[1], "rb").read()
headers = [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": answer})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), server_header=False, log_level="info")
"""


def _start_bare(answer: bytes, home: Path) -> tuple[subprocess.Popen, str]:
    (home / "bare-answer.json").write_bytes(answer)
    port = bench_server._free_port()
    process = subprocess.Popen([sys.executable, "-c", BARE_MAIN, str(home / "bare-answer.json"),
                                str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the bare ASGI app did not start")


def _answer_bytes(base: str, token: str, call: str) -> bytes:
    """The server's answer to one call, as sent (the bare floor answers with it)."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port))
    connection.request("POST", f"/v1/staff/{call}", body=json.dumps(ARGUMENTS.get(call, {})),
                       headers={"Authorization": f"Bearer {token}",
                                "Content-Type": "application/json"})
    answer = connection.getresponse().read()
    connection.close()
    return answer


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


def _loop(call, count: int) -> tuple[float, float]:
    start = time.perf_counter()
    for _ in range(count):
        call()
    return time.perf_counter() - start, 0.0


def _channel_login(base: str, url: str, data: dict, home: Path):
    """`--call channel_login`: a successful simple login through the channel API (a fresh
    Idempotency-Key each), in-process record_login, and the bare app's same answer."""
    from staff_console.domain.clock import SystemClock
    from staff_console.services.intake import record_login

    no, channel, device = data["logins"][bench_load.BRANCHES[0]][0]
    body = {"customer_no": no, "device_id": device, "result": "ok"}
    client = bench_server.ChannelClient(base, data["keys"])
    answer = json.dumps(client.post(channel, "logins", body), ensure_ascii=False,
                        separators=(",", ":")).encode()
    backend, clock = bench_load.backend_for(url), SystemClock()
    bare_process, bare_base = _start_bare(answer, home)
    bare = bench_server.ChannelClient(bare_base, data["keys"])
    return (lambda: client.post(channel, "logins", body),
            lambda: record_login(backend, customer_no=no, channel=channel, device_id=device,
                                 result="ok", clock=clock),
            bare_process, lambda: bare.post(channel, "logins", body))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--call", default="list_branches",
                        help="a Console call without arguments, search_customers, or "
                             "channel_login (the channel API)")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--spy", type=Path)
    args = parser.parse_args(argv)

    from staff_console.api.local import LocalConsole
    from staff_console.api.remote import RemoteConsole

    if args.call == "channel_login":
        # The per-key rate limit (200 a second by default) is not what this measures: a server
        # fast enough would be refused RATE_LIMITED in the middle of a round.
        os.environ.setdefault("STAFF_CONSOLE_CHANNEL_RATE", "100000")
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
            token = remote.session_token()
            assert token is not None
            arguments = ARGUMENTS.get(args.call, {})
            if args.call == "channel_login":
                on_server, in_process, bare_process, on_bare = _channel_login(base, url, data,
                                                                              home)
            else:
                bare_process, bare_base = _start_bare(_answer_bytes(base, token, args.call),
                                                      home)
                bare = RemoteConsole(bare_base)
                bare._token = token  # the bare app checks nothing; the client sends the same

                def on_server():
                    return getattr(remote, args.call)(**arguments)

                def in_process():
                    return getattr(local, args.call)(**arguments)

                def on_bare():
                    return getattr(bare, args.call)(**arguments)
            _loop(on_server, 200)  # warm: imports, caches, the pool
            _loop(in_process, 200)
            _loop(on_bare, 200)
            server_ms, floor_ms, wall_ms, system_share, bare_ms = [], [], [], [], []
            for _ in range(args.rounds):
                user0, system0 = _user_system(pids)
                wall, _ = _loop(on_server, args.calls)
                user1, system1 = _user_system(pids)
                spent = (user1 - user0) + (system1 - system0)
                server_ms.append(spent / args.calls * 1e3)
                system_share.append((system1 - system0) / spent if spent else 0.0)
                wall_ms.append(wall / args.calls * 1e3)
                before = _self_cpu()
                _loop(in_process, args.calls)
                floor_ms.append((_self_cpu() - before) / args.calls * 1e3)
                user0, system0 = _user_system([bare_process.pid])
                _loop(on_bare, args.calls)
                user1, system1 = _user_system([bare_process.pid])
                bare_ms.append(((user1 - user0) + (system1 - system0)) / args.calls * 1e3)
            bare_process.terminate()
            bare_process.wait(timeout=10)

            def show(values: list[float]) -> str:
                return f"{[round(v, 3) for v in values]} median {statistics.median(values):.3f}"

            above = (statistics.median(server_ms) - statistics.median(floor_ms)
                     - statistics.median(bare_ms))
            print(f"{args.call}: server CPU ms/call {show(server_ms)}; in-process (the use "
                  f"case, no HTTP) {show(floor_ms)}; bare ASGI app under uvicorn, same answer "
                  f"(the HTTP floor) {show(bare_ms)}; server minus both floors {above:.3f}; "
                  f"wall ms/call through the server median {statistics.median(wall_ms):.3f}; the "
                  f"kernel's share of the server's CPU {statistics.median(system_share):.0%}")
            if args.spy:
                worker = max(pids)
                spy = subprocess.Popen(["py-spy", "record", "-p", str(worker), "-f", "raw",
                                        "-o", str(args.spy), "-r", "1000", "--gil", "--nonblocking"],
                                       stdout=subprocess.DEVNULL)
                time.sleep(1.5)
                _loop(on_server, args.calls)
                spy.send_signal(signal.SIGINT)  # py-spy writes its file on an interrupt
                spy.wait(timeout=60)
            remote.close()
        finally:
            bench_server.stop_server(process)
            bench_server._drop(args.url, name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
