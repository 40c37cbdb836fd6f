"""One catalog for every user-facing string (ko and en with the same keys), no Hangul literals
in the UI code, no store imports under screens/ or widgets/, and a lean start-up import."""

from __future__ import annotations

import ast
import re
import string
import subprocess
import sys
from pathlib import Path

from staff_console.domain.errors import CODES
from staff_console.i18n import en, ko

PACKAGE = Path(__file__).resolve().parents[2] / "staff_console"
UI_FILES = [PACKAGE / "app.py", *sorted((PACKAGE / "screens").rglob("*.py")),
            *sorted((PACKAGE / "widgets").rglob("*.py"))]
HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_catalogs_have_the_same_keys_and_placeholders():
    assert set(ko.MESSAGES) == set(en.MESSAGES)
    for key, text in ko.MESSAGES.items():
        assert _fields(text) == _fields(en.MESSAGES[key]), key


def test_every_error_code_and_code_list_is_translated():
    for code in CODES:
        assert f"errors.{code}" in ko.MESSAGES, code
    prefixes = {
        "status": ["pending", "active", "locked", "replaced", "revoked", "expired", "rejected"],
        "request_status": ["pending", "approved", "rejected", "withdrawn", "expired"],
        "reason": ["lost_device", "customer_request", "incident", "death", "other"],
        "role": ["teller", "manager", "auditor", "admin"],
        "channel": ["mts", "web"],
        "authority": ["manager", "delegate", "policy"],
        "method": ["pin", "pattern", "fingerprint", "face"],
        "evidence": ["id_card", "one_won", "phone"],
    }
    for prefix, values in prefixes.items():
        for value in values:
            assert f"{prefix}.{value}" in ko.MESSAGES, f"{prefix}.{value}"


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


def test_every_catalog_key_the_ui_names_exists():
    used = set()
    for path in UI_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "t" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    used.add(first.value)
            # binding descriptions are catalog keys too
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and node.value.startswith("keys.")):
                used.add(node.value)
    used = {k for k in used if not k.endswith(".")}
    missing = sorted(k for k in used if k not in ko.MESSAGES and "{" not in k)
    assert missing == []


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

