"""customer import/search/show, matrix, expire and expiring through the CLI."""

from __future__ import annotations

import json

import pytest
from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template
from cli_support import CUSTOMERS_CSV

HEADER = CUSTOMERS_CSV.splitlines()[0]

# ---------------------------------------------------------------- import


def test_import_a_good_file(cli, tmp_path):
    path = tmp_path / "more.csv"
    path.write_text(f"{HEADER}\nC008,최민지,950505-2234567,010-8888-9999,002,Y,72345678901\n"
                    f"C009,정우성,730101-1234567,010-9999-0000,001,N,\n", encoding="utf-8")
    assert cli.json("customer", "import", path, "--as", "M001") == {"imported": 2}
    found = cli.json("customer", "search", "C008", "--as", "T201")["items"]
    assert [c["customer_no"] for c in found] == ["C008"]


def test_import_accepts_a_utf8_bom(cli, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + f"{HEADER}\nC010,강감찬,800808-1234567,010-1010-2020,001,Y,\n")
                     .encode("utf-8"))
    assert cli.json("customer", "import", path, "--as", "A0001") == {"imported": 1}


def test_import_with_two_bad_rows_reports_both_lines_and_imports_nothing(cli, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        f"{HEADER}\n"
        "C020,좋은행,880808-1234567,010-2020-3030,001,Y,\n"  # line 2: fine
        "C021,나쁜번호,881332-1234567,010-2121-3131,001,Y,\n"  # line 3: month 13
        "C022,좋은행둘,890909-2234567,010-2323-3333,001,Y,\n"  # line 4: fine
        "C023,나쁜전화,870707-1234567,02-123-4567,001,Y,\n",  # line 5: not a mobile
        encoding="utf-8")
    result = cli.fail(2, "INVALID_INPUT", "customer", "import", path, "--as", "A0001")
    assert "line 3" in result.stderr and "line 5" in result.stderr
    assert "line 2" not in result.stderr and "line 4" not in result.stderr
    assert json.loads(result.stdout)["error"]["field"] == "file"
    for no in ("C020", "C022"):
        assert cli.json("customer", "search", no, "--as", "T001")["items"] == []


def test_import_refusals(cli, tmp_path):
    missing = cli.fail(2, "INVALID_INPUT", "customer", "import", tmp_path / "nope.csv",
                       "--as", "A0001")
    assert json.loads(missing.stdout)["error"]["field"] == "file"
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + b"\nC030,\xc0\xc1,800101-1234567,010-1111-2222,001,Y,\n")
    cli.fail(2, "INVALID_INPUT", "customer", "import", latin, "--as", "A0001")
    good = tmp_path / "good.csv"
    good.write_text(f"{HEADER}\nC031,가나다,800101-1234560,010-1111-2222,001,Y,\n",
                    encoding="utf-8")
    cli.fail(4, "FORBIDDEN", "customer", "import", good, "--as", "T001")
    cli.ok("customer", "import", good, "--as", "A0001")
    dup = cli.fail(2, "INVALID_INPUT", "customer", "import", good, "--as", "A0001")
    assert "line 2" in dup.stderr


# ---------------------------------------------------------------- search


@pytest.mark.parametrize(
    ("query", "expected", "kind"),
    [
        ("ㅎㄱㄷ", ["C001"], "chosung"),
        ("ㅎㄱ", ["C001", "C007"], "chosung"),
        ("홍길", ["C001", "C007"], "name"),
        ("홍길순", ["C007"], "name"),
        ("5678", ["C001", "C007"], "phone_last4"),
        ("010-2222-3333", ["C002"], "phone"),
        ("900101", ["C004", "C001"], "birth_date"),
        ("C003", ["C003"], "customer_no"),
        ("c003", ["C003"], "customer_no"),
        ("22345678901", ["C002"], "account"),
        ("smith j", ["C004"], "name"),  # Latin names in any case (issue 15)
        ("SMITH", ["C004"], "name"),
        ("ㅎㄳ", ["C007"], "chosung"),  # ㄳ as an IME composes it = ㄱㅅ
        ("\u1112\u1169\u11bc\u1100\u1175\u11af", ["C001", "C007"], "name"),  # 홍길 in NFD
    ],
)
def test_search_kinds(cli, query, expected, kind):
    page = cli.json("customer", "search", query, "--as", "T001")
    assert sorted(c["customer_no"] for c in page["items"]) == sorted(expected)
    assert kind in page["kinds"]


