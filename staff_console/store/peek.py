"""One read before the store is open, for a command's start-up: a staff member's password
hash from a SQLite file, with the driver alone (no SQLAlchemy to import yet).

Nothing is decided on it. The CLI uses it to start the sign-in's argon2 verification on a
second core while the process imports the rest of the store (services/passwords.py
`start_verification`); the sign-in itself reads the hash again in its transaction and uses that
early result only for the very same hash and password. Any trouble here (no file, not a store,
locked, another database) answers None, and the sign-in then verifies as usual.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote


def sqlite_file(url: str) -> Path | None:
    """The file of a plain `sqlite:///path` URL (None for any other database or form). Read by
    hand, not with SQLAlchemy's URL parser like the CLI's `sqlite_path`: this runs before
    SQLAlchemy is imported, and a URL it does not recognise only skips the early read."""
    if not url.startswith("sqlite:///") or "?" in url:
        return None
    path = url.removeprefix("sqlite:///")
    return Path(path) if path and path != ":memory:" else None


def staff_password_hash(url: str, employee_no: str) -> tuple[bool, str | None]:
    """(read, hash): `read` False when the file could not be read at all; `hash` None when no
    active staff member has that employee number (as stored: upper case). A deactivated
    member's hash is not read: the sign-in verifies the dummy hash for them, so an early
    verification of their real hash would be a second one, and the time would tell that the
    account exists."""
    path = sqlite_file(url)
    if path is None or not path.is_file():
        return False, None
    try:
        # Read-only, no journal changes, no file created; closed at once.
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=0.2)
        try:
            row = conn.execute("SELECT password_hash FROM staff WHERE employee_no = ? "
                               "AND active", (employee_no.strip(),)).fetchone()
        finally:
            conn.close()
    except (sqlite3.Error, UnicodeError):  # UnicodeError: a number that is not UTF-8
        return False, None
    return True, (row[0] if row else None)
