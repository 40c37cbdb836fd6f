"""Where the settings come from, validated: the pydantic model behind `load_settings`.

Each value comes from, in order: an explicit argument (the CLI's --db), the environment
(`STAFF_CONSOLE_*` only), `config.toml` in the data directory, the default. A bad value, an
unknown key in config.toml or an unreadable config.toml is refused with INVALID_SETTING naming
the setting (exit 2): a terminal never runs on a setting it misread. A setting that is store
policy (the idle lock, the request deadline, the checker flags) is refused the same way.

Imported only when settings are loaded (settings.py `load_settings`), never by the app's
modules: pydantic takes ~0.05 s to import, a fifth of the sign-in screen's first frame
(benchmarks/bench_ui.py). The sources are read here (`_sources`), not by pydantic-settings:
see SettingsModel.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .domain.errors import ConsoleError
from .settings import (
    ARGON2_MAX_MEMORY_KIB,
    ARGON2_MAX_TIME_COST,
    ARGON2_MIN_MEMORY_KIB,
    ARGON2_MIN_WORK_KIB,
    ENV_PREFIX,
    default_home,
)

KEYMAP_ID = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")


# Settings that were a terminal's before policy moved into the store: their names (as an
# environment variable or a config.toml key) are refused with INVALID_SETTING.
POLICY_SETTINGS = {
    ENV_PREFIX + "IDLE_MINUTES": "the idle lock", "idle_lock_minutes": "the idle lock",
    ENV_PREFIX + "REQUEST_EXPIRY_DAYS": "the request deadline",
    "request_expiry_days": "the request deadline",
    "expiring_within_days": "the expiring-soon window",
    "checker_required": "which actions need a checker",
}


def _env(name: str) -> Any:
    """The environment variable a field answers to (config.toml uses the field's own name)."""
    return AliasChoices(ENV_PREFIX + name)


class SettingsModel(BaseModel):
    """The settings' one model. Its values come from `_sources` (no pydantic-settings: its
    import, ~0.05 s with the asyncio, argparse and dotenv it loads, was a sixth of a CLI
    command's start; the three sources it ran for us are ours anyway). `validate_default` as
    pydantic-settings had it."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True,
                              validate_default=True)

    home: Path = Field(default_factory=lambda: default_home())
    db_url: str = Field("", validation_alias=_env("DB"))
    language: Literal["ko", "en"] = Field("ko", validation_alias=_env("LANG"))
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias=_env("LOG_LEVEL"))
    key_text: str | None = Field(None, repr=False, validation_alias=_env("KEY"))
    audit_anchor_path: Path | None = Field(
        None, validation_alias=_env("AUDIT_ANCHOR_PATH"))
    argon2_time_cost: int = Field(3, ge=1, le=ARGON2_MAX_TIME_COST,
                                  validation_alias=_env("ARGON2_TIME_COST"))
    argon2_memory_kib: int = Field(65536, ge=ARGON2_MIN_MEMORY_KIB, le=ARGON2_MAX_MEMORY_KIB,
                                   validation_alias=_env("ARGON2_MEMORY_KIB"))
    server: str | None = Field(None, validation_alias=_env("SERVER"))
    server_ca_file: Path | None = Field(None, validation_alias=_env("SERVER_CA_FILE"))
    server_allow_http: bool = Field(False, validation_alias=_env("SERVER_ALLOW_HTTP"))
    # Binding id -> keys: a JSON object in STAFF_CONSOLE_KEYMAP, a [keymap] table in
    # config.toml (the environment's entries over config.toml's, id by id: pydantic-settings
    # merges a dict's sources). Its shape is checked here; the ids and clashes against the screens' bindings
    # when the app starts (screens/keys.py `check_keymap`: this module imports no UI).
    keymap: dict[str, str] = Field(default_factory=dict, validation_alias=_env("KEYMAP"))

    @field_validator("keymap")
    @classmethod
    def _keymap_shape(cls, value: dict[str, str]) -> dict[str, str]:
        for binding_id, keys in value.items():
            if not KEYMAP_ID.fullmatch(binding_id):
                raise ValueError(f"{binding_id!r} is not a binding id (e.g. approvals.approve)")
            if not keys.strip() or len(keys) > 64 or not keys.isprintable():
                raise ValueError(f"{binding_id}: {keys!r} is not a list of keys (e.g. p or "
                                 "p,f9)")
        if len(value) > 200:
            raise ValueError("more entries than the console has bindings")
        return value

    @model_validator(mode="before")
    @classmethod
    def _no_policy(cls, values: Any) -> Any:
        """A rule is the store's (DOMAIN.md section 8): a terminal that tries to set one is told
        so, loudly, instead of being ignored or, worse, obeyed."""
        if isinstance(values, dict):
            for name in values:
                if name in POLICY_SETTINGS:
                    raise ConsoleError(
                        "INVALID_SETTING", f"{name}: {POLICY_SETTINGS[name]} is store policy, "
                        "not a terminal setting; an admin changes it with `staff-console "
                        "policy set`", field=name)
        return values

    @model_validator(mode="after")
    def _complete(self) -> SettingsModel:
        if self.argon2_memory_kib * self.argon2_time_cost < ARGON2_MIN_WORK_KIB:
            raise ValueError(
                f"{ENV_PREFIX}ARGON2_MEMORY_KIB x {ENV_PREFIX}ARGON2_TIME_COST must be at least "
                f"{ARGON2_MIN_WORK_KIB} KiB (e.g. 19456 x 2), below that a stolen hash is cheap "
                f"to crack; got {self.argon2_memory_kib} x {self.argon2_time_cost}")
        if not self.db_url:
            object.__setattr__(self, "db_url", f"sqlite:///{self.home / 'staff_console.sqlite3'}")
        if self.server:
            try:
                url = _server_url(self.server, self.server_allow_http)
            except ValueError as exc:
                name = _setting_name(("server",))
                raise ConsoleError("INVALID_SETTING", f"{name}: {exc}", field=name) from None
            object.__setattr__(self, "server", url)
        return self



LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _server_url(url: str, allow_http: bool) -> str:
    """The console server's URL: https://, or http:// to this very machine (the loopback) or in
    a lab that says so (STAFF_CONSOLE_SERVER_ALLOW_HTTP): a password and a session token never
    cross a network in clear text by accident."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("must be an https:// URL of the console server, e.g. "
                         "https://console.example:8443")
    if parts.scheme == "http" and not allow_http and not (
            parts.hostname in LOOPBACK_HOSTS or parts.hostname.startswith("127.")):
        raise ValueError("http:// only to this machine (127.0.0.1, localhost); use https:// "
                         "(or, in a lab, STAFF_CONSOLE_SERVER_ALLOW_HTTP=1)")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("must be scheme://host[:port][/path], without user, query or fragment")
    return url.strip().rstrip("/")


