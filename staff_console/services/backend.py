"""The store plus the configuration the use cases need; every service takes one."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable

from sqlalchemy.engine import Engine

from ..data import SERVICE_MATRIX, resource
from ..domain.clock import Clock, SystemClock
from ..domain.matrix import ServiceRow, parse_matrix
from ..domain.policy import Policy
from ..settings import Settings
from ..store.engine import Store, make_engine
from ..store.failures import check_schema
from ..store.keyring import Keyring
from .store_identity import StoreIdentity, open_checked

_MATRICES: dict[str, tuple[ServiceRow, ...]] = {}  # read once per file


def load_matrix(path: Traversable = resource(SERVICE_MATRIX)) -> tuple[ServiceRow, ...]:
    key = str(path)
    if key not in _MATRICES:
        with io.TextIOWrapper(path.open("rb"), encoding="utf-8", newline="") as handle:
            _MATRICES[key] = parse_matrix(handle)
    return _MATRICES[key]


@dataclass
class Backend:
    store: Store
    # A snapshot of the store's policy for what only shows or times (the idle lock, the expiring
    # window), refreshed by services.policy.current_policy. What enforces a rule (a new request's
    # checker and deadline) reads the store in its own transaction, never this.
    policy: Policy = field(default_factory=Policy)
    # When a session check last read `policy` from the store (time.monotonic); None: read it
    # on the next check (services/sessions.py POLICY_FRESH_S).
    policy_read_at: float | None = None
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    matrix_path: Traversable = field(default_factory=lambda: resource(SERVICE_MATRIX))
    # The clock the use cases run on, chosen when the store was opened (services/store_identity):
    # a fixed clock only on a training store, else the store's own clock.
    clock: Clock = field(default_factory=SystemClock)
    identity: StoreIdentity | None = None  # once opened through open_backend

    @property
    def training(self) -> bool:
        return bool(self.identity is not None and self.identity.training)

    @property
    def matrix(self) -> tuple[ServiceRow, ...]:
        return load_matrix(self.matrix_path)


def open_backend(settings: Settings, *, clock: Clock | None = None, pool_size: int = 5,
                 background_seal: bool = False) -> Backend:
    """`background_seal`: for a long-lived terminal (the console), see store/sealer.py.
    Before anything runs, the store must have this program's schema (store/failures.py) and
    the terminal's key, and it decides the clock (`clock`: a fixed clock asked for); a refusal
    (STORE_*, KEY_MISMATCH, CLOCK_FIXED_REFUSED) opens nothing. Creating or upgrading a store
    is services/database.py `init_backend`."""
    engine = make_engine(settings.db_url, pool_size=pool_size)
    try:
        check_schema(engine)
        identity, keyring, trusted = open_checked(
            engine, key_text=settings.key_text, key_file=settings.key_file, requested_clock=clock)
    except BaseException:
        engine.dispose()
        raise
    return backend_for(settings, engine, keyring, trusted, identity,
                       background_seal=background_seal)


def backend_for(settings: Settings, engine: Engine, keyring: Keyring, clock: Clock,
                identity: StoreIdentity | None, *, background_seal: bool = False) -> Backend:
    store = Store(engine, keyring, background_seal=background_seal)
    # No policy from the terminal's settings: the store holds it (services/policy.py).
    return Backend(
        store=store,
        password_time_cost=settings.argon2_time_cost,
        password_memory_kib=settings.argon2_memory_kib,
        clock=clock,
        identity=identity,
    )
