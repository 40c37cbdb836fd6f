"""The store plus the configuration the use cases need; every service takes one."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources.abc import Traversable

from ..data import SERVICE_MATRIX, resource
from ..domain.matrix import ServiceRow, parse_matrix
from ..domain.policy import Policy
from ..settings import Settings
from ..store.engine import Store, make_engine
from ..store.keyring import Keyring


@lru_cache(maxsize=4)
def load_matrix(path: Traversable = resource(SERVICE_MATRIX)) -> tuple[ServiceRow, ...]:
    with path.open(encoding="utf-8", newline="") as handle:
        return parse_matrix(handle)


@dataclass
class Backend:
    store: Store
    policy: Policy = field(default_factory=Policy)
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    matrix_path: Traversable = field(default_factory=lambda: resource(SERVICE_MATRIX))

    @property
    def matrix(self) -> tuple[ServiceRow, ...]:
        return load_matrix(self.matrix_path)


def open_backend(settings: Settings, *, pool_size: int = 5, background_seal: bool = False,
                 ) -> Backend:
    """`background_seal`: for a long-lived terminal (the console), see store/sealer.py."""
    store = Store(make_engine(settings.db_url, pool_size=pool_size), Keyring(settings.master_key()),
                  background_seal=background_seal)
    policy = Policy(
        checker_required=dict(settings.checker_required),
        request_expiry_days=settings.request_expiry_days,
    )
    return Backend(
        store=store,
        policy=policy,
        password_time_cost=settings.argon2_time_cost,
        password_memory_kib=settings.argon2_memory_kib,
    )
