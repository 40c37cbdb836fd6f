"""The CLI's refusals in the person's language (issue 15.7): Korean from the catalog with the
code's own detail when the locale or STAFF_CONSOLE_LANG says Korean, English otherwise; the code,
the `error: CODE:` prefix, the exit code and the JSON document are the same in every language."""

from __future__ import annotations

import json
import re

import pytest
from cli_fixtures import *  # noqa: F403 - the fixtures cli, fresh_cli, cli_template

from staff_console.cli._output import cli_language

KOREAN = {"LANG": "ko_KR.UTF-8"}


@pytest.mark.parametrize(("variables", "expected"), [
    ({}, "ko"),
    ({"LANG": "ko_KR.UTF-8"}, "ko"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "en_US.UTF-8", "LC_ALL": "ko_KR.UTF-8"}, "ko"),
    ({"LANG": "ko_KR.UTF-8", "LC_MESSAGES": "C"}, "en"),
    ({"LANG": "ko_KR.UTF-8", "STAFF_CONSOLE_LANG": "en"}, "en"),
    ({"LANG": "C.UTF-8", "STAFF_CONSOLE_LANG": "ko"}, "ko"),
])
def test_the_language_comes_from_the_setting_or_the_locale(monkeypatch, variables, expected):
    for name in ("STAFF_CONSOLE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert cli_language() == expected


def test_a_refusal_in_korean_keeps_its_code_and_detail(cli):
    result = cli.fail(4, "AUTH_FAILED", "customer", "show", "C001", "--as", "T001",
                      env={**KOREAN, "STAFF_CONSOLE_PASSWORD": "wrong-password-1"})
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: AUTH_FAILED: 사번 또는 비밀번호가 맞지 않습니다.")
    doc = json.loads(result.stdout)["error"]
    assert doc["code"] == "AUTH_FAILED" and doc["message"]  # the JSON keeps the message
    assert doc["message"] not in line and not re.search(r"[a-z]{3,}", line.split(": ", 2)[2])

    cli.registered("C001", "mts")
    made = cli.json("request", "revoke", "--customer", "C001", "--channel", "mts",
                    "--reason", "lost_device", "--as", "M001")
    result = cli.fail(3, "SELF_APPROVAL", "approve", made["request_id"], "--as", "M001",
                      env=KOREAN)
    assert "error: SELF_APPROVAL: 본인이 올린 요청은 결재할 수 없습니다." in result.stderr
    again = cli.fail(3, "DUPLICATE_PENDING", "request", "revoke", "--customer", "C001",
                     "--channel", "mts", "--reason", "lost_device", "--as", "T001", env=KOREAN)
    assert ("error: DUPLICATE_PENDING: 이미 결재 대기 중인 같은 요청이 있습니다. "
            "이 고객의 MTS 해지 요청이 이미 결재를 기다리고 있습니다.") in again.stderr
    english = cli.fail(3, "DUPLICATE_PENDING", "request", "revoke", "--customer", "C001",
                       "--channel", "mts", "--reason", "lost_device", "--as", "T001")
    assert "a revocation of this mts credential is pending" in english.stderr
    assert not re.search(r"[\uac00-\ud7a3]", english.stderr)

def test_usage_and_input_errors_in_korean_and_english(cli):
    korean = cli.fail(2, "INVALID_INPUT", "approve", "abc", "--as", "M001", env=KOREAN)
    assert "error: INVALID_INPUT: 입력값을 확인하세요." in korean.stderr
    english = cli.fail(2, "INVALID_INPUT", "approve", "abc", "--as", "M001")
    assert "입력" not in english.stderr
    assert json.loads(korean.stdout) == json.loads(english.stdout)
    assert "항목: --request-id" in korean.stderr or "항목: 요청 번호" in korean.stderr
    limit = cli.fail(2, "INVALID_INPUT", "customer", "search", "홍", "--limit", "51",
                     "--as", "T001", env=KOREAN)
    assert "입력값을 확인하세요." in limit.stderr and "조회 건수" in limit.stderr
    assert "must be" not in limit.stderr and "limit" not in limit.stderr.split(":", 2)[2]


def test_the_words_of_a_command_are_in_one_language(cli):
    korean = cli.ok("customer", "show", "C001", "--as", "T001", env=KOREAN).stdout
    assert "주민번호" in korean and "온라인거래신청" in korean
    assert "online trading" not in korean and "branch" not in korean
    english = cli.ok("customer", "show", "C001", "--as", "T001").stdout
    assert "online trading" in english and "branch 001" in english
    assert "주민번호" not in english and "휴대폰" not in english
    table = cli.ok("customer", "search", "홍", "--as", "T001", env=KOREAN).stdout
    assert "고객번호" in table and "Customer" not in table
