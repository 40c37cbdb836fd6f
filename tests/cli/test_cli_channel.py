"""`staff-console channel key create|list|revoke` (embedded mode; the same calls go through a
console server as every facade call: test_console_contract.py's machinery)."""

from __future__ import annotations

import re

from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template

from staff_console.services.channel_keys import key_hash


def test_a_key_is_printed_once_and_kept_hashed(cli):
    shown = cli.ok("channel", "key", "create", "mts", "--name", "mts-01", "--as", "A0001")
    secret = shown.stdout.strip().splitlines()[-1]
    assert secret.startswith("sck_mts_") and len(secret) > 40
    listed = cli.json("channel", "key", "list", "--as", "A0001")["items"]
    assert [(k["channel"], k["name"], k["created_by"], k["revoked_at"]) for k in listed] == \
        [("mts", "mts-01", "A0001", None)]
    assert secret not in cli.ok("channel", "key", "list", "--as", "A0001").stdout
    data = cli.db_path.read_bytes()  # the store keeps the SHA-256, never the key
    assert secret.encode() not in data and key_hash(secret).encode() in data
    revoked = cli.json("channel", "key", "revoke", str(listed[0]["id"]), "--as", "A0001")
    assert revoked["revoked_at"] is not None
    actions = [e["action"] for e in cli.events()]
    assert "channel_key.created" in actions and "channel_key.revoked" in actions


def test_only_an_admin_creates_keys(cli):
    cli.fail(4, "FORBIDDEN", "channel", "key", "create", "mts", "--as", "M001")
    cli.fail(2, "INVALID_INPUT", "channel", "key", "create", "sms", "--as", "A0001")
    cli.fail(3, "NOT_FOUND", "channel", "key", "revoke", "99", "--as", "A0001")


def test_the_key_commands_speak_one_language(cli):
    """Korean words only in Korean, English only in English (issue 15.7); the key is the last
    line in both."""
    hangul = re.compile(r"[\uac00-\ud7a3]")
    korean = cli.ok("channel", "key", "create", "web", "--name", "web-01", "--as", "A0001",
                    env={"LANG": "ko_KR.UTF-8"}).stdout
    assert "채널 키를 만들었습니다: #1 모바일웹 · web-01" in korean
    assert not re.search(r"\b(channel|key|created|shown|store)\b", korean)
    assert korean.strip().splitlines()[-1].startswith("sck_web_")
    english = cli.ok("channel", "key", "create", "mts", "--as", "A0001").stdout
    assert "channel key created: #2 mts" in english and not hangul.search(english)
    listed = cli.ok("channel", "key", "list", "--as", "A0001", env={"LANG": "ko_KR.UTF-8"}).stdout
    assert "생성" in listed and "폐기" in listed and "Channel" not in listed and "Revoked" not in listed
    listed = cli.ok("channel", "key", "list", "--as", "A0001").stdout
    assert "Revoked" in listed and not hangul.search(listed.replace("web-01", ""))
    revoked = cli.ok("channel", "key", "revoke", "1", "--as", "A0001",
                     env={"LANG": "ko_KR.UTF-8"}).stdout
    assert "채널 키를 폐기했습니다: #1 모바일웹 · web-01" in revoked and "revoked" not in revoked
