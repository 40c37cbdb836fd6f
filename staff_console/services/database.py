"""Creating or upgrading the store (a system job: `db init`, the demo)."""

from __future__ import annotations

from ..domain.clock import Clock
from ..settings import Settings
from ..store.engine import make_engine
from .backend import Backend, backend_for
from .store_identity import initialise

# The migrations (Alembic) are imported by these functions only, when they run: the app imports
# this module for the demo's store, and a terminal on an existing store never loads them.


def init_schema(backend: Backend) -> None:
    from ..store.migrate import upgrade

    upgrade(backend.store.engine, backend.store.keyring)


def init_backend(settings: Settings, *, mode: str | None, clock: Clock | None = None,
                 pool_size: int = 5, background_seal: bool = False) -> Backend:
    """Create or upgrade the store and open it (services/store_identity.py `initialise`: the
    mode is recorded once, the key created only here and only for a new store). `mode`:
    store_identity.REAL, TRAINING, or None (a new store is real, an existing one keeps its
    mode). `clock`: a fixed clock asked for (training stores only)."""
    from ..store.migrate import upgrade

    engine = make_engine(settings.db_url, pool_size=pool_size)
    try:
        identity, keyring, trusted = initialise(
            engine, mode=mode, key_text=settings.key_text, key_file=settings.key_file,
            requested_clock=clock, upgrade=upgrade)
    except BaseException:
        engine.dispose()
        raise
    return backend_for(settings, engine, keyring, trusted, identity,
                       background_seal=background_seal)
