"""Live console servers for the tests (the fixtures of tests/server/ and tests/contract/): a
real store (SQLite file, or a fresh PostgreSQL database when STAFF_CONSOLE_TEST_PG_URL is
set), its world of staff and customers built through the services, and uvicorn server
processes on free loopback ports (`Site.start`).

The world: branches HQ, 001, 002; staff A0001 (admin), M001/T001/T002 (001), M002/T201 (002),
AU01 (auditor), all with PASSWORD; customers of helpers.CUSTOMERS_CSV; active credentials
C001 mts and web, C002 mts (001) and C003 mts (002), registered by the channel and approved.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from helpers import PASSWORD, TEST_KEY, build_world

from staff_console.api.local import LocalConsole
from staff_console.api.remote import RemoteConsole
from staff_console.services.backend import Backend, open_backend
from staff_console.services.database import init_backend
from staff_console.services.intake import register_from_channel
from staff_console.services.requests import approve_request
from staff_console.settings import Settings
from staff_console.store.keyring import encode_key

PG_URL = os.environ.get("STAFF_CONSOLE_TEST_PG_URL")
SITE_BACKENDS = ["sqlite"] + (["pg"] if PG_URL else [])
KEY_TEXT = encode_key(TEST_KEY)

# The server process: the settings built directly (the tests' cheap argon2 is below the floor
# load_settings enforces), the key from the environment (never on a command line).
SERVER_MAIN = """
import os, sys
from pathlib import Path
import uvicorn
from staff_console.logs import configure
from staff_console.server.app import create_app
from staff_console.settings import Settings
home, db_url, port = sys.argv[1:4]
settings = Settings(home=Path(home), db_url=db_url, key_text=os.environ.pop("TEST_SERVER_KEY"),
                    argon2_time_cost=1, argon2_memory_kib=8192)
configure(settings.home, "DEBUG")
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(port), log_level="info")
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Site:
    settings: Settings
    home: Path
    processes: list[subprocess.Popen] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    backend: Backend | None = None

    @property
    def url(self) -> str:
        return self.urls[0]

    def start(self) -> str:
        """One more server process on this store; its URL."""
        port = free_port()
        out = (self.home / f"server-{port}.out").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-c", SERVER_MAIN, str(self.home), self.settings.db_url, str(port)],
            env={**os.environ, "TEST_SERVER_KEY": KEY_TEXT}, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"server did not start: {self.output()}")
        self.urls.append(url)
        return url

    def output(self) -> str:
        """Everything the server processes wrote: their console output and the log file."""
        texts = [p.read_text(errors="replace") for p in sorted(self.home.glob("server-*.out"))]
        log = self.home / "staff-console.log"
        if log.exists():
            texts.append(log.read_text(errors="replace"))
        return "\n".join(texts)

    def remote(self, url: str | None = None) -> RemoteConsole:
        return RemoteConsole(url or self.url)

    def signed_in(self, employee_no: str, url: str | None = None) -> RemoteConsole:
        console = self.remote(url)
        console.sign_in(employee_no, PASSWORD, terminal=f"desk-{employee_no}")
        return console

    def local(self, employee_no: str) -> LocalConsole:
        console = LocalConsole(self.store_backend())
        console.sign_in(employee_no, PASSWORD, terminal=f"desk-{employee_no}")
        return console

    def store_backend(self) -> Backend:
        if self.backend is None:
            self.backend = open_backend(self.settings)
        return self.backend

    def sql(self, statement: str, **params) -> None:
        """Change the store behind the server's back (a test's stand-in for time passing)."""
        with self.store_backend().store.engine.begin() as conn:
            conn.execute(sa.text(statement), params)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
        if self.backend is not None:
            self.backend.store.dispose()
            self.backend = None


def _build_world(settings: Settings) -> None:
    backend = init_backend(settings, mode="real")
    clock = backend.clock
    try:
        world = build_world(backend, clock)  # the one test world (tests/helpers.py)
        managers = {"001": world.manager, "002": world.manager2}
        for customer_no, channel, branch in [("C001", "mts", "001"), ("C001", "web", "001"),
                                             ("C002", "mts", "001"), ("C003", "mts", "002")]:
            made = register_from_channel(
                backend, customer_no=customer_no, channel=channel,
                device_id=f"{customer_no}-{channel}",
                methods="pin,pattern" if channel == "mts" else "pin",
                verified="id_card,one_won,phone", clock=clock)
            approve_request(backend, managers[branch], made.request_id, clock=clock)
    finally:
        backend.store.dispose()


def _pg_database() -> Iterator[str]:
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"sc_server_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(PG_URL).set(database=name).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 f"WHERE datname = '{name}'")
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


def make_site(kind: str, home: Path) -> Iterator[Site]:
    """A store with the world and no server yet (`Site.start` starts them)."""
    databases = _pg_database() if kind == "pg" else None
    db_url = next(databases) if databases else f"sqlite:///{home / 'store.sqlite3'}"
    settings = Settings(home=home, db_url=db_url, key_text=KEY_TEXT, argon2_time_cost=1,
                        argon2_memory_kib=8192)
    _build_world(settings)
    site = Site(settings=settings, home=home)
    try:
        yield site
    finally:
        site.stop()
        if databases:
            next(databases, None)
