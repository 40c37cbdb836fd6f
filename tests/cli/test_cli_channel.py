"""`staff-console channel key create|list|revoke` (embedded mode; the same calls go through a
console server as every facade call: test_console_contract.py's machinery)."""

from __future__ import annotations

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
