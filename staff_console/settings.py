"""Settings: where the data lives, which database, the keys, the language, the lock timer.

Resolution order for each value: explicit argument, environment variable, `config.toml` in the
data directory, default. The data directory is the user's data dir (platformdirs) unless
`STAFF_CONSOLE_HOME` says otherwise. The master key comes from `STAFF_CONSOLE_KEY` (urlsafe
base64 of 32 bytes) or from the key file `<home>/master.key`, created on first use with mode 0600.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "staff-console"


@dataclass(frozen=True)
class Settings:
    home: Path
    db_url: str
    language: str = "ko"
    idle_lock_minutes: float = 10.0
    request_expiry_days: int = 7
    expiring_within_days: int = 30
    key_text: str | None = None
    # argon2 cost; tests and demo use cheaper parameters via the environment.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    checker_required: dict[str, bool] = field(
        default_factory=lambda: {"registration": True, "revocation": True}
    )

    @property
    def key_file(self) -> Path:
        return self.home / "master.key"

    def master_key(self) -> bytes:
        """The 32-byte master key; creates the key file (0600) on first use."""
        from .store.keyring import decode_key, encode_key, new_master_key

        if self.key_text:
            return decode_key(self.key_text)
        if self.key_file.exists():
            return decode_key(self.key_file.read_text())
        self.home.mkdir(parents=True, exist_ok=True)
        key = new_master_key()
        # O_EXCL: two first runs at once must not both write a different key.
        try:
            fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return decode_key(self.key_file.read_text())
        with os.fdopen(fd, "w") as handle:
            handle.write(encode_key(key) + "\n")
        return key


def default_home() -> Path:
    return Path(os.environ.get("STAFF_CONSOLE_HOME") or user_data_dir(APP_NAME))


def load_settings(*, db_url: str | None = None, home: Path | None = None) -> Settings:
    home = home or default_home()
    config: dict = {}
    config_file = home / "config.toml"
    if config_file.exists():
        config = tomllib.loads(config_file.read_text(encoding="utf-8"))
    env = os.environ

    def pick(name: str, env_name: str, default):
        if env_name in env and env[env_name] != "":
            return type(default)(env[env_name]) if default is not None else env[env_name]
        return config.get(name, default)

    url = db_url or env.get("STAFF_CONSOLE_DB") or config.get("db_url")
    if not url:
        url = f"sqlite:///{home / 'staff_console.sqlite3'}"
    checker = {"registration": True, "revocation": True}
    checker.update(config.get("checker_required", {}))
    return Settings(
        home=home,
        db_url=url,
        language=pick("language", "STAFF_CONSOLE_LANG", "ko"),
        idle_lock_minutes=pick("idle_lock_minutes", "STAFF_CONSOLE_IDLE_MINUTES", 10.0),
        request_expiry_days=pick("request_expiry_days", "STAFF_CONSOLE_REQUEST_EXPIRY_DAYS", 7),
        expiring_within_days=config.get("expiring_within_days", 30),
        key_text=env.get("STAFF_CONSOLE_KEY") or config.get("key"),
        argon2_time_cost=pick("argon2_time_cost", "STAFF_CONSOLE_ARGON2_TIME_COST", 3),
        argon2_memory_kib=pick("argon2_memory_kib", "STAFF_CONSOLE_ARGON2_MEMORY_KIB", 65536),
        checker_required=checker,
    )
