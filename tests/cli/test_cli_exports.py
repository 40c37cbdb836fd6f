"""Text out and exports through the CLI (issue 12 items 5 and 6): stored text with terminal
escapes, OSC 52, bidi overrides and markup is printed as visible escapes and literal text;
`--csv` exports open safely in a spreadsheet, hold every matching row, are owner-only and new,
and are recorded in the access log."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import stat

from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template

HOSTILE = "\x1b[2J\x1b]52;c;ZXZpbA==\x07\u202e[red]x[/red]"
SHOWN = "\\x1b[2J\\x1b]52;c;ZXZpbA==\\x07\\u202e[red]x[/red]"
RAW = ("\x1b", "\x07", "\u202e", "\x9b")


def _sql(cli, statement: str, *params) -> None:
    """Write straight into the store, as rows imported before the input rule could be."""
    with sqlite3.connect(cli.db_path) as conn:
        conn.execute(statement, params)


def _no_raw(text: str) -> None:
    for ch in RAW:
        assert ch not in text, repr(text)


def test_stored_escapes_are_printed_escaped_in_search_and_show(cli):
    cli.registered("C001", "mts", "dev-1")
    _sql(cli, "UPDATE customer SET name = ? WHERE customer_no = 'C001'", "홍" + HOSTILE)
    _sql(cli, "UPDATE credential SET device_model = ?, device_id = ?", "\x1b]0;pwned\x07Galaxy",
         "dev\u202e1")
    for args in (("customer", "search", "C001"), ("customer", "show", "C001")):
        out = cli.ok(*args, "--as", "T001").stdout
        _no_raw(out)
        assert "홍" + SHOWN in out  # markup is shown as it is, never rendered
    show = cli.ok("customer", "show", "C001", "--as", "T001").stdout
    assert "\\x1b]0;pwned\\x07Galaxy" in show and "dev\\u202e1" in show
    # JSON: the same data to a parser, nothing raw on the terminal
    result = cli.run("customer", "show", "C001", "--as", "T001", "--json")
    _no_raw(result.stdout)
    assert json.loads(result.stdout)["name"] == "홍" + HOSTILE


def test_an_error_quoting_what_was_typed_is_escaped(cli):
    result = cli.run("customer", "show", "X\x1b[2J\u202e", "--as", "T001")
    assert result.exit_code != 0
    _no_raw(result.stderr)


def test_a_sign_in_with_an_escape_is_refused_and_not_recorded(cli):
    before = len(cli.events(action="staff.sign_in_failed"))
    result = cli.fail(2, "INVALID_INPUT", "customer", "search", "C001", "--as",
                      "\x1b[2J\x1b]52;c;ZXZpbA==\x07")
    _no_raw(result.stderr)
    assert len(cli.events(action="staff.sign_in_failed")) == before
    with sqlite3.connect(cli.db_path) as conn:
        rows = conn.execute("SELECT actor, detail FROM audit_event").fetchall()
    assert not any("\x1b" in (a or "") or "\x1b" in (d or "") for a, d in rows)


# ---------------------------------------------------------------- exports

def _read(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    body = raw[3:]
    assert b"\n" not in body.replace(b"\r\n", b"")  # CRLF only (a quoted cell may hold \n)
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_expiring_csv_is_safe_complete_private_and_logged(cli, tmp_path):
    for customer, device in (("C001", "dev-1"), ("C002", "dev-2"), ("C006", "dev-6")):
        if customer != "C006":  # C006 has no online trading
            cli.registered(customer, "mts", device)
    _sql(cli, "UPDATE customer SET name = ? WHERE customer_no = 'C001'",
         '=HYPERLINK("http://evil","click")')
    _sql(cli, "UPDATE customer SET name = ? WHERE customer_no = 'C002'", "@SUM(1+1)")
    _sql(cli, "UPDATE credential SET device_model = ?", "-2+3\x1b[2J")
    path = tmp_path / "expiring.csv"
    out = cli.json("expiring", "--within", "3660", "--as", "T001", "--csv", path)
    rows = _read(path)
    assert rows[0] == ["customer_no", "customer_name", "branch_code", "channel", "device_model",
                       "last_valid_day", "days_left", "credential_id"]
    by_no = {r[0]: r for r in rows[1:]}
    assert set(by_no) == {"C001", "C002"} and out == {"path": str(path), "rows": 2}
    assert by_no["C001"][1] == "'=HYPERLINK(\"http://evil\",\"click\")"
    assert by_no["C002"][1] == "'@SUM(1+1)"
    assert by_no["C001"][4] == "'-2+3\\x1b[2J"
    assert by_no["C001"][5] == "2029-11-24" and by_no["C001"][6].isdigit()
    assert _mode(path) == 0o600
    [logged] = cli.events(action="credential.expiring_export")
    assert logged["actor"] == "T001" and logged["category"] == "access"
    assert logged["detail"]["count"] == 2 and logged["detail"]["file"] == "expiring.csv"
    assert logged["detail"]["customers"] == ["C001", "C002"]


def test_audit_list_csv_has_every_matching_event_as_json_in_korea_time(cli, tmp_path):
    cli.ok("customer", "show", "C001", "--as", "T001")
    _sql(cli, "UPDATE audit_event SET terminal = ? WHERE seq = 1", "=cmd|' /C calc'!A0")
    expected = cli.events()  # newest first, every event (fewer than 500)
    path = tmp_path / "trail.csv"
    cli.ok("audit", "list", "--as", "AU01", "--limit", "1", "--csv", path)
    rows = _read(path)
    assert rows[0] == ["seq", "at", "actor", "terminal", "action", "category", "customer_no",
                       "target", "detail"]
    # every event, not the page of --limit 1 (newest first, none missing; the export's own
    # sign-in came after `expected` was read)
    seqs = [int(r[0]) for r in rows[1:]]
    assert seqs == list(range(seqs[0], 0, -1)) and seqs[0] > expected[0]["seq"]
    by_seq = {int(r[0]): r for r in rows[1:]}
    for ev in expected:
        row = by_seq[ev["seq"]]
        assert row[1].endswith("+09:00") and row[1][:10] == "2026-11-24"
        assert (json.loads(row[8]) if row[8] else {}) == (ev["detail"] or {})
    first = next(r for r in rows[1:] if r[0] == "1")
    assert first[3] == "'=cmd|' /C calc'!A0"
    assert _mode(path) == 0o600
    [logged] = cli.events(action="audit.export")
    assert logged["detail"]["count"] == len(seqs) and logged["category"] == "access"


def test_access_log_csv_and_its_event(cli, tmp_path):
    cli.ok("customer", "search", "홍길", "--as", "T001")
    cli.ok("customer", "show", "C001", "--as", "T001")
    page = cli.json("audit", "access-log", "--month", "2026-11", "--as", "M001")
    path = tmp_path / "고객 010 9999 8888.csv"  # a file name is typed by a person too
    done = cli.json("audit", "access-log", "--month", "2026-11", "--as", "M001", "--csv", path)
    rows = _read(path)
    # the view above is itself an access event: it is in the file too
    assert done["rows"] == len(rows) - 1 == len(page["items"]) + 1
    assert {r[5] for r in rows[1:]} == {"access"}
    [logged] = cli.events(action="access_log.export")
    assert logged["actor"] == "M001" and logged["detail"]["count"] == done["rows"]
    assert logged["detail"]["month"] == "2026-11"
    assert logged["detail"]["file"] == "고객 010-****-8888.csv"


def test_an_export_never_overwrites_or_follows_a_link(cli, tmp_path):
    existing = tmp_path / "mine.csv"
    existing.write_text("keep me", encoding="utf-8")
    cli.fail(2, "INVALID_INPUT", "audit", "list", "--as", "AU01", "--csv", existing)
    assert existing.read_text(encoding="utf-8") == "keep me"
    target = tmp_path / "elsewhere.csv"
    link = tmp_path / "link.csv"
    os.symlink(target, link)  # a dangling link planted where the export will go
    cli.fail(2, "INVALID_INPUT", "expiring", "--as", "T001", "--csv", link)
    assert not target.exists()
    cli.fail(2, "INVALID_INPUT", "audit", "list", "--as", "AU01", "--csv",
             tmp_path / "no-such-dir" / "x.csv")
    assert cli.events(action="audit.export") == []


def test_a_refused_export_leaves_no_file_and_no_event(cli, tmp_path):
    path = tmp_path / "t.csv"
    cli.fail(4, "FORBIDDEN", "audit", "list", "--as", "T001", "--csv", path)
    assert not path.exists()
    cli.fail(4, "FORBIDDEN", "expiring", "--as", "A0001", "--csv", path)
    assert not path.exists()
    assert cli.events(action="audit.export") == []
    assert cli.events(action="credential.expiring_export") == []
