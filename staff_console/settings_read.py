"""Where the settings come from, and the values that need no model to be sure of.

The sources (settings_sources.py's model reads them from here): an explicit argument (the
CLI's --db), then the environment (`STAFF_CONSOLE_*` only), then `config.toml` in the data
directory, mappings merged key by key. `quick` answers, without pydantic (its import and its
schema machinery, ~0.09 s, were a quarter of a CLI command's start), the settings a terminal
usually has: every value plainly valid (text where text is expected, a language or level the
model lists, an argon2 cost in plain digits within its bounds, a server URL the rule accepts).
Anything else, a refusal above all, is the model's to answer (settings_sources.py `checked`):
`quick` returns None and the model decides, with its messages. `quick` never accepts what the
model would refuse, and gives what the model gives (tests/test_settings_quick.py compares the
two).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .domain.documents import Unreadable, read_json, read_toml
from .domain.errors import ConsoleError
from .settings import (
    ARGON2_MIN_WORK_KIB,
    ENV_PREFIX,
    SETTING_BOUNDS,
    SETTING_CHOICES,
    default,
    default_home,
)

# Each field's environment variable (config.toml uses the field's own name); `home` has none
# here: STAFF_CONSOLE_HOME is read by its default (settings.py `default_home`). The model's
# aliases are these (settings_sources.py).
ENV_VARIABLES: dict[str, str] = {
    "db_url": ENV_PREFIX + "DB",
    "language": ENV_PREFIX + "LANG",
    "log_level": ENV_PREFIX + "LOG_LEVEL",
    "key_text": ENV_PREFIX + "KEY",
    "audit_anchor_path": ENV_PREFIX + "AUDIT_ANCHOR_PATH",
    "argon2_time_cost": ENV_PREFIX + "ARGON2_TIME_COST",
    "argon2_memory_kib": ENV_PREFIX + "ARGON2_MEMORY_KIB",
    "server": ENV_PREFIX + "SERVER",
    "server_ca_file": ENV_PREFIX + "SERVER_CA_FILE",
    "server_allow_http": ENV_PREFIX + "SERVER_ALLOW_HTTP",
    "keymap": ENV_PREFIX + "KEYMAP",
}
FIELDS = ("home", *ENV_VARIABLES)  # the model's fields, in its order

# Settings that were a terminal's before policy moved into the store: their names (as an
# environment variable or a config.toml key) are refused with INVALID_SETTING.
POLICY_SETTINGS = {
    ENV_PREFIX + "IDLE_MINUTES": "the idle lock", "idle_lock_minutes": "the idle lock",
    ENV_PREFIX + "REQUEST_EXPIRY_DAYS": "the request deadline",
    "request_expiry_days": "the request deadline",
    "expiring_within_days": "the expiring-soon window",
    "checker_required": "which actions need a checker",
}

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def server_url(url: str, allow_http: bool) -> str:
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


# The stores this program runs on: a SQLite file (embedded) or PostgreSQL through psycopg
# (central). Any other URL is refused as a setting, before a driver is looked for.
STORE_SCHEMES = ("sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg")


def store_url(url: str) -> str:
    """The store's URL, if its scheme is one of STORE_SCHEMES; ValueError otherwise."""
    scheme, separator, _rest = url.partition("://")
    if not separator or scheme not in STORE_SCHEMES:  # as SQLAlchemy reads it: lower case
        raise ValueError("must be a SQLite file (sqlite:///path) or a PostgreSQL database "
                         "(postgresql+psycopg://user@host/db)")
    return url


def env_name(field_name: str) -> str:
    """The key a source gives for a field: its environment variable where it has one, so that
    the sources override each other key by key."""
    return ENV_VARIABLES.get(field_name, field_name)


def setting_name(loc: tuple) -> str:
    """The name a person set: the environment variable (and the config.toml key)."""
    if not loc:  # a rule over several settings: its message names them
        return "settings"
    key = str(loc[0])
    for name, variable in ENV_VARIABLES.items():
        if key in (name, variable):
            return f"{variable} (config.toml: {name})"
    return key


# A field whose environment variable holds JSON (a mapping), as pydantic-settings decoded
# its "complex" fields; every other variable is handed to the model as text.
_JSON_FIELDS = ("keymap",)


def environment() -> dict[str, Any]:
    """`STAFF_CONSOLE_*` variables only (never a variable spelled like a field's own name),
    keyed by the variable's name; the policy names too (refused by the model)."""
    values: dict[str, Any] = {}
    for name, variable in ENV_VARIABLES.items():
        value = os.environ.get(variable)
        if value is None:
            continue
        if name in _JSON_FIELDS:
            try:
                value = read_json(value)
            except Unreadable:
                setting = setting_name((name,))
                raise ConsoleError("INVALID_SETTING", f"{setting}: cannot be read (a JSON "
                                   'object is expected, e.g. {"approvals.approve": "p"})',
                                   field=setting) from None
        values[variable] = value
    # Not fields: refused by the model.
    values.update({name: os.environ[name] for name in POLICY_SETTINGS
                   if name.startswith(ENV_PREFIX) and os.environ.get(name)})
    return values


