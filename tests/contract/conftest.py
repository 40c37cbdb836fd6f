"""The Console contract's fixtures: every test of tests/contract/ runs twice, on a LocalConsole
in this process over the store (embedded mode) and on RemoteConsoles of a live server process
over the same store (issue 14: "both modes run the same tests").

One site per store backend for the whole session (SQLite always; PostgreSQL with
STAFF_CONSOLE_TEST_PG_URL, and those runs are marked `pg` for .ci/run's PostgreSQL step): a
store with the live server world (tests/live_server.py) and one server process. The two modes
share it, so a test changes only what it made itself: `Desk.customer` imports a customer of
its own (with credentials registered by the channel and approved, the setup done through the
services, not through the console under test), `Desk.staff` adds a person of its own.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

import pytest
from helpers import PASSWORD
from live_server import SITE_BACKENDS, Site, make_site

from staff_console.api import Console
from staff_console.api.local import LocalConsole
from staff_console.api.remote import RemoteConsole
from staff_console.domain.authority import Actor
from staff_console.services import staff as staff_service
from staff_console.services.customer_import import import_customers
from staff_console.services.intake import register_from_channel
from staff_console.services.requests import approve_request

MODES = ["local", "server"]
_serial = itertools.count(1)
_run = uuid.uuid4().int % 9000 + 1000  # numbers of this session (a PostgreSQL store is fresh)


@pytest.fixture(scope="session", params=SITE_BACKENDS)
def contract_site(request, tmp_path_factory) -> Iterator[Site]:
    for made in make_site(request.param, tmp_path_factory.mktemp("contract")):
        made.start()
        yield made


class Desk:
    """The people of one test at their terminals, in one mode."""

    def __init__(self, site: Site, mode: str) -> None:
        self.site = site
        self.mode = mode
        self._remotes: list[RemoteConsole] = []

    def open(self, employee_no: str, password: str = PASSWORD) -> Console:
        """A console of this mode, signed in as `employee_no`."""
        console = self.unsigned()
        console.sign_in(employee_no, password, terminal=f"desk-{employee_no}")
        return console

    def unsigned(self) -> Console:
        """A console of this mode that nobody signed in to yet."""
        if self.mode == "local":
            # Not closed: LocalConsole.close disposes the store it shares with the site.
            return LocalConsole(self.site.store_backend())
        remote = RemoteConsole(self.site.url)
        self._remotes.append(remote)
        return remote

    def close(self) -> None:
        for remote in self._remotes:
            remote.close()

    # -- the test's own people and customers (setup: through the services) ---------------------
    def _actor(self, employee_no: str) -> Actor:
        backend = self.site.store_backend()
        return staff_service.authenticate(backend, employee_no, PASSWORD, clock=backend.clock,
                                          terminal="setup")

    @staticmethod
    def number() -> int:
        return _run * 1000 + next(_serial)

    @staticmethod
    def name_of(n: int) -> str:
        """A Korean name no other customer of the session has (its digits spelt 영, 일, 이...)."""
        return "".join("영일이삼사오육칠팔구"[int(d)] for d in str(n))

    def staff(self, role: str, branch: str = "001") -> str:
        """A new staff member's employee number (password PASSWORD)."""
        backend = self.site.store_backend()
        employee_no = f"X{self.number()}"
        staff_service.add_staff(backend, self._actor("A0001"), employee_no=employee_no,
                                name=f"직원{employee_no[-3:]}", branch_code=branch, role=role,
                                password=PASSWORD, clock=backend.clock)
        return employee_no

    def customer(self, *channels: str, branch: str = "001") -> str:
        """A new domestic individual customer of `branch` with online trading and an active
        credential on each of `channels`; the customer number (K<n>, named `name_of(n)`)."""
        backend = self.site.store_backend()
        n = self.number()
        customer_no = f"K{n}"
        name = self.name_of(n)
        csv = ("customer_no,name,id_number,phone,branch_code,online_trading,account_nos\n"
               f"{customer_no},{name},900101-1{n % 1000000:06d},010-{n % 10000:04d}-"
               f"{n // 10000 % 10000:04d},{branch},Y,{n:011d}\n")
        import_customers(backend, self._actor("A0001"), csv, clock=backend.clock)
        manager = self._actor("M001" if branch == "001" else "M002")
        for channel in channels:
            made = register_from_channel(
                backend, customer_no=customer_no, channel=channel,
                device_id=f"{customer_no}-{channel}",
                methods="pin,pattern" if channel == "mts" else "pin",
                verified="id_card,one_won,phone", clock=backend.clock)
            approve_request(backend, manager, made.request_id, clock=backend.clock)
        return customer_no


@pytest.fixture(params=MODES)
def desk(request, contract_site: Site) -> Iterator[Desk]:
    made = Desk(contract_site, request.param)
    yield made
    made.close()


def pytest_collection_modifyitems(items):
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "pg" in callspec.params.values():
            item.add_marker(pytest.mark.pg)
