"""`customer import --encoding`: a Korean bank export (CP949) through the CLI."""

from __future__ import annotations

import json

from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template
from cli_support import CUSTOMERS_CSV

HEADER = CUSTOMERS_CSV.splitlines()[0]
ROWS = "E001,홍길순,910101-2234567,010-7777-0001,001,Y,\nE002,뷁쀍,910102-1234567,010-7777-0002,001,N,\n"


def test_a_cp949_export_is_refused_with_how_to_convert_then_imported_with_its_encoding(
        cli, tmp_path):
    path = tmp_path / "bank.csv"
    path.write_bytes(f"{HEADER}\n{ROWS}".encode("cp949"))
    refused = cli.fail(2, "INVALID_INPUT", "customer", "import", path, "--as", "A0001")
    assert "CP949" in refused.stderr and "iconv -f cp949 -t utf-8 bank.csv" in refused.stderr
    assert json.loads(refused.stdout)["error"]["field"] == "file"
    assert cli.json("customer", "import", path, "--encoding", "cp949", "--as", "A0001") == {
        "imported": 2}
    found = cli.json("customer", "show", "E002", "--as", "T001")
    assert found["name"] == "뷁쀍"


def test_an_unknown_encoding_and_a_utf8_file_said_to_be_cp949(cli, tmp_path):
    path = tmp_path / "utf8.csv"
    path.write_text(f"{HEADER}\n{ROWS}", encoding="utf-8")
    bad = cli.fail(2, "INVALID_INPUT", "customer", "import", path, "--encoding", "latin-1",
                   "--as", "A0001")
    assert json.loads(bad.stdout)["error"]["field"] == "encoding"
    said = cli.fail(2, "INVALID_INPUT", "customer", "import", path, "--encoding", "euc-kr",
                    "--as", "A0001")
    assert "is UTF-8" in said.stderr
    assert cli.json("customer", "search", "E001", "--as", "T001")["items"] == []
