"""UI fixtures: the demo data (300 customers, seed 7; the trainer cases only for snapshot tests)
on a temporary SQLite file, a fixed clock (2026-11-24T10:00:00+09:00), and a factory for the app
with that backend injected."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import CHEAP_ARGON2, NOW, TEST_KEY

from staff_console.demo.load import load_demo
from staff_console.domain.clock import FixedClock, parse_instant
from staff_console.domain.policy import Policy
from staff_console.services.backend import Backend
from staff_console.settings import Settings
from staff_console.store.engine import Store, make_engine
from staff_console.store.keyring import Keyring
from staff_console.store.migrate import upgrade


def _backend(url: str, clock=None) -> Backend:
    """`clock`: the clock the use cases run on (the app's console acts on its backend's)."""
    return Backend(store=Store(make_engine(url), Keyring(TEST_KEY)), policy=Policy(),
                   clock=clock or FixedClock(parse_instant(NOW)), **CHEAP_ARGON2)


def _template(path: Path, **demo) -> tuple[Path, dict]:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine, Keyring(TEST_KEY))
    engine.dispose()
    backend = _backend(url)
    summary = load_demo(backend, seed=7, clock=FixedClock(parse_instant(NOW)), **demo)
    backend.store.dispose()
    return path, summary.cases


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> tuple[Path, dict]:
    """The demo of 300 customers: the trainer cases and 287 generated ones."""
    return _template(tmp_path_factory.mktemp("ui-demo") / "demo.sqlite3", customers=300)


@pytest.fixture(scope="session")
def cases_template(tmp_path_factory) -> tuple[Path, dict]:
    """The trainer cases only: what a snapshot shows does not move with the generator."""
    return _template(tmp_path_factory.mktemp("ui-cases") / "cases.sqlite3", cases_only=True)


@pytest.fixture
def world(request) -> tuple[Path, dict]:
    """The store a test starts from: a snapshot test (one using `snap_compare`) gets the
    trainer cases only, every other test the 300-customer demo."""
    name = "cases_template" if "snap_compare" in request.fixturenames else "demo_template"
    return request.getfixturevalue(name)


@pytest.fixture
def ui_clock() -> FixedClock:
    return FixedClock(parse_instant(NOW))


@pytest.fixture
def ui_backend(tmp_path, world, ui_clock) -> Backend:
    path = tmp_path / "store.sqlite3"
    shutil.copy(world[0], path)
    backend = _backend(f"sqlite:///{path}", ui_clock)
    yield backend
    backend.store.dispose()


@pytest.fixture
def cases(world) -> dict[str, str]:
    return world[1]


@pytest.fixture
def make_app(tmp_path, ui_backend, ui_clock):
    from staff_console.app import StaffConsoleApp

    def make(*, language: str = "ko", idle_seconds: float | None = None, demo: bool = False):
        settings = Settings(home=tmp_path, db_url="sqlite:///unused", language=language,
                            **CHEAP_SETTINGS)
        app = StaffConsoleApp(settings, clock=ui_clock, backend=ui_backend, demo=demo,
                              idle_seconds=idle_seconds)
        # No animations: a snapshot must never catch the tab underline half-way.
        app.animation_level = "none"
        return app

    return make


# The cheapest argon2 cost the settings accept (the floor): the UI tests sign in often.
CHEAP_SETTINGS = {"argon2_time_cost": 5, "argon2_memory_kib": 7168}
