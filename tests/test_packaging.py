"""The wheel carries every file the package has: code, styles, data, migrations. A file the
code reads at run time and the wheel lacks would work from a checkout and fail on a branch PC
(the smoke test in .ci/run then runs the installed wheel itself: tests/smoke/smoke_wheel.py)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _package_files() -> set[str]:
    """The package's files as the repository holds them (git), else as the disk does."""
    try:
        listed = subprocess.run(["git", "ls-files", "staff_console"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        listed = [str(p.relative_to(ROOT)) for p in (ROOT / "staff_console").rglob("*")
                  if p.is_file()]
    return {name for name in listed if "__pycache__" not in name}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True, timeout=600)
    (built,) = out.glob("staff_console-*.whl")
    return zipfile.ZipFile(built)


def test_every_file_of_the_package_is_in_the_wheel(wheel):
    names = set(wheel.namelist())
    missing = sorted(_package_files() - names)
    assert not missing, f"not in the wheel: {missing}"


def test_the_data_files_the_code_names_are_in_the_wheel(wheel):
    from staff_console.data import FILES

    names = set(wheel.namelist())
    assert {f"staff_console/data/{name}" for name in FILES} <= names


def test_nothing_outside_the_package_is_needed(wheel):
    top = {name.split("/")[0] for name in wheel.namelist()}
    assert top == {"staff_console", next(t for t in top if t.endswith(".dist-info"))}
