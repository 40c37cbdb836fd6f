"""The app as a terminal of a live console server (issue 14.2): in a fresh interpreter, with a
server URL and no database URL or key, the teller signs in, finds 홍길동 by 초성 and opens the
customer, all answered by the server; the process loaded no database, store or service code."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from helpers import PASSWORD
from test_cli_on_server import CLIENT_SERVICES, NEVER_ON_A_CLIENT

# The app headless against the server; prints what it saw and its modules after a marker.
_PROBE = """
import asyncio, json, sys
from pathlib import Path
from staff_console.app import StaffConsoleApp
from staff_console.settings import Settings

async def main(url, home, password):
    settings = Settings(home=Path(home), server=url, server_allow_http=True, language="ko")
    app = StaffConsoleApp(settings)
    seen = {}
    async with app.run_test(size=(120, 40)) as pilot:
        async def wait(condition, what):
            for _ in range(600):
                await pilot.pause(0.05)
                if condition():
                    return
            raise AssertionError(what)
        await wait(lambda: app._backend_ready.is_set(), "the console did not open")
        await pilot.press(*"T001", "enter", *password, "enter")
        await wait(lambda: app.session is not None and app.current_mode == "search",
                   "no sign-in")
        seen["actor"] = app.session.actor.employee_no
        await pilot.press(*"ㅎㄱㄷ")
        table = app.screen.query_one("#search-results")
        # The prefix ㅎㄱ (홍길동 and 홍길순) may be answered first on a loaded machine: wait
        # for the full query's one row (a wrong answer keeps two, or none: the wait fails).
        await wait(lambda: table.row_count == 1, "not exactly 홍길동 for ㅎㄱㄷ")
        seen["rows"] = table.row_count
        await pilot.press("down", "enter")
        await wait(lambda: getattr(app.screen, "detail", None) is not None, "no customer")
        seen["customer"] = app.screen.detail.name
    app.close_backend()
    print("@@seen " + json.dumps({"seen": seen, "modules": sorted(sys.modules)}))

asyncio.run(main(*sys.argv[1:]))
"""

# What the CLI as a client may not load, except the UI itself.
NEVER_IN_A_CLIENT_APP = tuple(m for m in NEVER_ON_A_CLIENT if m != "textual")


def test_the_app_walks_through_a_server_with_no_database_code(site, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAFF_CONSOLE_")}
    proc = subprocess.run([sys.executable, "-c", _PROBE, site.url, str(tmp_path), PASSWORD],
                          env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(proc.stdout[proc.stdout.rindex("@@seen ") + len("@@seen "):])
    assert doc["seen"] == {"actor": "T001", "rows": 1, "customer": "홍길동"}
    bad = [m for m in doc["modules"]
           if any(m == p or m.startswith(p + ".") for p in NEVER_IN_A_CLIENT_APP)
           or (m.startswith("staff_console.services") and m not in CLIENT_SERVICES)]
    assert bad == []
    assert "staff_console.api.remote" in doc["modules"]
