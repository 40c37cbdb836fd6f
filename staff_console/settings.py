"""Settings: where the data lives, which database, the key, the language, the log.

`load_settings` reads and validates them (settings_sources.py: one pydantic-settings model;
explicit flags, then `STAFF_CONSOLE_*` variables, then `<data dir>/config.toml`, then defaults);
a bad value, an unknown config.toml key or an unreadable file is INVALID_SETTING naming the
setting (exit 2). `Settings` is the plain record the rest of the program reads; this module
stays light to import (the app's first frame), the validation is loaded only with the values.

What a terminal's settings may NOT carry is a rule: policy (which actions need a checker, the
request deadline, the idle lock) belongs to the store (DOMAIN.md section 8).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

APP_NAME = "staff-console"


def default_home() -> Path:
    return Path(os.environ.get("STAFF_CONSOLE_HOME") or user_data_dir(APP_NAME))


@dataclass(frozen=True)
class Settings:
    """The values (validated by `load_settings`; built directly only by tests and benchmarks).
    The fields and their defaults are settings_sources.SettingsModel's."""

    home: Path = field(default_factory=default_home)
    db_url: str = ""
    language: str = "ko"
    log_level: str = "INFO"
    key_text: str | None = field(default=None, repr=False)
    audit_anchor_path: Path | None = None
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    # Client mode: the console server this terminal talks to (https://...), the CA file that
    # vouches for its certificate (None: the system's store), and the lab's plain-http switch.
    server: str | None = None
    server_ca_file: Path | None = None
    server_allow_http: bool = False
    # The app's keys moved by the person: binding id -> keys (`{"approvals.approve": "p"}`);
    # checked against the screens' bindings when the app starts (screens/keys.py).
    keymap: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.db_url:
            object.__setattr__(self, "db_url",
                               f"sqlite:///{Path(self.home) / 'staff_console.sqlite3'}")

    @property
    def key_file(self) -> Path:
        """Where the key is kept unless `key_text` gives it (read and checked against the store
        only by services/store_identity.py `load_key`)."""
        return self.home / "master.key"


def load_settings(*, db_url: str | None = None, home: Path | None = None,
                  server: str | None = None) -> Settings:
    """The validated settings; INVALID_SETTING (naming the setting) if any value is bad."""
    from .settings_sources import validated

    explicit: dict[str, Any] = {}
    if db_url:
        explicit["db_url"] = db_url
    if server:
        explicit["server"] = server
    if home is not None:
        explicit["home"] = home
    return Settings(**validated(explicit))
