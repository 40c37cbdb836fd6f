"""Settings (staff_console/settings.py): one validated model; every bad value is refused at
start with INVALID_SETTING naming the setting, and a terminal cannot set a rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from staff_console.domain.errors import ConsoleError
from staff_console.settings import (
    ARGON2_MAX_MEMORY_KIB,
    ARGON2_MIN_WORK_KIB,
    early_store_hint,
    load_settings,
)
from staff_console.settings_sources import POLICY_SETTINGS

FLOOR = {"STAFF_CONSOLE_ARGON2_TIME_COST": "5", "STAFF_CONSOLE_ARGON2_MEMORY_KIB": "7168"}


@pytest.fixture
def home(tmp_path, monkeypatch):
    for name in ("STAFF_CONSOLE_DB", "STAFF_CONSOLE_LANG", "STAFF_CONSOLE_KEY",
                 "STAFF_CONSOLE_LOG_LEVEL", "STAFF_CONSOLE_ARGON2_TIME_COST",
                 "STAFF_CONSOLE_ARGON2_MEMORY_KIB", *POLICY_SETTINGS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STAFF_CONSOLE_HOME", str(tmp_path))
    return tmp_path


def _refused(**kwargs) -> ConsoleError:
    with pytest.raises(ConsoleError) as info:
        load_settings(**kwargs)
    assert info.value.code == "INVALID_SETTING"
    assert info.value.exit_code == 2
    return info.value


def test_defaults(home):
    settings = load_settings()
    assert settings.home == home
    assert settings.db_url == f"sqlite:///{home / 'staff_console.sqlite3'}"
    assert (settings.language, settings.log_level) == ("ko", "INFO")
    assert settings.argon2_memory_kib * settings.argon2_time_cost >= ARGON2_MIN_WORK_KIB


def test_order_explicit_then_environment_then_file(home, monkeypatch):
    (home / "config.toml").write_text('db_url = "sqlite:///file"\nlanguage = "en"\n')
    assert load_settings().db_url == "sqlite:///file"
    monkeypatch.setenv("STAFF_CONSOLE_DB", "sqlite:///env")
    assert load_settings().db_url == "sqlite:///env"
    assert load_settings(db_url="sqlite:///flag").db_url == "sqlite:///flag"
    assert load_settings().language == "en"


@pytest.mark.parametrize(("name", "value", "named"), [
    ("STAFF_CONSOLE_LANG", "fr", "STAFF_CONSOLE_LANG"),
    ("STAFF_CONSOLE_LOG_LEVEL", "CHATTY", "STAFF_CONSOLE_LOG_LEVEL"),
    ("STAFF_CONSOLE_ARGON2_TIME_COST", "abc", "STAFF_CONSOLE_ARGON2_TIME_COST"),
    ("STAFF_CONSOLE_ARGON2_MEMORY_KIB", "-5", "STAFF_CONSOLE_ARGON2_MEMORY_KIB"),
    ("STAFF_CONSOLE_ARGON2_MEMORY_KIB", str(2**40), "STAFF_CONSOLE_ARGON2_MEMORY_KIB"),
])
def test_a_bad_environment_value_names_the_variable(home, monkeypatch, name, value, named):
    monkeypatch.setenv(name, value)
    assert named in _refused().message


def test_argon2_below_the_floor_is_refused(home, monkeypatch):
    monkeypatch.setenv("STAFF_CONSOLE_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("STAFF_CONSOLE_ARGON2_MEMORY_KIB", "8192")
    assert "ARGON2" in _refused().message
    for name, value in FLOOR.items():
        monkeypatch.setenv(name, value)
    assert load_settings().argon2_time_cost == 5


@pytest.mark.parametrize("name", sorted(POLICY_SETTINGS))
@pytest.mark.parametrize("value", ["abc", "-5", "0", "7502", "5"])
def test_a_rule_cannot_be_set_by_the_terminal(home, monkeypatch, name, value):
    """The idle lock, the deadline, the checker: store policy. Refused whatever the value."""
    if name.startswith("STAFF_CONSOLE_"):
        monkeypatch.setenv(name, value)
    else:
        (home / "config.toml").write_text(f"{name} = {value!r}\n")
    error = _refused()
    assert name in error.message and "policy" in error.message


def test_config_toml_unknown_key_bad_value_and_bad_syntax(home):
    (home / "config.toml").write_text("langauge = 'en'\n")
    assert "langauge" in _refused().message
    (home / "config.toml").write_text("language = 'fr'\n")
    assert "language" in _refused().message
    (home / "config.toml").write_text("language = \n")
    assert "config.toml" in _refused().message
    (home / "config.toml").write_bytes(b"\xff\xfe\x00")
    assert "config.toml" in _refused().message
    (home / "config.toml").write_text("home = '/'\n")
    assert "home" in _refused().message


def test_only_prefixed_variables_are_read(home, monkeypatch):
    """An environment variable spelled like a field (`db_url`, `language`) is not a setting."""
    monkeypatch.setenv("db_url", "sqlite:///evil")
    monkeypatch.setenv("language", "en")
    settings = load_settings()
    assert settings.db_url.endswith("staff_console.sqlite3") and settings.language == "ko"


def test_the_key_is_not_in_the_repr(home, monkeypatch):
    monkeypatch.setenv("STAFF_CONSOLE_KEY", "c2VjcmV0LWtleS1zZWNyZXQta2V5LXNlY3JldC1rZXk=")
    assert "c2VjcmV0" not in repr(load_settings())


@given(st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
               max_size=20))
def test_any_language_text_is_either_a_catalog_or_refused(text):
    import os
    from pathlib import Path

    os.environ["STAFF_CONSOLE_LANG"] = text
    try:
        language = load_settings(db_url="sqlite://", home=Path("/nonexistent/sc-home")).language
        assert language in ("ko", "en") and text == language
    except ConsoleError as exc:
        assert exc.code == "INVALID_SETTING"
    finally:
        del os.environ["STAFF_CONSOLE_LANG"]


@pytest.mark.parametrize(("time_cost", "memory_kib", "expected"), [
    ("2", "19456", (2, 19456)),                      # within bounds: as given
    ("1000000000", "65536", (3, 65536)),             # a cost no sign-in should wait for
    ("3", str(ARGON2_MAX_MEMORY_KIB * 1024), (3, 65536)),  # a terabyte
    ("0", "-5", (3, 65536)), ("three", "lots", (3, 65536)),
])
def test_the_early_hint_never_carries_an_unchecked_cost(monkeypatch, tmp_path, time_cost,
                                                         memory_kib, expected):
    """The CLI starts a verification from these values before the settings are validated: a
    value the validation would refuse gives the default, not a hung or exhausted terminal."""
    monkeypatch.setenv("STAFF_CONSOLE_HOME", str(tmp_path))
    monkeypatch.setenv("STAFF_CONSOLE_ARGON2_TIME_COST", time_cost)
    monkeypatch.setenv("STAFF_CONSOLE_ARGON2_MEMORY_KIB", memory_kib)
    assert early_store_hint()[1:] == expected


@pytest.mark.parametrize("text", [
    "log_level = " + "[" * 5000 + "]" * 5000,
    "log_level = " + "{a = " * 3000 + "1" + "}" * 3000,
], ids=["arrays", "tables"])
def test_a_config_file_nested_too_deep_is_refused(home, text):
    """Nested past Python's stack: refused as TOML that does not parse, never a crash (and the
    CLI's early read of the costs takes the defaults: the real load refuses)."""
    from staff_console.settings import early_store_hint

    (home / "config.toml").write_text(text, encoding="utf-8")
    assert "config.toml" in _refused().message
    assert early_store_hint()[1:] == (3, 65536)


def test_a_keymap_nested_too_deep_is_refused(home, monkeypatch):
    monkeypatch.setenv("STAFF_CONSOLE_KEYMAP", "[" * 50000)
    assert "STAFF_CONSOLE_KEYMAP" in _refused().message


@pytest.mark.parametrize("url", ["not a url", "mysql://u@h/db", "oracle+cx_oracle://a:b@h/x",
                                 "SQLITE:///x.db", "postgresql+psycopg2://u@h/db", " "])
def test_a_store_url_of_another_kind_is_refused(home, monkeypatch, url):
    """SQLite or PostgreSQL through psycopg: any other URL is a bad setting naming
    STAFF_CONSOLE_DB, before a driver is looked for (it was UNEXPECTED: no such module)."""
    monkeypatch.setenv("STAFF_CONSOLE_DB", url)
    assert "STAFF_CONSOLE_DB" in _refused().message
