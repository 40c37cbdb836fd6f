"""Settings: where the data lives, which database, the key, the language, the log.

`load_settings` reads and validates them (settings_read.py: explicit flags, then
`STAFF_CONSOLE_*` variables, then `<data dir>/config.toml`, then defaults; plainly valid values
taken as they are, any other judged by one pydantic model, settings_sources.py);
a bad value, an unknown config.toml key or an unreadable file is INVALID_SETTING naming the
setting (exit 2). `Settings` is the plain record the rest of the program reads; this module
stays light to import (the app's first frame), the validation is loaded only with the values.

What a terminal's settings may NOT carry is a rule: policy (which actions need a checker, the
request deadline, the idle lock) belongs to the store (DOMAIN.md section 8).
"""

from __future__ import annotations

import os
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from .domain.documents import read_toml
from .i18n import DEFAULT_LANGUAGE, LANGUAGES

APP_NAME = "staff-console"
ENV_PREFIX = "STAFF_CONSOLE_"

# argon2id cost floor: OWASP's Password Storage Cheat Sheet lists equivalent minimums from
# (m=47104 KiB, t=1) to (m=7168 KiB, t=5); all have memory x passes >= 35840 KiB.
ARGON2_MIN_MEMORY_KIB = 7168
ARGON2_MIN_WORK_KIB = 35840
ARGON2_MAX_MEMORY_KIB = 1_048_576  # 1 GiB: more would stall a branch PC at every sign-in
ARGON2_MIN_TIME_COST = 1
ARGON2_MAX_TIME_COST = 20

# The values a setting may take where they are a list (the languages are the catalogs').
SETTING_CHOICES: dict[str, tuple[str, ...]] = {
    "language": LANGUAGES,
    "log_level": ("DEBUG", "INFO", "WARNING", "ERROR"),
}
# The bounds of the numeric settings (each inclusive); their product has a floor too
# (ARGON2_MIN_WORK_KIB).
SETTING_BOUNDS: dict[str, tuple[int, int]] = {
    "argon2_time_cost": (ARGON2_MIN_TIME_COST, ARGON2_MAX_TIME_COST),
    "argon2_memory_kib": (ARGON2_MIN_MEMORY_KIB, ARGON2_MAX_MEMORY_KIB),
}


def default_home() -> Path:
    home = os.environ.get("STAFF_CONSOLE_HOME")
    if home:
        return Path(home)
    from platformdirs import user_data_dir  # only when it is needed

    return Path(user_data_dir(APP_NAME))


@dataclass(frozen=True)
class Settings:
    """The values (validated by `load_settings`; built directly only by tests and benchmarks).
    Its defaults are the settings' defaults, here only (`default`): the model
    (settings_sources.py) and settings_read.py `quick` read them from it."""

    home: Path = field(default_factory=default_home)
    db_url: str = ""
    language: str = DEFAULT_LANGUAGE
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


_DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(Settings)
                             if f.default is not MISSING}


def default(name: str) -> Any:
    """A setting's default (one with a plain value: every field but `home` and `keymap`,
    whose defaults are made afresh each time: `default_home()` and an empty mapping)."""
    return _DEFAULTS[name]


def early_store_hint(db_url: str | None = None) -> tuple[str, int, int]:
    """(db_url, argon2 time cost, argon2 memory KiB) as the settings will most likely say, read
    without validating anything (no pydantic): only for the CLI to start a sign-in's argon2
    verification before the settings are loaded (cli/__init__.py `main`). Nothing is decided
    on it: `load_settings` still validates (and refuses) every value, and the sign-in uses the
    early result only for the very hash and password it reads itself. Same precedence as
    `load_settings` (the flag, then STAFF_CONSOLE_*, then config.toml, then the default); a
    value it cannot read is the default here (the real load refuses it)."""
    env = os.environ
    home = default_home()
    config: dict[str, Any] = {}
    path = home / "config.toml"
    if path.is_file():
        try:
            config = read_toml(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # Unreadable is a ValueError
            config = {}

    def pick(name: str, key: str) -> Any:
        value = env.get(ENV_PREFIX + name)
        return value if value is not None else config.get(key)

    def number(name: str, key: str) -> int:
        # Outside the bounds the real load refuses: the default, never an unchecked cost.
        low, high = SETTING_BOUNDS[key]
        try:
            value = int(pick(name, key))
        except (TypeError, ValueError):
            return default(key)
        return value if low <= value <= high else default(key)

    url = db_url or pick("DB", "db_url")
    url = url if isinstance(url, str) and url else f"sqlite:///{home / 'staff_console.sqlite3'}"
    return (url, number("ARGON2_TIME_COST", "argon2_time_cost"),
            number("ARGON2_MEMORY_KIB", "argon2_memory_kib"))


def load_settings(*, db_url: str | None = None, home: Path | None = None,
                  server: str | None = None) -> Settings:
    """The validated settings; INVALID_SETTING (naming the setting) if any value is bad.
    Plainly valid values are taken as they are (settings_read.py `quick`, no pydantic); the
    model (settings_sources.py) judges any other, and answers every refusal."""
    from .settings_read import given_keys, quick, sources

    explicit: dict[str, Any] = {}
    if db_url:
        explicit["db_url"] = db_url
    if server:
        explicit["server"] = server
    if home is not None:
        explicit["home"] = home
    values = sources(given_keys(explicit))
    answer = quick(values)
    if answer is None:
        from .settings_sources import checked

        answer = checked(values)
    return Settings(**answer)
