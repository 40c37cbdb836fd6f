"""The operations log at sign-out (issue 11.3): a sign-out the console server had already ended
(its lifetime, an admin's lock) is an ordinary line, not a warning; any other failure to
record it is a warning that operations can act on."""

from __future__ import annotations

import logging

from staff_console.app import StaffConsoleApp
from staff_console.domain.errors import ConsoleError
from staff_console.settings import Settings


class _Console:
    training = False

    def __init__(self, error: Exception) -> None:
        self.error = error

    def sign_out(self, *, reason: str) -> None:
        raise self.error

    def close(self) -> None:
        pass


def _sign_out(tmp_path, error: Exception, caplog) -> list[logging.LogRecord]:
    app = StaffConsoleApp(Settings(home=tmp_path, server="http://127.0.0.1:9",
                                   server_allow_http=True), console=_Console(error))
    with caplog.at_level(logging.INFO, logger="staff_console.app"):
        app._record_sign_out("sign_out")
    assert app.signed_out.is_set()  # the next sign-in never waits for a failed record
    return [r for r in caplog.records if r.name == "staff_console.app"]


def test_a_session_the_server_already_ended_is_an_ordinary_line(tmp_path, caplog):
    for code in ("SESSION_ENDED", "SESSION_LOCKED"):
        caplog.clear()
        records = _sign_out(tmp_path, ConsoleError(code, "the session has ended"), caplog)
        assert [(r.levelno, code in r.getMessage()) for r in records] == [(logging.INFO, True)]


def test_any_other_failure_to_record_the_sign_out_is_a_warning(tmp_path, caplog):
    records = _sign_out(tmp_path, ConsoleError("STORE_UNAVAILABLE", "down"), caplog)
    assert [(r.levelno, "STORE_UNAVAILABLE" in r.getMessage()) for r in records] == [
        (logging.WARNING, True)]
    records = _sign_out(tmp_path, RuntimeError("boom"), caplog)
    assert records[-1].levelno == logging.WARNING and records[-1].exc_info is not None
