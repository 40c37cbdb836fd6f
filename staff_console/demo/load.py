"""The use case: load the demo into an empty store, in one transaction (a system job).

- One demo password for every demo staff member (`DEMO_PASSWORD`), hashed ONCE with the
  backend's argon2 cost and the hash reused. For the demo only: never load demo staff into a
  real store.
- Seeded history is data, not events: the credentials, replaced devices and pending requests
  the demo invents did not happen through the console, so they get no audit events of their
  own. The load writes a single `demo.loaded` system event (counts, seed) to the audit chain.
- The demo loads into an empty store only: a store with customers is refused (DUPLICATE), and
  so is one that already has a demo employee number. Branches that already exist are kept.
- `cases_only=True` loads the trainer cases and no random customer (what UI snapshots are
  built from: a change to the random generator does not move them).
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from importlib.resources.abc import Traversable

from ..data import DEMO_BRANCHES, DEMO_STAFF, resource
from ..domain.clock import Clock
from ..domain.errors import ConsoleError, invalid
from ..services.backend import Backend
from ..services.common import SYSTEM, record
from ..services.passwords import hash_password
from ..store import bulk
from ..store.audit import NewEvent, init_chain
from ..store.engine import Tx
from . import DEMO_PASSWORD, parallel
from .cases import CASES
from .generator import MAX_CUSTOMERS, Generator

BRANCHES_CSV = resource(DEMO_BRANCHES)
STAFF_CSV = resource(DEMO_STAFF)
# The summary's and the audit event's names for the rows of each bulk table.
_COUNTED_AS = {"customer": "customers", "account": "accounts", "credential": "credentials",
               "request": "requests", "verification": "verifications"}


@dataclass(frozen=True)
class DemoSummary:
    customers: int
    credentials: int
    requests: int
    staff: int
    branches: int
    password: str
    cases: dict[str, str]
    accounts: int = 0
    verifications: int = 0
    seed: int = 7
    seconds: float = 0.0


def _read_csv(path: Traversable) -> list[dict[str, str]]:
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def load_demo(
    backend: Backend, *, customers: int = 300, seed: int = 7, clock: Clock,
    cases_only: bool = False,
    branches_csv: Traversable = BRANCHES_CSV, staff_csv: Traversable = STAFF_CSV,
) -> DemoSummary:
    """Load the demo (`customers` in all, the trainer cases first; only the cases with
    `cases_only`) into an empty store; see the module docstring and docs/demo.md."""
    if cases_only:
        customers = len(CASES)
    if isinstance(customers, bool) or not isinstance(customers, int) or not (
            len(CASES) <= customers <= MAX_CUSTOMERS):
        raise invalid("customers", f"must be between {len(CASES)} and {MAX_CUSTOMERS:,}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise invalid("seed", "must be an integer")
    started = time.perf_counter()
    now = clock.now()
    branch_rows = _read_csv(branches_csv)
    staff_rows = _read_csv(staff_csv)
    # One hash for every demo staff member: argon2 is slow on purpose; demo only.
    password_hash = hash_password(DEMO_PASSWORD, time_cost=backend.password_time_cost,
                                  memory_kib=backend.password_memory_kib)

    def work(s: Tx) -> DemoSummary:
        init_chain(s, backend.store.keyring)
        if bulk.customer_count(s) > 0:
            raise ConsoleError(
                "DUPLICATE", "the store already has customers; the demo loads into an empty store")
        taken = bulk.existing_employee_numbers(s, [r["employee_no"] for r in staff_rows])
        if taken:
            raise ConsoleError("DUPLICATE", f"demo staff already exist: {', '.join(taken)}",
                               field="employee_no")
        bulk.add_missing_branches(s, [(r["code"], r["name"]) for r in branch_rows])
        staff_ids = bulk.add_staff(s, [
            {"employee_no": r["employee_no"], "name": r["name"], "branch_code": r["branch_code"],
             "role": r["role"], "password_hash": password_hash, "created_at": now}
            for r in staff_rows])
        tellers: dict[str, list[int]] = {}
        for r in staff_rows:
            if r["role"] == "teller":
                tellers.setdefault(r["branch_code"], []).append(staff_ids[r["employee_no"]])
        gen = Generator(backend, seed=seed, now=now, staff_ids=staff_ids, tellers=tellers)
        written = bulk.load(s, parallel.batches(gen, customers, copy_text=bulk.is_postgres(s)))
        counts = {_COUNTED_AS[table]: n for table, n in written.items()}
        detail = dict(counts, staff=len(staff_rows), branches=len(branch_rows), seed=seed)
        record(s, backend.store, now, NewEvent(SYSTEM, "demo", "demo.loaded", detail=detail))
        return DemoSummary(
            customers=counts["customers"], credentials=counts["credentials"],
            requests=counts["requests"], staff=len(staff_rows), branches=len(branch_rows),
            password=DEMO_PASSWORD, cases={c.key: c.customer_no for c in CASES},
            accounts=counts["accounts"], verifications=counts["verifications"], seed=seed,
            seconds=round(time.perf_counter() - started, 3),
        )

    return backend.store.run(work)
