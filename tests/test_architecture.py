"""The layering rule: screens/cli -> services -> store -> domain, and only the UI imports Textual.

import-linter checks the contracts in pyproject.toml; the AST scan below is a second, dependency-
free check that also catches imports hidden inside functions."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "staff_console"
UI = ("app.py", "screens/", "widgets/")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                parts = path.relative_to(PACKAGE.parent).with_suffix("").parts[: -node.level]
                base = ".".join(parts)
                names.add(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                names.add(node.module)
    return names


def _modules(sub: str = ""):
    return sorted((PACKAGE / sub).rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def test_import_linter_contracts_hold():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    result = subprocess.run([exe], cwd=PACKAGE.parent, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_only_the_ui_imports_textual():
    offenders = [
        _rel(p) for p in _modules()
        if not _rel(p).startswith(UI)
        and any(n == "textual" or n.startswith(("textual.", "textual_plotext")) for n in _imports(p))
    ]
    assert offenders == []


def test_domain_imports_no_io_and_no_upper_layer():
    forbidden = ("sqlalchemy", "sqlmodel", "alembic", "psycopg", "textual", "typer", "rich",
                 "argon2", "cryptography", "staff_console.store", "staff_console.services",
                 "staff_console.cli", "staff_console.app", "staff_console.screens",
                 "staff_console.widgets", "staff_console.settings")
    offenders = {
        _rel(p): sorted(n for n in _imports(p) if n.startswith(forbidden))
        for p in _modules("domain")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_store_does_not_import_services_or_ui():
    forbidden = ("staff_console.services", "staff_console.cli", "staff_console.app",
                 "staff_console.screens", "staff_console.widgets", "textual")
    offenders = {
        _rel(p): sorted(n for n in _imports(p) if n.startswith(forbidden))
        for p in _modules("store")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_screens_and_widgets_do_not_touch_the_store():
    offenders = {}
    for sub in ("screens", "widgets"):
        if not (PACKAGE / sub).exists():
            continue
        for p in _modules(sub):
            bad = sorted(n for n in _imports(p)
                         if n.startswith(("staff_console.store", "sqlalchemy", "sqlmodel")))
            if bad:
                offenders[_rel(p)] = bad
    assert offenders == {}
