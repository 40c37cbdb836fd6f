"""Fixtures of live console servers (live_server.py builds them)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live_server import SITE_BACKENDS, Site, make_site


@pytest.fixture(scope="module", params=SITE_BACKENDS)
def site(request, tmp_path_factory) -> Iterator[Site]:
    """One store and one server for a module's tests (each test uses its own staff or
    customers where it changes them)."""
    for made in make_site(request.param, tmp_path_factory.mktemp("site")):
        made.start()
        yield made


@pytest.fixture(params=SITE_BACKENDS)
def fresh_site(request, tmp_path) -> Iterator[Site]:
    """A store of its own and no server yet."""
    yield from make_site(request.param, tmp_path)


def pytest_collection_modifyitems(items):
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "pg" in callspec.params.values():
            item.add_marker(pytest.mark.pg)
