"""CLI fixtures: `cli` is a store with the usual world (built once through the CLI and copied),
`fresh_cli` an empty home where nothing exists yet.

Imported by each test module rather than living in a conftest.py: several test directories
have a conftest.py and some tests do `from conftest import ...`, which must keep meaning the
top-level one."""

from __future__ import annotations

import shutil

import pytest
from cli_support import Cli, build_world


@pytest.fixture(scope="session")
def cli_template(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli_template")
    build_world(Cli(root))
    return root


@pytest.fixture
def cli(tmp_path, cli_template) -> Cli:
    root = tmp_path / "world"
    shutil.copytree(cli_template, root)
    return Cli(root)


@pytest.fixture
def fresh_cli(tmp_path) -> Cli:
    return Cli(tmp_path / "fresh")

__all__ = ["cli", "cli_template", "fresh_cli"]
