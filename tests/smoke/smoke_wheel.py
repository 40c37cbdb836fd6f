"""Smoke test of an installed wheel, run by .ci/run in a fresh virtualenv outside the checkout.

It imports the package as installed (never the checkout: run it with the working directory
elsewhere and `python -I`), then does what a new branch PC does first: `db init --demo` in a
temporary home, `customer show`, `matrix --customer`, `audit verify`, the same `customer show`
as a terminal of `staff-console serve` on that store (client mode: another home, no store, no
key), and the app started headless to its sign-in screen. Any file the code reads at run time
that is missing from the wheel fails here. Exit 0 when all pass; the first failure otherwise.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    import staff_console

    location = Path(staff_console.__file__).resolve()
    assert "site-packages" in location.parts, f"not the installed package: {location}"
    from staff_console.data import FILES, resource

    for name in FILES:  # every packaged data file is there and readable
        assert resource(name).read_bytes(), name

    exe = Path(sys.executable).with_name("staff-console")
    home = Path(tempfile.mkdtemp(prefix="sc-smoke-"))
    env = {**os.environ, "STAFF_CONSOLE_HOME": str(home), "STAFF_CONSOLE_PASSWORD": "Demo12345!"}
    for key in ("STAFF_CONSOLE_DB", "STAFF_CONSOLE_NOW", "STAFF_CONSOLE_KEY"):
        env.pop(key, None)

    def cli(*args: str) -> str:
        result = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True,
                                cwd=home, timeout=600)
        assert result.returncode == 0, (args, result.returncode, result.stderr[-2000:])
        assert "Traceback" not in result.stderr, result.stderr
        return result.stdout

    cli("db", "init", "--demo", "--customers", "300")
    shown = json.loads(cli("customer", "show", "D0000001", "--as", "T001", "--json"))
    assert shown["customer_no"] == "D0000001", shown
    matrix = json.loads(cli("matrix", "--customer", "D0000002", "--as", "T001", "--json"))
    rows = matrix["items"]
    assert len(rows) == 17, f"the service matrix has {len(rows)} rows, not DOMAIN.md's 17"
    verdict = json.loads(cli("audit", "verify", "--json"))
    assert verdict["verdict"] == "intact", verdict
    _client_mode(exe, env, home)
    asyncio.run(_app_to_sign_in(home))
    print(f"smoke: the wheel at {location.parent} works ({len(rows)} matrix rows)")
    return 0


def _client_mode(exe: Path, env: dict[str, str], home: Path) -> None:
    """`customer show` through `staff-console serve` on the demo store (loopback, plain http)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server_env = {k: v for k, v in env.items() if k != "STAFF_CONSOLE_PASSWORD"}
    log = (home / "serve.out").open("wb")
    server = subprocess.Popen([str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)],
                              env=server_env, cwd=home, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (home / "serve.out").read_text()[-2000:]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not listen within 60 s"
                time.sleep(0.1)
        terminal = home / "terminal"
        client_env = {**env, "STAFF_CONSOLE_HOME": str(terminal),
                      "STAFF_CONSOLE_SERVER": f"http://127.0.0.1:{port}"}
        result = subprocess.run([str(exe), "customer", "show", "D0000001", "--as", "T001",
                                 "--json"], env=client_env, capture_output=True, text=True,
                                cwd=home, timeout=120)
        assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
        assert json.loads(result.stdout)["customer_no"] == "D0000001", result.stdout
        assert not (terminal / "staff_console.sqlite3").exists()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


async def _app_to_sign_in(home: Path) -> None:
    from staff_console.app import StaffConsoleApp
    from staff_console.screens.signin import SignInScreen
    from staff_console.settings import load_settings

    app = StaffConsoleApp(load_settings(home=home), demo=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen), type(app.screen)
        app.wait_for_backend()
        await pilot.pause()
        assert app.backend is not None, "the store did not open"
    app.close_backend()


if __name__ == "__main__":
    sys.exit(main())
