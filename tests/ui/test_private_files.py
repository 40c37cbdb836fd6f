"""The app opens a store made by an older version (0644 files): the store file and its -wal and
-shm are 0600 once the app has opened it (issue 12 item 8); the demo's data directory is 0700."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest
from helpers import NOW, TEST_KEY
from ui_pilot import settle, sign_in

from staff_console.app import StaffConsoleApp
from staff_console.app_start import demo_settings
from staff_console.demo.load import load_demo
from staff_console.domain.clock import FixedClock, parse_instant
from staff_console.services.database import init_backend
from staff_console.settings import Settings
from staff_console.store.keyring import encode_key

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")

CHEAP = {"argon2_time_cost": 5, "argon2_memory_kib": 7168}


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


async def test_the_app_tightens_an_open_store(tmp_path):
    path = tmp_path / "store.sqlite3"
    settings = Settings(home=tmp_path / "home", db_url=f"sqlite:///{path}",
                        key_text=encode_key(TEST_KEY), **CHEAP)
    backend = init_backend(settings, mode="training", clock=FixedClock(parse_instant(NOW)))
    load_demo(backend, customers=20, clock=backend.clock)
    backend.store.dispose()
    os.chmod(path, 0o644)
    old = os.umask(0o022)
    other = sqlite3.connect(path)  # another terminal: its -wal and -shm come out 0644
    try:
        other.execute("SELECT count(*) FROM staff").fetchone()
        files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
        assert [mode(f) for f in files] == [0o644] * 3
        app = StaffConsoleApp(settings, clock=FixedClock(parse_instant(NOW)), idle_seconds=600)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await sign_in(pilot, "T001")
            assert app.session is not None
            assert [mode(f) for f in files] == [0o600] * 3
        app.close_backend()
    finally:
        other.close()
        os.umask(old)


def test_the_demo_data_directory_is_private(tmp_path, monkeypatch):
    monkeypatch.delenv("STAFF_CONSOLE_DEMO_DB", raising=False)
    home = tmp_path / "home"
    home.mkdir()
    os.chmod(home, 0o755)  # made by an older version
    settings = Settings(home=home, db_url=f"sqlite:///{tmp_path / 'real.sqlite3'}", **CHEAP)
    demo = demo_settings(settings)
    assert mode(home) == 0o700
    assert demo.db_url.endswith("demo.sqlite3")
    fresh = demo_settings(Settings(home=tmp_path / "new" / "home", db_url="sqlite:///x", **CHEAP))
    assert mode(tmp_path / "new" / "home") == mode(tmp_path / "new") == 0o700
    assert fresh.home == tmp_path / "new" / "home"
