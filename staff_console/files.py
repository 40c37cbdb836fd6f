"""The console's files are its user's alone: folders 0700, files 0600 (POSIX).

The data directory holds the store (names, phones, the trail), the key, the log and the
exports; another account on the same machine must not read any of it. Everything the console
creates is created private from the start (not chmod-ed afterwards: a descriptor opened in the
gap keeps reading after a later chmod). What already exists and is open to group or others is
tightened when this user owns it, with a warning in the log, and otherwise only logged (another
owner's file cannot be changed, and refusing to start would lock a branch out of its console).

On Windows the mode bits mean nothing: the per-user data folder's ACL is what protects the
files, so nothing here changes anything there.
"""

from __future__ import annotations

import logging
import os
import stat
from datetime import datetime
from pathlib import Path

from .domain.clock import SEOUL
from .domain.errors import ConsoleError

log = logging.getLogger(__name__)

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
_OPEN_TO_OTHERS = stat.S_IRWXG | stat.S_IRWXO
# What SQLite keeps beside a database file (it gives them the database file's mode).
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
_POSIX = os.name == "posix"


def private_dir(path: Path | str, *, tighten: bool = True) -> Path:
    """Make sure the folder `path` exists. Every folder created here (and any missing parent)
    is 0700. An existing `path` open to others is tightened if `tighten` (the console's own
    data directory) or only logged (a folder someone chose for a store file: it may be shared
    on purpose; the store files in it are 0600 either way)."""
    path = Path(path).expanduser()
    missing = []
    folder = path
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    made = False
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            made = False  # made meanwhile by another process: checked like any other
            continue
        made = True
        if _POSIX:
            os.chmod(folder, PRIVATE_DIR)  # exactly 0700, whatever the umask took away
    if not made:
        _check(path, PRIVATE_DIR, tighten=tighten)
    return path


def private_file(path: Path | str) -> bool:
    """Create the empty file `path` as 0600 unless it exists (then it is checked and tightened
    like `tighten_file`). True if it was created here."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        tighten_file(path)
        return False
    os.close(fd)
    return True


def tighten_file(path: Path | str) -> None:
    """An existing file open to group or others: 0600 if this user owns it, logged either way."""
    _check(Path(path), PRIVATE_FILE, tighten=True)


def private_sqlite(path: Path | str) -> None:
    """Before SQLite opens `path`: create it 0600 if it is missing (an empty file is an empty
    database; SQLite then creates -wal and -shm with the same mode), and tighten an existing
    one and its companions. A missing folder is left to SQLite to report."""
    path = Path(path)
    if path.parent.is_dir():
        private_file(path)
    for suffix in SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            tighten_file(companion)


def _check(path: Path, mode: int, *, tighten: bool) -> None:
    if not _POSIX:
        return
    try:
        info = path.stat()
    except FileNotFoundError:
        return  # gone meanwhile (a -wal removed by the last connection to close)
    if not info.st_mode & _OPEN_TO_OTHERS:
        return
    old = stat.S_IMODE(info.st_mode)
    if tighten and info.st_uid == os.geteuid():
        try:
            os.chmod(path, mode)
        except OSError as exc:  # e.g. a read-only mount: say so, do not stop the console
            log.warning("%s is open to other users (mode %o) and could not be made %o: %s",
                        path, old, mode, exc)
            return
        log.warning("%s was open to other users (mode %o); now %o", path, old, mode)
        return
    log.warning("%s is open to other users (mode %o); it should be %o%s", path, old, mode,
                "" if info.st_uid == os.geteuid() else " (owned by another user)")


def new_export_path(folder: Path, stem: str, now: datetime) -> Path:
    """`<folder>/<stem>-<YYYYMMDD-HHMMSS>.csv` in Korea time, `-2`, `-3`... when taken (the
    app's exports; the folder is created 0700). On the terminal, in either mode: a
    console server sends an export's content, the terminal writes it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = now.astimezone(SEOUL).strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        path = folder / (f"{stem}-{stamp}.csv" if n == 1 else f"{stem}-{stamp}-{n}.csv")
        if not os.path.lexists(path):
            return path
    raise ConsoleError("INVALID_INPUT", f"too many exports named {stem}-{stamp}", field="csv")
