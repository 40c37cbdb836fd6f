"""No Hangul literals in the UI code (every user-facing string is in the catalog: its own checks
are in tests/test_catalogs.py), no store imports under screens/ or widgets/, and a lean start-up
import."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "staff_console"
UI_FILES = [PACKAGE / "app.py", *sorted((PACKAGE / "screens").rglob("*.py")),
            *sorted((PACKAGE / "widgets").rglob("*.py"))]
HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def test_no_hangul_strings_outside_the_catalog():
    offenders = []
    for path in UI_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in docs and HANGUL.search(node.value)):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []


def test_screens_and_widgets_do_not_import_the_store():
    offenders = {}
    for path in UI_FILES:
        if path.name == "app.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                names.add(("." * node.level) + module)
        bad = sorted(n for n in names if n.lstrip(".").startswith(("store", "sqlalchemy",
                                                                   "sqlmodel"))
                     or "staff_console.store" in n or n.startswith("..store"))
        if bad:
            offenders[str(path.relative_to(PACKAGE))] = bad
    assert offenders == {}


def test_the_app_module_does_not_import_the_database_layer():
    code = ("import sys, staff_console.app; "
            "bad = [m for m in ('sqlalchemy', 'sqlmodel', 'alembic', 'argon2', "
            "'staff_console.store', 'staff_console.services', 'staff_console.settings') "
            "if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_the_settings_record_loads_no_validation_library():
    """The app's entry builds its Settings before the first frame: the record is light; the
    pydantic-settings model is imported only by load_settings (settings_sources.py)."""
    code = ("import sys, staff_console.app, staff_console.settings; "
            "print([m for m in ('pydantic', 'pydantic_settings', 'staff_console.settings_sources')"
            " if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"