def config_toml(path: Path) -> dict[str, Any]:
    """`<home>/config.toml`: its keys are the fields' config names (db_url, language, ...)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConsoleError("INVALID_SETTING", f"{path}: cannot be read ({exc})",
                           field="config.toml") from None
    try:
        values = read_toml(text)
    except Unreadable as exc:
        raise ConsoleError("INVALID_SETTING", f"{path}: not valid TOML ({exc})",
                           field="config.toml") from None
    if "home" in values:
        raise ConsoleError("INVALID_SETTING", "home: cannot be set in config.toml (it is "
                           "where config.toml lives; use STAFF_CONSOLE_HOME)", field="home")
    return {env_name(key): value for key, value in values.items()}


def merged(high: dict[str, Any], low: dict[str, Any]) -> dict[str, Any]:
    """`low` updated by `high`, mappings merged key by key (a keymap's entries from the
    environment over config.toml's, id by id), as pydantic-settings merged its sources."""
    out = dict(low)
    for key, value in high.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(value, out[key])
        else:
            out[key] = value
    return out


def sources(given: dict[str, Any]) -> dict[str, Any]:
    """Every source's values, the first over the next: explicit, environment, config.toml
    (read in the home the explicit values or the environment name). `given`: keyed as the
    sources key them (`given_keys`)."""
    home = given.get("home") or default_home()
    values: dict[str, Any] = {}
    for source in (given, environment(), config_toml(Path(home) / "config.toml")):
        values = merged(values, source)
    return values


def given_keys(explicit: dict[str, Any]) -> dict[str, Any]:
    """field name -> value (the CLI's flags, a chosen home), keyed as the sources key them."""
    return {(env_name(k) if k != "home" else k): v for k, v in explicit.items()}


# -- the values that need no model ----------------------------------------------------------
_DIGITS = re.compile(r"[1-9][0-9]{0,8}\Z")  # ASCII, no sign, no padding, no separators
_FLAGS = {"0": False, "1": True, "false": False, "true": True}


class _Unsure(Exception):
    """A value the model must judge."""


def _text(value: Any) -> str:
    if type(value) is not str:
        raise _Unsure
    try:
        value.encode("utf-8")  # a lone surrogate: the model's to judge
    except UnicodeEncodeError:
        raise _Unsure from None
    return value


def _path(value: Any) -> Path:
    if isinstance(value, Path):
        return value
    if not _text(value):
        raise _Unsure
    return Path(value)


def _number(value: Any, name: str) -> int:
    low, high = SETTING_BOUNDS[name]
    if type(value) is int:
        number = value
    elif _DIGITS.match(_text(value)):
        number = int(value)
    else:
        raise _Unsure
    if not low <= number <= high:
        raise _Unsure
    return number


def _one_of(value: Any, name: str) -> str:
    if _text(value) not in SETTING_CHOICES[name]:
        raise _Unsure
    return value


def quick(values: dict[str, Any]) -> dict[str, Any] | None:
    """The validated settings (as the model would dump them) when every value in `values` (the
    merged sources) is plainly valid; None when the model must judge."""
    known = {ENV_VARIABLES[name]: name for name in ENV_VARIABLES}
    if any(key != "home" and key not in known for key in values):
        return None  # an unknown key or a policy name: the model refuses it, its way
    got = {known.get(key, key): value for key, value in values.items()}
    try:
        out: dict[str, Any] = {
            "home": _path(got["home"]) if "home" in got else _path(default_home()),
            "db_url": _text(got.get("db_url", default("db_url"))),
            "language": _one_of(got.get("language", default("language")), "language"),
            "log_level": _one_of(got.get("log_level", default("log_level")), "log_level"),
            "key_text": None if got.get("key_text") is None else _text(got["key_text"]),
            "audit_anchor_path": (None if got.get("audit_anchor_path") is None
                                  else _path(got["audit_anchor_path"])),
            "argon2_time_cost": _number(got.get("argon2_time_cost",
                                                default("argon2_time_cost")),
                                        "argon2_time_cost"),
            "argon2_memory_kib": _number(got.get("argon2_memory_kib",
                                                 default("argon2_memory_kib")),
                                         "argon2_memory_kib"),
            "server": None if got.get("server") is None else _text(got["server"]),
            "server_ca_file": (None if got.get("server_ca_file") is None
                               else _path(got["server_ca_file"])),
            "server_allow_http": False,
            "keymap": {},
        }
        allow_http = got.get("server_allow_http", default("server_allow_http"))
        if type(allow_http) is not bool:
            allow_http = _FLAGS.get(_text(allow_http))
            if allow_http is None:
                raise _Unsure
        out["server_allow_http"] = allow_http
        keymap = got.get("keymap", {})
        if keymap != {} or type(keymap) is not dict:
            raise _Unsure  # a keymap's entries: the model checks their shape
        if out["argon2_memory_kib"] * out["argon2_time_cost"] < ARGON2_MIN_WORK_KIB:
            raise _Unsure
        if not out["db_url"]:
            out["db_url"] = f"sqlite:///{out['home'] / 'staff_console.sqlite3'}"
        try:
            store_url(out["db_url"])
        except ValueError:
            raise _Unsure from None
        if out["server"]:
            try:
                out["server"] = server_url(out["server"], allow_http)
            except ValueError:
                raise _Unsure from None
    except _Unsure:
        return None
    return out