def _env_name(field_name: str) -> str:
    """The key a source gives for a field: its environment variable where it has one, so that
    the sources override each other key by key."""
    field = SettingsModel.model_fields.get(field_name)
    alias = field.validation_alias if field is not None else None
    return str(alias.choices[0]) if isinstance(alias, AliasChoices) else field_name


# A field whose environment variable holds JSON (a mapping), as pydantic-settings decoded
# its "complex" fields; every other variable is handed to the model as text.
_JSON_FIELDS = ("keymap",)


def _environment() -> dict[str, Any]:
    """`STAFF_CONSOLE_*` variables only (never a variable spelled like a field's own name),
    keyed by the variable's name; the policy names too (refused by `_no_policy`)."""
    values: dict[str, Any] = {}
    for name, field in SettingsModel.model_fields.items():
        alias = field.validation_alias
        if not isinstance(alias, AliasChoices):
            continue  # `home`: STAFF_CONSOLE_HOME is read by its default (default_home)
        variable = str(alias.choices[0])
        value = os.environ.get(variable)
        if value is None:
            continue
        if name in _JSON_FIELDS:
            try:
                value = json.loads(value)
            except ValueError:
                setting = _setting_name((name,))
                raise ConsoleError("INVALID_SETTING", f"{setting}: cannot be read (a JSON "
                                   'object is expected, e.g. {"approvals.approve": "p"})',
                                   field=setting) from None
        values[variable] = value
    # Not fields: refused by `_no_policy`.
    values.update({name: os.environ[name] for name in POLICY_SETTINGS
                   if name.startswith(ENV_PREFIX) and os.environ.get(name)})
    return values


def _config_toml(path: Path) -> dict[str, Any]:
    """`<home>/config.toml`: its keys are the fields' config names (db_url, language, ...)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConsoleError("INVALID_SETTING", f"{path}: cannot be read ({exc})",
                           field="config.toml") from None
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConsoleError("INVALID_SETTING", f"{path}: not valid TOML ({exc})",
                           field="config.toml") from None
    if "home" in values:
        raise ConsoleError("INVALID_SETTING", "home: cannot be set in config.toml (it is "
                           "where config.toml lives; use STAFF_CONSOLE_HOME)", field="home")
    return {_env_name(key): value for key, value in values.items()}


def _merged(high: dict[str, Any], low: dict[str, Any]) -> dict[str, Any]:
    """`low` updated by `high`, mappings merged key by key (a keymap's entries from the
    environment over config.toml's, id by id), as pydantic-settings merged its sources."""
    out = dict(low)
    for key, value in high.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(value, out[key])
        else:
            out[key] = value
    return out


def _sources(given: dict[str, Any]) -> dict[str, Any]:
    """Every source's values, the first over the next: explicit, environment, config.toml
    (read in the home the explicit values or the environment name)."""
    home = given.get("home") or default_home()
    values: dict[str, Any] = {}
    for source in (given, _environment(), _config_toml(Path(home) / "config.toml")):
        values = _merged(values, source)
    return values


def _setting_name(loc: tuple) -> str:
    """The name a person set: the environment variable (and the config.toml key)."""
    if not loc:  # a rule over several settings: its message names them
        return "settings"
    key = str(loc[0])
    for name, field in SettingsModel.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices) and key in (name, *alias.choices):
            return f"{alias.choices[0]} (config.toml: {name})"
    return key


def validated(explicit: dict[str, Any]) -> dict[str, Any]:
    """The settings' values from every source, validated; INVALID_SETTING naming the first
    bad one. `explicit`: field name -> value (the CLI's flags, a chosen home)."""
    given = {(_env_name(k) if k != "home" else k): v for k, v in explicit.items()}
    try:
        return SettingsModel(**_sources(given)).model_dump()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = _setting_name(tuple(first.get("loc") or ()))
        message = first.get("msg", "invalid").removeprefix("Value error, ")
        if first.get("type") == "extra_forbidden":
            message = "unknown setting"
        raise ConsoleError("INVALID_SETTING", f"{name}: {message}", field=name) from None
