"""Where the app's CSV exports go: `<home>/exports/<stem>-<YYYYMMDD-HHMMSS>.csv` (Korea time
from the app's clock; a second export in the same second gets `-2`, `-3`...). The file itself
is written by services/exports.py: new, owner-only, BOM and CRLF, cells that open safely."""

from __future__ import annotations

from pathlib import Path

EXPORT_DIR = "exports"


def export_dir(home: Path) -> Path:
    return Path(home) / EXPORT_DIR
