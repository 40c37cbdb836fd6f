"""The settings' one model, the judge of every value `settings_read.quick` is not sure of.

`load_settings` reads the sources (settings_read.py: explicit flags, then `STAFF_CONSOLE_*`,
then config.toml) and takes the plainly valid settings as they are (`quick`); this model
validates the others, and refuses a bad value, an unknown config.toml key or a policy setting
with INVALID_SETTING naming the setting (exit 2): a terminal never runs on a setting it
misread. A setting that is store policy (the idle lock, the request deadline, the checker
flags) is refused the same way.

Imported only when settings need it, never by the app's modules: pydantic takes ~0.05 s to
import (and its schema machinery as much again), a fifth of the sign-in screen's first frame
(benchmarks/bench_ui.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .domain.errors import ConsoleError
from .settings import (
    ARGON2_MIN_WORK_KIB,
    ENV_PREFIX,
    SETTING_BOUNDS,
    SETTING_CHOICES,
    default,
    default_home,
)
from .settings_read import (
    ENV_VARIABLES,
    LOOPBACK_HOSTS,
    POLICY_SETTINGS,
    given_keys,
    setting_name,
    sources,
    store_url,
)
from .settings_read import (
    server_url as _server_url,
)

KEYMAP_ID = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")


def _env(name: str) -> Any:
    """The environment variable a field answers to (config.toml uses the field's own name)."""
    variable = ENV_PREFIX + name
    assert variable in ENV_VARIABLES.values()  # settings_read's table names every alias
    return AliasChoices(variable)


class SettingsModel(BaseModel):
    """The settings' one model. Its values come from `_sources` (no pydantic-settings: its
    import, ~0.05 s with the asyncio, argparse and dotenv it loads, was a sixth of a CLI
    command's start; the three sources it ran for us are ours anyway). `validate_default` as
    pydantic-settings had it."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True,
                              validate_default=True)

    # The defaults, choices and bounds are settings.py's (`default`, SETTING_CHOICES,
    # SETTING_BOUNDS), which settings_read.py `quick` reads too.
    home: Path = Field(default_factory=lambda: default_home())
    db_url: str = Field(default("db_url"), validation_alias=_env("DB"))
    language: str = Field(default("language"), validation_alias=_env("LANG"))
    log_level: str = Field(default("log_level"), validation_alias=_env("LOG_LEVEL"))
    key_text: str | None = Field(default("key_text"), repr=False, validation_alias=_env("KEY"))
    audit_anchor_path: Path | None = Field(
        default("audit_anchor_path"), validation_alias=_env("AUDIT_ANCHOR_PATH"))
    argon2_time_cost: int = Field(default("argon2_time_cost"),
                                  ge=SETTING_BOUNDS["argon2_time_cost"][0],
                                  le=SETTING_BOUNDS["argon2_time_cost"][1],
                                  validation_alias=_env("ARGON2_TIME_COST"))
    argon2_memory_kib: int = Field(default("argon2_memory_kib"),
                                   ge=SETTING_BOUNDS["argon2_memory_kib"][0],
                                   le=SETTING_BOUNDS["argon2_memory_kib"][1],
                                   validation_alias=_env("ARGON2_MEMORY_KIB"))
    server: str | None = Field(default("server"), validation_alias=_env("SERVER"))
    server_ca_file: Path | None = Field(default("server_ca_file"),
                                        validation_alias=_env("SERVER_CA_FILE"))
    server_allow_http: bool = Field(default("server_allow_http"),
                                    validation_alias=_env("SERVER_ALLOW_HTTP"))
    # Binding id -> keys: a JSON object in STAFF_CONSOLE_KEYMAP, a [keymap] table in
    # config.toml (the environment's entries over config.toml's, id by id: pydantic-settings
    # merges a dict's sources). Its shape is checked here; the ids and clashes against the screens' bindings
    # when the app starts (screens/keys.py `check_keymap`: this module imports no UI).
    keymap: dict[str, str] = Field(default_factory=dict, validation_alias=_env("KEYMAP"))

    @field_validator("language", "log_level")
    @classmethod
    def _one_of_the_choices(cls, value: str, info: ValidationInfo) -> str:
        choices = SETTING_CHOICES[str(info.field_name)]
        if value not in choices:
            raise ValueError("must be one of " + ", ".join(repr(c) for c in choices))
        return value

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
        try:
            store_url(self.db_url)
        except ValueError as exc:
            name = _setting_name(("db_url",))
            raise ConsoleError("INVALID_SETTING", f"{name}: {exc}", field=name) from None
        if self.server:
            try:
                url = _server_url(self.server, self.server_allow_http)
            except ValueError as exc:
                name = _setting_name(("server",))
                raise ConsoleError("INVALID_SETTING", f"{name}: {exc}", field=name) from None
            object.__setattr__(self, "server", url)
        return self




_setting_name = setting_name
__all__ = ["LOOPBACK_HOSTS", "POLICY_SETTINGS", "SettingsModel", "checked", "validated",
           "_server_url"]


def validated(explicit: dict[str, Any]) -> dict[str, Any]:
    """The settings' values from every source, validated by the model; INVALID_SETTING naming
    the first bad one. `explicit`: field name -> value (the CLI's flags, a chosen home)."""
    return checked(sources(given_keys(explicit)))


def checked(values: dict[str, Any]) -> dict[str, Any]:
    """`values` (the merged sources, settings_read.py `sources`) validated by the model."""
    try:
        return SettingsModel(**values).model_dump()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = _setting_name(tuple(first.get("loc") or ()))
        message = first.get("msg", "invalid").removeprefix("Value error, ")
        if first.get("type") == "extra_forbidden":
            message = "unknown setting"
        raise ConsoleError("INVALID_SETTING", f"{name}: {message}", field=name) from None
