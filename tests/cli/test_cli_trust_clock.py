"""The hostile `--now` cases of issue 12, through the CLI: on a real store (built on the real
clock) each is CLOCK_FIXED_REFUSED (exit 4) and changes nothing; on a training store the same
fixed clock is taken. Also the key: a missing or wrong key is KEY_MISMATCH with no file made."""

from __future__ import annotations

import shutil
import sqlite3
import sys
import types
from datetime import datetime, timedelta

import pytest
from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template
from cli_support import NOW, Cli, build_world

from staff_console.domain.clock import SEOUL, parse_instant
from staff_console.store.keyring import encode_key

FAR = "2999-12-31T23:00:00+09:00"  # the last hour a date option accepts


def iso(instant: datetime) -> str:
    return instant.astimezone(SEOUL).isoformat(timespec="seconds")


@pytest.fixture(scope="session")
def real_template(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli_real")
    cli = Cli(root)
    cli.env["STAFF_CONSOLE_NOW"] = None
    build_world(cli, training=False)
    return root


@pytest.fixture
def real_cli(tmp_path, real_template) -> Cli:
    root = tmp_path / "real"
    shutil.copytree(real_template, root)
    cli = Cli(root)
    cli.env["STAFF_CONSOLE_NOW"] = None  # a real store runs on the real clock
    return cli


def rows(cli: Cli) -> dict[str, list]:
    """Every row of every table: equal before and after means nothing was written."""
    with sqlite3.connect(cli.db_path) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"'))) for t in tables}


def refused_on_real_store(cli: Cli, now: str, *args):
    before = rows(cli)
    cli.fail(4, "CLOCK_FIXED_REFUSED", "--now", now, *args)
    cli.fail(4, "CLOCK_FIXED_REFUSED", *args, env={"STAFF_CONSOLE_NOW": now})
    assert rows(cli) == before, args


def test_every_hostile_fixed_clock_is_refused_on_a_real_store(real_cli):
    cli = real_cli
    now = datetime.now(SEOUL)
    start, end = now - timedelta(minutes=5), now + timedelta(days=1)
    grant = cli.json("delegate", "grant", "--to", "T002", "--from", iso(start), "--until",
                     iso(end), "--as", "M001")
    cli.ok("delegate", "end", grant["id"], "--as", "M001")
    request = cli.register()["request_id"]
    # A delegate whose delegation was ended approves inside the old window.
    refused_on_real_store(cli, iso(now), "approve", request, "--as", "T002")
    # A request approved at an earlier time (past its deadline, the clock set back).
    refused_on_real_store(cli, iso(now - timedelta(days=1)), "approve", request, "--as", "M001")
    # An approval in 2029: valid until 2032.
    refused_on_real_store(cli, "2029-06-01T10:00:00+09:00", "approve", request, "--as", "M001")
    # A delegation granted in the past.
    refused_on_real_store(cli, "2026-01-05T09:00:00+09:00", "delegate", "grant", "--to", "T002",
                          "--from", "2026-01-05T09:00:00+09:00", "--until",
                          "2026-01-06T09:00:00+09:00", "--as", "M001")
    # An access back-dated into a month already signed off.
    refused_on_real_store(cli, "2026-10-01T10:00:00+09:00", "customer", "show", "C001", "--as",
                          "T001")
    # The batch, no sign-in at all: every credential expired for good.
    refused_on_real_store(cli, "9999-12-31T23:00:00+09:00", "expire")
    refused_on_real_store(cli, FAR, "expire")
    # The channels' intake and a sign-in (not even a failed sign-in is counted).
    refused_on_real_store(cli, iso(now), "intake", "register", "--customer", "C002",
                          "--channel", "web", "--device-id", "BRW-9", "--methods", "pin",
                          "--verified", "id_card,one_won,phone")
    refused_on_real_store(cli, iso(now), "staff", "list", "--as", "A0001")
    # db init on the existing real store.
    refused_on_real_store(cli, iso(now), "db", "init")
    # On its own clock the same store works: the request is decided now, by the manager.
    assert cli.json("approve", request, "--as", "M001")["status"] == "approved"


def test_a_wrong_password_with_a_fixed_clock_is_not_even_counted(real_cli):
    before = rows(real_cli)
    real_cli.fail(4, "CLOCK_FIXED_REFUSED", "--now", NOW, "staff", "list", "--as", "A0001",
                  env={"STAFF_CONSOLE_PASSWORD": "not-the-password"})
    assert rows(real_cli) == before


def test_the_app_is_not_started_on_a_real_store_with_a_fixed_clock(real_cli, monkeypatch):
    calls = []
    monkeypatch.setitem(sys.modules, "staff_console.app", types.SimpleNamespace(
        run_app=lambda *args, **kwargs: calls.append(kwargs)))
    result = real_cli.run("--now", NOW)
    assert result.exit_code == 4 and "error: CLOCK_FIXED_REFUSED:" in result.stderr
    assert calls == []
    real_cli.ok()  # on the store's own clock it starts
    assert calls == [{"demo": False, "clock": None}]


def test_the_same_fixed_clocks_are_taken_by_a_training_store(cli):
    start = parse_instant(NOW)
    grant = cli.json("delegate", "grant", "--to", "T002", "--from", NOW, "--until",
                     iso(start + timedelta(days=1)), "--as", "M001")
    cli.ok("--now", iso(start + timedelta(hours=2)), "delegate", "end", grant["id"], "--as",
           "M001")
    request = cli.register()["request_id"]
    # Training: the trainer sets the time back inside the window, and the delegate decides.
    decided = cli.json("--now", iso(start + timedelta(hours=1)), "approve", request, "--as",
                       "T002")
    assert decided["status"] == "approved"
    # A registration approved in 2029 (on a training store, that is what a trainer shows).
    intake = cli.json("--now", "2029-06-01T10:00:00+09:00", "intake", "register", "--customer",
                      "C002", "--channel", "mts", "--device-id", "dev-29", "--methods",
                      "pin,pattern", "--verified", "id_card,one_won,phone")
    approved = cli.json("--now", "2029-06-01T11:00:00+09:00", "approve", intake["request_id"],
                        "--as", "M001")
    assert approved["status"] == "approved"
    shown = cli.json("--now", "2029-06-01T12:00:00+09:00", "customer", "show", "C002", "--as",
                     "T001")
    assert "2032-06-01" in str(shown)
    cli.ok("--now", "2026-01-05T09:00:00+09:00", "delegate", "grant", "--to", "T002", "--from",
           "2026-01-05T09:00:00+09:00", "--until", "2026-01-06T09:00:00+09:00", "--as", "M001")
    cli.ok("--now", "2026-10-01T10:00:00+09:00", "customer", "show", "C001", "--as", "T001")
    # Year 9999 is out of every date's range (INVALID_INPUT, exit 2) even in training; the
    # last accepted hour expires everything.
    cli.fail(2, "INVALID_INPUT", "--now", "9999-12-31T23:00:00+09:00", "expire")
    expired = cli.json("--now", FAR, "expire")
    assert expired["credentials_expired"] >= 2
    cli.ok("audit", "verify")


def test_a_missing_or_wrong_key_is_refused_by_every_command_and_creates_nothing(cli):
    key = cli.home / "master.key"
    saved = key.read_bytes()
    key.unlink()
    before = rows(cli)
    cli.fail(4, "KEY_MISMATCH", "customer", "show", "C001", "--as", "T001")
    cli.fail(4, "KEY_MISMATCH", "expire")
    cli.fail(4, "KEY_MISMATCH", "intake", "register", "--customer", "C002", "--channel", "web",
             "--device-id", "BRW-9", "--methods", "pin", "--verified", "id_card,one_won,phone")
    cli.fail(4, "KEY_MISMATCH", "db", "init")  # db init never makes a key for a store
    assert not [p.name for p in cli.home.iterdir() if "key" in p.name]
    wrong = {"STAFF_CONSOLE_KEY": encode_key(bytes(32))}
    cli.fail(4, "KEY_MISMATCH", "customer", "show", "C001", "--as", "T001", env=wrong)
    cli.fail(4, "KEY_MISMATCH", "db", "init", env=wrong)
    assert rows(cli) == before
    key.write_bytes(saved)
    cli.ok("customer", "show", "C001", "--as", "T001")


def test_db_rotate_key_then_search_by_id_number_and_verify(cli):
    cli.fail(4, "FORBIDDEN", "db", "rotate-key", "--as", "T001")
    old = (cli.home / "master.key").read_text()
    doc = cli.json("db", "rotate-key", "--as", "A0001")
    assert doc["customers"] == 7 and doc["old_key_id"] != doc["new_key_id"]
    assert (cli.home / "master.key.old").read_text() == old
    assert (cli.home / "master.key").read_text() != old
    found = cli.json("customer", "search", "900101-1234567", "--as", "T001")["items"]
    assert [c["customer_no"] for c in found] == ["C001"]
    cli.ok("audit", "verify")
    # A key given as a setting is not rotated (the console cannot rewrite where it came from).
    cli.fail(2, "INVALID_INPUT", "db", "rotate-key", "--as", "A0001",
             env={"STAFF_CONSOLE_KEY": (cli.home / "master.key").read_text().strip()})
