"""A refusal reaches a person in the selected language only (issue 15.7): the app's one error
handler, the sign-in's words, the server's error document and the remote client carry the
code, the detail key and its values; the service's English message stays in the log."""

from __future__ import annotations

import json
import re

import pytest

from staff_console import i18n
from staff_console.api.remote import RemoteConsole
from staff_console.app import StaffConsoleApp
from staff_console.domain.errors import CODES, ConsoleError, invalid, not_found
from staff_console.server.errors import error_body

HANGUL = re.compile(r"[\uac00-\ud7a3]")
REVOCATION = ConsoleError("DUPLICATE_PENDING", "a revocation of this mts credential is pending",
                          detail="errors.detail.revocation_pending", values={"channel": "mts"})


class _Shown:
    def __init__(self) -> None:
        self.toasts: list[tuple[str, str]] = []

    def notify(self, message: str, *, title: str = "", **_options) -> None:
        self.toasts.append((title, message))


def _shown(error: BaseException) -> tuple[str, str]:
    app = _Shown()
    StaffConsoleApp.report_error(app, error)  # type: ignore[arg-type]
    [toast] = app.toasts
    return toast


@pytest.fixture
def language(monkeypatch):
    def choose(name: str) -> None:
        monkeypatch.setattr(i18n, "_language", name)
    return choose


def test_the_app_words_a_refusal_in_korean_without_the_english_message(language):
    language("ko")
    title, message = _shown(REVOCATION)
    assert "DUPLICATE_PENDING" in title
    assert message == ("이미 결재 대기 중인 같은 요청이 있습니다.\n"
                       "이 고객의 MTS 해지 요청이 이미 결재를 기다리고 있습니다.")
    assert not re.search(r"[a-z]{3,}", title + message)


def test_the_app_words_a_refusal_in_english_from_the_catalog(language):
    language("en")
    title, message = _shown(REVOCATION)
    assert "DUPLICATE_PENDING" in title and not HANGUL.search(title + message)
    assert message.splitlines() == [i18n.t("errors.DUPLICATE_PENDING"), i18n.t(
        "errors.detail.revocation_pending", channel=i18n.t("channel.mts"))]
    assert REVOCATION.message not in message


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_code_has_words_and_a_field_or_a_detail_is_worded(language, lang):
    language(lang)
    for code in CODES:
        words, line = i18n.refusal(code)
        assert words == i18n.t(f"errors.{code}") and line == ""
    words, line = i18n.refusal("INVALID_INPUT", field="limit")
    assert line == i18n.t("errors.field", field=i18n.t("field.limit"))
    missing = not_found("policy change", 7)  # a code among the values, worded by its family
    _words, line = i18n.refusal(missing.code, missing.detail, missing.values, missing.field)
    assert i18n.t("field.policy_change") in line and "7" in line and "policy change" not in line
    bounded = invalid("limit", "must be between 1 and 50", "errors.detail.between",
                      field="limit", low=1, high=5000)
    _words, line = i18n.refusal(bounded.code, bounded.detail, bounded.values, bounded.field)
    assert i18n.t("field.limit") in line and "5,000" in line and "between 1 and 50" not in line
    # an unknown code (a remote failure) reads as the unexpected one, never as its code
    assert i18n.refusal("NO_SUCH_CODE")[0] == i18n.t("errors.UNEXPECTED")


def test_the_detail_crosses_the_server_to_a_remote_terminal(language):
    body = error_body(REVOCATION.code, REVOCATION.message, REVOCATION.field,
                      REVOCATION.detail, REVOCATION.values)
    assert body["detail"] == "errors.detail.revocation_pending"
    assert body["values"] == {"channel": "mts"}
    assert error_body("NOT_FOUND", "x") == {"code": "NOT_FOUND", "message": "x", "field": None}
    with pytest.raises(ConsoleError) as raised:
        RemoteConsole._answer(409, json.dumps(body).encode())
    error = raised.value
    assert (error.code, error.detail, error.values) == (
        "DUPLICATE_PENDING", "errors.detail.revocation_pending", {"channel": "mts"})
    language("ko")
    assert "MTS 해지 요청" in _shown(error)[1]


def test_an_import_refusal_names_its_lines_in_words(language):
    language("ko")
    _words, line = i18n.refusal("INVALID_INPUT", "errors.detail.import_problems",
                                {"count": 1234, "lines": "3, 5"}, "file")
    assert line == "문제 1,234건으로 아무것도 가져오지 않았습니다. 문제가 있는 줄: 3, 5"
    language("en")
    assert i18n.refusal("INVALID_INPUT", "errors.detail.import_problems",
                        {"count": 1, "lines": "3"}, "file")[1] == "1 problem, nothing imported; lines: 3"