def test_search_shows_masked_data_and_pages(cli):
    human = cli.ok("customer", "search", "5678", "--as", "T001").stdout
    assert "010-****-5678" in human and "900101-1******" in human
    first = cli.json("customer", "search", "ㅎㄱ", "--as", "T001", "--limit", "1")
    second = cli.json("customer", "search", "ㅎㄱ", "--as", "T001", "--limit", "1", "--page", "2")
    assert first["has_more"] is True and second["has_more"] is False
    assert first["items"][0]["customer_no"] != second["items"][0]["customer_no"]
    item = first["items"][0]
    assert set(item) >= {"customer_no", "name", "id_masked", "phone_masked"}
    assert "phone" not in item and "id_number" not in item


def test_search_refusals(cli):
    cli.fail(2, "INVALID_INPUT", "customer", "search", "홍", "--as", "T001", "--page", "0")
    cli.fail(2, "INVALID_INPUT", "customer", "search", "홍", "--as", "T001", "--limit", "51")
    cli.fail(4, "FORBIDDEN", "customer", "search", "홍", "--as", "A0001")  # need to know


def test_every_search_and_view_is_in_the_access_log(cli):
    cli.ok("customer", "search", "ㅎㄱㄷ", "--as", "T001")
    cli.ok("customer", "show", "C001", "--as", "T001")
    access = cli.events(category="access", staff="T001")
    assert {"customer.search", "customer.view"} <= {e["action"] for e in access}
    view = next(e for e in access if e["action"] == "customer.view")
    assert view["customer_no"] == "C001" and view["terminal"].startswith("cli@")


# ---------------------------------------------------------------- show


CREDENTIAL_KEYS = {"id", "channel", "status", "device_id", "device_model", "methods",
                   "activated_at", "valid_until", "days_left", "last_used_at", "ended_at",
                   "end_reason"}


def test_show_json_keys_and_masking(cli):
    cli.registered("C001", "mts", "phone-1")
    cli.register("C001", "web", "chrome-1")  # pending: not the current web credential yet
    result = cli.ok("customer", "show", "C001", "--as", "T001", "--json")
    doc = json.loads(result.stdout)
    assert set(doc) >= {"customer_no", "name", "id_masked", "customer_type", "nationality",
                        "online_trading", "branch_code", "phone_masked", "mts", "web", "history",
                        "pending"}
    assert doc["id_masked"] == "900101-1******"
    assert doc["phone_masked"] == "010-****-5678"
    assert doc["customer_type"] == "individual" and doc["nationality"] == "domestic"
    assert set(doc["mts"]) >= CREDENTIAL_KEYS
    assert doc["mts"]["status"] == "active" and doc["mts"]["device_id"] == "phone-1"
    assert doc["mts"]["valid_until"] == "2029-11-24"  # Korea-time last valid day
    assert doc["mts"]["days_left"] == 1096
    assert doc["web"] is None
    assert [p["channel"] for p in doc["pending"]] == ["web"]
    assert len(doc["history"]) == 2
    assert all(set(h) >= CREDENTIAL_KEYS for h in doc["history"])


def test_show_human_output(cli):
    cli.registered("C001", "mts", "phone-1")
    out = cli.ok("customer", "show", "C001", "--as", "T001").stdout
    assert "900101-1******" in out and "010-****-5678" in out
    assert "2029-11-24" in out and "phone-1" in out
    assert "+09:00" in out  # instants in Korea time with the offset
    cli.fail(3, "NOT_FOUND", "customer", "show", "C999", "--as", "T001")


# ---------------------------------------------------------------- matrix


