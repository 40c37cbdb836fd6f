"""The app on a store of this PC (embedded mode), in a fresh interpreter: the teller signs in,
finds 홍길동 by 초성 and opens the customer; the process loaded no ORM, no SQLModel, no
migrations and, on a SQLite store, no PostgreSQL code (issue 13 item 1, issue 11 item 6)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

DEMO_PASSWORD = "Demo12345!"  # the published demo password (docs/demo.md)

_PROBE = """
import asyncio, json, sys
from pathlib import Path
from staff_console.app import StaffConsoleApp
from staff_console.settings import load_settings

async def main(password):
    app = StaffConsoleApp(load_settings())
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
        await pilot.press(*"ㅎㄱㄷ")
        table = app.screen.query_one("#search-results")
        await wait(lambda: table.row_count == 1, "not exactly 홍길동 for ㅎㄱㄷ")
        await pilot.press("down", "enter")
        await wait(lambda: getattr(app.screen, "detail", None) is not None, "no customer")
        seen["customer"] = app.screen.detail.name
    app.close_backend()
    print("@@seen " + json.dumps({"seen": seen, "modules": sorted(sys.modules)}))

asyncio.run(main(*sys.argv[1:]))
"""

NEVER_IN_THE_APP = ("sqlalchemy.orm", "sqlmodel", "alembic", "staff_console.store.migrate",
                    "sqlalchemy.dialects.postgresql", "psycopg", "staff_console.demo.load")


def test_the_app_on_a_sqlite_store_loads_no_orm_migrations_or_postgresql(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAFF_CONSOLE_")}
    env["STAFF_CONSOLE_HOME"] = str(tmp_path)
    subprocess.run([sys.executable, "-c", "from staff_console.cli import main; main()",
                    "db", "init", "--demo"], env=env, check=True, capture_output=True,
                   timeout=300)
    proc = subprocess.run([sys.executable, "-c", _PROBE, DEMO_PASSWORD], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(proc.stdout[proc.stdout.rindex("@@seen ") + len("@@seen "):])
    assert doc["seen"] == {"customer": "홍길동"}
    assert "staff_console.api.local" in doc["modules"]  # embedded: the store on this PC
    bad = [m for m in doc["modules"]
           if any(m == p or m.startswith(p + ".") for p in NEVER_IN_THE_APP)]
    assert bad == []
