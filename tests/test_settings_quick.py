"""The settings a terminal usually has are taken without pydantic (settings_read.py `quick`):
never a value the model (settings_sources.py) would refuse, always the values it would give;
anything `quick` is not sure of, every refusal above all, is the model's to answer."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from staff_console.domain.errors import ConsoleError
from staff_console.settings import load_settings
from staff_console.settings_read import ENV_VARIABLES, FIELDS, quick
from staff_console.settings_sources import POLICY_SETTINGS, SettingsModel, checked

P = "STAFF_CONSOLE_"
CANDIDATES: dict[str, list] = {
    P + "DB": ["", "sqlite:///x.db", "postgresql+psycopg://u:p@h/db", " ", 5, None, "\udcff",
               "mysql://u@h/db", "not a url", "SQLITE:///x.db", "postgresql+psycopg2://h/db"],
    P + "LANG": ["ko", "en", "KO", "fr", "", " en", 1, None],
    P + "LOG_LEVEL": ["INFO", "DEBUG", "WARNING", "ERROR", "info", "CHATTY", ""],
    P + "KEY": ["k" * 44, "", None, 7],
    P + "AUDIT_ANCHOR_PATH": ["/tmp/anchor", "", "rel/anchor", Path("/p"), None, 3],
    P + "ARGON2_TIME_COST": ["1", "3", "5", "20", "21", "0", "-1", "+3", " 3", "3 ", "03",
                             "3.0", "1_0", "abc", "٣", 3, 5, 21, True, 3.0, None],
    P + "ARGON2_MEMORY_KIB": ["7168", "65536", "1048576", "1048577", "7167", "65_536",
                              "065536", str(2**40), 65536, 7168, 2**40, None],
    P + "SERVER": ["https://c.example:8443", "http://127.0.0.1:8000", "http://localhost/",
                   "http://10.0.0.5:80", "ftp://x", "https://u:p@x", "https://x/?q=1", "",
                   " https://x/ ", None, 1],
    P + "SERVER_CA_FILE": ["/etc/ca.pem", "", None, Path("/ca")],
    P + "SERVER_ALLOW_HTTP": ["1", "0", "true", "false", "True", "yes", "on", "2", "", True,
                              False, 1, None],
    P + "KEYMAP": [{}, {"approvals.approve": "p"}, {"bad": "p"}, [], "x", None],
    "home": [Path("/tmp/h"), "/tmp/h2", "", None],
}


def _model(values: dict):
    try:
        return ("ok", checked(values))
    except ConsoleError as exc:
        return ("refused", exc.message)


def _same(values: dict) -> bool:
    values = {k: v for k, v in values.items() if v is not None}
    answer = quick(values)
    if answer is not None:
        assert _model(values) == ("ok", answer), values
    return answer is not None


def test_the_table_of_variables_is_the_models():
    assert tuple(SettingsModel.model_fields) == FIELDS
    for name, field in SettingsModel.model_fields.items():
        if name != "home":
            assert field.validation_alias.choices == [ENV_VARIABLES[name]]


@pytest.mark.parametrize("key", sorted(CANDIDATES))
def test_one_setting_at_a_time(key, monkeypatch, tmp_path):
    monkeypatch.setenv("STAFF_CONSOLE_HOME", str(tmp_path))
    taken = sum(_same({key: value}) for value in CANDIDATES[key])
    assert taken >= 1  # the plain values are taken without the model


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({}, optional={key: st.sampled_from(values)
                                           for key, values in CANDIDATES.items()}))
def test_any_mix_of_settings(values):
    _same(values)


def test_a_policy_name_or_an_unknown_key_is_the_models():
    for name in POLICY_SETTINGS:
        assert quick({name: "5"}) is None
    assert quick({"colour": "blue"}) is None
    assert quick({"STAFF_CONSOLE_HOME": "/x"}) is None


def test_plain_settings_load_without_pydantic(tmp_path, monkeypatch):
    import os
    import subprocess

    for name in [n for n in os.environ if n.startswith(P)]:
        monkeypatch.delenv(name)

    probe = ("import sys; from staff_console.settings import load_settings; s = load_settings(); "
             "print(s.language, s.argon2_time_cost, s.server, 'pydantic' in sys.modules)")
    env = {"STAFF_CONSOLE_HOME": str(tmp_path), "STAFF_CONSOLE_LANG": "en",
           "STAFF_CONSOLE_ARGON2_TIME_COST": "4", "PATH": "/usr/bin:/bin",
           "STAFF_CONSOLE_SERVER": "http://127.0.0.1:8000/"}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["en", "4", "http://127.0.0.1:8000", "False"]
    (tmp_path / "config.toml").write_text('language = "fr"\n')
    with pytest.raises(ConsoleError) as info:  # refused by the model, with its words
        load_settings(home=tmp_path)
    assert info.value.code == "INVALID_SETTING" and "STAFF_CONSOLE_LANG" in info.value.message


def test_the_defaults_are_the_records_own(tmp_path):
    """With nothing set, `quick`, the model and the plain record (settings.py `Settings`,
    where the defaults are written once) give the same values."""
    from dataclasses import asdict

    from staff_console.settings import Settings

    nothing = {"home": tmp_path}
    assert quick(nothing) == checked(nothing) == asdict(Settings(home=tmp_path))