def test_matrix_without_a_customer_is_a_system_job(cli):
    doc = cli.json("matrix")
    assert doc["customer_no"] is None
    assert len(doc["items"]) == 17
    assert all(item["available"] is None for item in doc["items"])
    info = [i for i in doc["items"] if not i["online_trading"]]
    assert len(info) == 1  # only the information page needs no online trading agreement
    assert "Simple-auth login" in cli.ok("matrix").stdout  # one language at a time
    assert "간편인증 로그인" in cli.ok("matrix", env={"LANG": "ko_KR.UTF-8"}).stdout


def test_matrix_for_a_customer(cli):
    before = {i["code"]: i for i in cli.json("matrix", "--customer", "C001", "--as", "T001")["items"]}
    assert before["simple_login"]["available"] is False
    assert before["simple_login"]["reason_code"] == "NOT_REGISTERED"
    assert before["register"]["available"] is True
    cli.registered("C001", "web", "chrome-1")
    after = {i["code"]: i for i in cli.json("matrix", "--customer", "C001", "--as", "T001")["items"]}
    assert all(i["available"] for i in after.values())
    corp = cli.json("matrix", "--customer", "C005", "--as", "T001")["items"]
    assert {i["reason_code"] for i in corp if not i["available"]} == {"INELIGIBLE_CORPORATION"}
    no_online = cli.json("matrix", "--customer", "C006", "--as", "T001")["items"]
    assert "NO_ONLINE_TRADING" in {i["reason_code"] for i in no_online}
    human = cli.ok("matrix", "--customer", "C005", "--as", "T001").stdout
    assert "INELIGIBLE_CORPORATION" in human


def test_matrix_for_a_customer_needs_a_signed_in_staff_member(cli):
    result = cli.fail(2, "INVALID_INPUT", "matrix", "--customer", "C001")
    assert json.loads(result.stdout)["error"]["field"] == "as"


# ---------------------------------------------------------------- expiry


def test_expiring_and_expire(cli):
    approved = cli.registered("C001", "mts", "phone-1")
    cred_id = approved["credential_id"]
    assert cli.json("expiring", "--as", "T001")["items"] == []
    soon = cli.json("--now", "2029-11-10T09:00:00+09:00", "expiring", "--as", "T001")
    assert soon["within_days"] == 30
    assert [(i["credential_id"], i["days_left"]) for i in soon["items"]] == [(cred_id, 14)]
    narrow = cli.json("--now", "2029-11-10T09:00:00+09:00", "expiring", "--within", "7",
                      "--as", "T001")
    assert narrow["items"] == []
    # Branch 002 staff do not see branch 001's customers in this list.
    other = cli.json("--now", "2029-11-10T09:00:00+09:00", "expiring", "--as", "T201")
    assert other["items"] == []
    human = cli.ok("--now", "2029-11-10T09:00:00+09:00", "expiring", "--as", "T001").stdout
    assert "C001" in human and "2029-11-24" in human
    # The last valid day still counts; the next day the batch expires it.
    assert cli.json("--now", "2029-11-24T23:59:00+09:00", "expire")["credentials_expired"] == 0
    done = cli.json("--now", "2029-11-25T00:00:00+09:00", "expire")
    assert done == {"credentials_expired": 1, "requests_expired": 0, "answers_purged": 0}
    assert cli.json("--now", "2029-11-25T00:00:00+09:00", "expire")["credentials_expired"] == 0
    shown = cli.json("--now", "2029-11-25T09:00:00+09:00", "customer", "show", "C001",
                     "--as", "T001")
    assert shown["mts"] is None
    assert shown["history"][0]["status"] == "expired"
    cli.fail(2, "INVALID_INPUT", "expiring", "--within", "-1", "--as", "T001")


def test_expire_ends_undecided_requests_after_seven_days(cli):
    intake = cli.register("C002", "web", "safari-1")
    result = cli.json("--now", "2026-12-01T10:00:00+09:00", "expire")
    assert result == {"credentials_expired": 0, "requests_expired": 1, "answers_purged": 0}
    shown = cli.json("request", "show", intake["request_id"], "--as", "M001")
    assert shown["status"] == "expired"
