"""The anchor file: signed lines kept outside the store (store/chain_anchors.py `make_anchor`),
read by `audit verify` and appended to by `audit anchor` and the monthly sign-off (CLI and app).

The file is meant to live apart from the store (a write-once share, a file shipped to syslog);
its default place is the `audit_anchor_path` setting. Appending creates it owner-only (0600);
its folder must exist (a share chosen for anchors is not created here)."""

from __future__ import annotations

import os
from pathlib import Path

from ..domain.errors import invalid

# An anchor file is a few lines a day; anything this large is not one.
MAX_ANCHOR_FILE = 64 * 1024 * 1024


def default_anchor_path(settings) -> Path | None:
    path = getattr(settings, "audit_anchor_path", None)
    return Path(path).expanduser() if path else None


def read_anchor_file(path: Path) -> list[str]:
    """The file's lines; INVALID_INPUT (field `anchors`) if it cannot be read or is too large.
    Undecodable bytes stay in their line, which then fails as a bad anchor (reported)."""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_ANCHOR_FILE + 1)
    except OSError as exc:
        raise invalid("anchors", f"cannot read {path}: {exc.strerror or exc}",
                      "errors.detail.cannot_read", path=str(path)) from None
    if len(data) > MAX_ANCHOR_FILE:
        raise invalid("anchors", f"{path} is larger than {MAX_ANCHOR_FILE // 2**20} MiB: not "
                                 "an anchor file")
    return data.decode("utf-8", errors="replace").splitlines()


def append_anchor(path: Path, line: str) -> None:
    """Append one line and make it durable (fsync) before returning."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise invalid("out", f"cannot append to {path}: {exc.strerror or exc}",
                      "errors.detail.cannot_write", path=str(path)) from None
