"""Where the console's CSV exports go: `<home>/exports/<stem>-<YYYYMMDD-HHMMSS>.csv`.

The time in the name is Korea time from the app's clock. The file is written with a BOM
(`utf-8-sig`) so that a spreadsheet opens the Korean text correctly, is created exclusively
(never overwrites an earlier export: a second export in the same second gets `-2`, `-3`...),
and is readable by its owner only (it holds customer data). Called inside a service worker,
never on the event loop.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from ..domain.clock import SEOUL

EXPORT_DIR = "exports"


def export_dir(home: Path) -> Path:
    return Path(home) / EXPORT_DIR


def write_export(home: Path, stem: str, text: str, now: datetime) -> Path:
    """Write `text` to a new file under `<home>/exports/` and return its path."""
    folder = export_dir(home)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = now.astimezone(SEOUL).strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        path = folder / (f"{stem}-{stamp}.csv" if n == 1 else f"{stem}-{stamp}-{n}.csv")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
            handle.write(text)
        return path
    raise FileExistsError(f"too many exports named {stem}-{stamp}")
