"""The operations log: standard `logging`, configured here and nowhere else.

One rotating file, `<data dir>/staff-console.log` (size-bounded, mode 0600), for the CLI and the
app alike; inside the app also Textual's handler (its devtools console). The CLI prints only
its contract output; everything for operations goes to the file. The level is the
`log_level` setting (`STAFF_CONSOLE_LOG_LEVEL`).

What is logged: start and stop (the command, never its arguments: they hold search text,
names and notes), the store opened (URL without password), migrations, retries and their
cause, the store unreachable and recovered, sealer warnings, unexpected errors with their
stack trace. What never is: ID numbers, phones, passwords, customer names, statement parameters.
That rests on what the code logs (identifiers and counts, never data; the engines hide
statement parameters); as a second line, every record passes `mask_numbers`, so a number that
slips into a message (a driver's text, an exception) is masked as it is in the trail.
"""

from __future__ import annotations

import logging
import os
from logging.handlers import RotatingFileHandler
from pathlib import Path

from .domain.ids import mask_numbers
from .files import private_dir

LOG_FILE = "staff-console.log"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 5  # at most 30 MiB of log per data directory
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"

_HANDLER_MARK = "_staff_console_handler"


class _MaskingFilter(logging.Filter):
    """Masks numbers that could be an ID number or a phone in the message and the trace."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class _MaskingFormatter(logging.Formatter):
    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        return mask_numbers(super().formatException(ei))


class _PrivateRotatingFileHandler(RotatingFileHandler):
    """Every file it opens (the log and each new one after a rotation) is 0600."""

    def _open(self):
        # Never through a link planted in its place (the exports refuse them the same way).
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(self.baseFilename, flags, 0o600)
        return os.fdopen(fd, self.mode.replace("w", "a"), encoding=self.encoding,
                         errors=self.errors)


# The package's records at the configured level; the libraries' own (SQLAlchemy's pool,
# Alembic) at WARNING, into the same file rather than onto stderr under a full-screen app.
_LIBRARIES = ("sqlalchemy", "alembic")


def configure(home: Path, level: str = "INFO", *,
              extra: tuple[logging.Handler, ...] = ()) -> Path | None:
    """Send the records to the log file and to the `extra` handlers (the app adds Textual's).
    A second call replaces the handlers of the first. Returns the file, or None when the data
    directory cannot hold it (then the file is skipped silently: the CLI's output is a
    contract, and a terminal must work with a read-only home)."""
    handlers: list[logging.Handler] = list(extra)
    file = home / LOG_FILE
    path: Path | None = file
    try:
        private_dir(home)
        handlers.insert(0, _PrivateRotatingFileHandler(file, maxBytes=MAX_BYTES,
                                                       backupCount=BACKUPS, encoding="utf-8"))
    except OSError:  # a read-only home, or a link where the log should be
        path = None
    if not handlers:  # no file and nothing else: the records are dropped, never printed
        handlers.append(logging.NullHandler())
    formatter = _MaskingFormatter(FORMAT)
    for handler in handlers:
        setattr(handler, _HANDLER_MARK, True)
        handler.setFormatter(formatter)
        handler.addFilter(_MaskingFilter())
    for name, name_level in (("staff_console", level), *((n, "WARNING") for n in _LIBRARIES)):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if getattr(h, _HANDLER_MARK, False)]:
            logger.removeHandler(old)
            old.close()
        logger.setLevel(name_level)
        logger.propagate = False
        for handler in handlers:
            logger.addHandler(handler)
    return path
