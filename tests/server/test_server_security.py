"""The security tests of issue 14 against a live server process: every check runs on the server,
so a client that skips its own checks (here: raw HTTP, or a RemoteConsole) gains nothing.

Time passing (the idle lock, the absolute lifetime) is played by moving the session's own
times back in the store: the server reads them like any other session's.
"""

from __future__ import annotations

import http.client
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from helpers import PASSWORD

from staff_console.domain.clock import FixedClock, parse_instant
from staff_console.domain.errors import CODES, ConsoleError
from staff_console.server import errors
from staff_console.server.limits import MAX_BODY_BYTES
from staff_console.server.routes_staff import CALLS, EXPORTS, IMPORTS


def raw(url: str, path: str, body: bytes | dict | None = None, *, token: str | None = None,
        method: str = "POST", source: str | None = None, headers: dict | None = None):
    """One HTTP call with nothing of the client library: (status, JSON body)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30,
                                            source_address=(source, 0) if source else None)
    data = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, body=data if method != "GET" else None, headers=sent)
        response = connection.getresponse()
        payload = response.read()
    finally:
        connection.close()
    return response.status, (json.loads(payload) if payload else None)


def refused(code: str, call) -> ConsoleError:
    with pytest.raises(ConsoleError) as caught:
        call()
    assert caught.value.code == code, caught.value
    return caught.value


def new_staff(site, employee_no: str, role: str = "teller", branch: str = "001") -> None:
    site.signed_in("A0001").add_staff(employee_no=employee_no, name="보안시험",
                                      branch_code=branch, role=role, password=PASSWORD)


def test_every_code_has_its_status_and_the_table_is_documented():
    assert set(errors.STATUS) == set(CODES)
    assert errors.status_of("AUTH_REQUIRED") == 401
    assert errors.status_of("SESSION_LOCKED") == 423
    page = (Path(__file__).parents[2] / "docs" / "server-api.md").read_text(encoding="utf-8")
    rows: dict[str, str] = {}
    for line in page.splitlines():
        cells = line.split("|")
        if line.startswith("| ") and cells[1].strip().isdigit():
            rows[cells[1].strip()] = rows.get(cells[1].strip(), "") + line
    for code, status in errors.STATUS.items():
        assert f"`{code}`" in rows.get(str(status), ""), code


ALL_PATHS = ([f"/v1/staff/{name}" for name in (*CALLS, *EXPORTS, *IMPORTS)]
             + ["/v1/session/unlock", "/v1/session/sign-out"])


def test_no_staff_endpoint_answers_without_a_valid_session(site):
    for path in ALL_PATHS:
        status, body = raw(site.url, path, {})
        assert (status, body["code"]) == (401, "AUTH_REQUIRED"), path
        status, body = raw(site.url, path, {}, token="not-a-session-token")
        assert (status, body["code"]) == (401, "SESSION_ENDED"), path
    status, body = raw(site.url, "/v1/session", method="GET")
    assert (status, body["code"]) == (401, "AUTH_REQUIRED")


def test_a_tellers_token_cannot_approve(site):
    teller = site.signed_in("T001")
    request = teller.request_revocation(customer_no="C002", channel="mts", reason="lost_device")
    other_teller = site.signed_in("T002")
    refused("FORBIDDEN", lambda: other_teller.approve_request(request.id))
    # Not even with the raw call a modified terminal would make.
    status, body = raw(site.url, "/v1/staff/approve_request", {"request_id": request.id},
                       token=other_teller._token)
    assert (status, body["code"]) == (403, "FORBIDDEN")
    assert site.signed_in("M001").get_request(request.id).status == "pending"
    teller.withdraw_request(request.id)


def test_a_managers_token_cannot_decide_another_branchs_request(site):
    teller = site.signed_in("T201")  # branch 002
    request = teller.request_revocation(customer_no="C003", channel="mts", reason="lost_device")
    other_manager = site.signed_in("M001")  # branch 001
    error = refused("FORBIDDEN", lambda: other_manager.approve_request(request.id))
    assert error.code in CODES
    refused("FORBIDDEN", lambda: other_manager.reject_request(request.id, note="no"))
    assert site.signed_in("M002").get_request(request.id).status == "pending"
    teller.withdraw_request(request.id)


def test_sign_out_ends_every_session_of_the_member(site):
    first, second = site.signed_in("T002"), site.signed_in("T002")
    first.search_customers("홍")
    second.search_customers("홍")
    token = first._token
    first.sign_out()
    status, body = raw(site.url, "/v1/staff/search_customers", {"query": "홍"}, token=token)
    assert (status, body["code"]) == (401, "SESSION_ENDED")
    refused("SESSION_ENDED", lambda: second.search_customers("홍"))
    assert second.actor is None  # the client forgets a token that opens nothing
    refused("AUTH_REQUIRED", lambda: second.search_customers("홍"))


def test_a_commands_own_end_leaves_the_members_other_sessions(site):
    console, command = site.signed_in("T002"), site.signed_in("T002")
    command.sign_out(reason="command_end")
    assert console.search_customers("홍").items


def test_the_idle_lock_is_enforced_by_the_server_and_unlock_checks_the_password(site):
    new_staff(site, "T901")
    console = site.signed_in("T901")
    idle = datetime.now(UTC) - timedelta(minutes=11)  # the policy's 10 minutes, and more
    site.sql("UPDATE staff_session SET last_seen_at = :t WHERE staff_id = "
             "(SELECT id FROM staff WHERE employee_no = 'T901')", t=idle.replace(tzinfo=None))
    refused("SESSION_LOCKED", lambda: console.search_customers("홍"))
    status, body = raw(site.url, "/v1/staff/search_customers", {"query": "홍"},
                       token=console._token)
    assert (status, body["code"]) == (423, "SESSION_LOCKED")
    refused("AUTH_FAILED", lambda: console.unlock("not-the-password-1"))
    refused("SESSION_LOCKED", lambda: console.search_customers("홍"))
    console.unlock(PASSWORD)
    assert console.search_customers("홍").items


def test_a_session_ends_after_its_absolute_lifetime(site):
    new_staff(site, "T902")
    console = site.signed_in("T902")
    old = datetime.now(UTC) - timedelta(hours=10, minutes=1)  # the policy's 10 hours
    site.sql("UPDATE staff_session SET created_at = :t WHERE staff_id = "
             "(SELECT id FROM staff WHERE employee_no = 'T902')", t=old.replace(tzinfo=None))
    token = console._token
    refused("SESSION_ENDED", lambda: console.search_customers("홍"))
    status, body = raw(site.url, "/v1/session/unlock", {"password": PASSWORD}, token=token)
    assert (status, body["code"]) == (401, "SESSION_ENDED")


def test_an_admins_lock_or_deactivation_ends_the_members_sessions(site):
    new_staff(site, "T903")
    console, other = site.signed_in("T903"), site.signed_in("T903")
    first_token = console._token
    # Five failed sign-ins (anyone's guesses) lock the account: every session ends.
    for _ in range(5):
        refused("AUTH_FAILED", lambda: site.remote().sign_in("T903", "wrong-Password-1",
                                                             terminal="guess"))
    refused("SESSION_ENDED", lambda: console.search_customers("홍"))
    refused("SESSION_ENDED", lambda: other.unlock(PASSWORD))
    admin = site.signed_in("A0001")
    admin.unlock_staff("T903")
    again, elsewhere = site.signed_in("T903"), site.signed_in("T903")
    assert admin.lock_staff("T903").locked  # an admin's lock ends them at once
    refused("SESSION_ENDED", lambda: again.search_customers("홍"))
    refused("SESSION_ENDED", lambda: elsewhere.unlock(PASSWORD))
    refused("AUTH_FAILED", lambda: site.signed_in("T903"))
    refused("FORBIDDEN", lambda: site.signed_in("T001").lock_staff("T002"))
    admin.unlock_staff("T903")
    third = site.signed_in("T903")
    site.sql("UPDATE staff SET active = :no WHERE employee_no = 'T903'", no=False)
    refused("SESSION_ENDED", lambda: third.search_customers("홍"))
    status, body = raw(site.url, "/v1/staff/search_customers", {"query": "홍"},
                       token=first_token)
    assert (status, body["code"]) == (401, "SESSION_ENDED")  # ended stays ended


def test_a_token_is_bound_to_the_address_that_signed_in(site):
    console = site.signed_in("T001")
    status, body = raw(site.url, "/v1/staff/search_customers", {"query": "홍"},
                       token=console._token, source="127.0.0.2")
    assert (status, body["code"]) == (401, "SESSION_ENDED")
    assert console.search_customers("홍").items  # the rightful terminal keeps it


def test_malformed_mistyped_and_oversize_bodies_answer_codes(site):
    token = site.signed_in("T001")._token
    status, body = raw(site.url, "/v1/staff/search_customers", b"{not json", token=token)
    assert (status, body["code"]) == (422, "INVALID_INPUT")
    status, body = raw(site.url, "/v1/staff/search_customers", {"query": 5}, token=token)
    assert (status, body["code"], body["field"]) == (422, "INVALID_INPUT", "query")
    status, body = raw(site.url, "/v1/staff/search_customers", {"query": "홍", "x": 1},
                       token=token)
    assert (status, body["code"], body["field"]) == (422, "INVALID_INPUT", "x")
    status, body = raw(site.url, "/v1/staff/get_request", {}, token=token)
    assert (status, body["code"], body["field"]) == (422, "INVALID_INPUT", "request_id")
    status, body = raw(site.url, "/v1/staff/search_customers",
                       b'{"query": "' + b"a" * MAX_BODY_BYTES + b'"}', token=token)
    assert (status, body["code"]) == (413, "PAYLOAD_TOO_LARGE")
    status, body = raw(site.url, "/v1/session/sign-in", [1, 2])
    assert (status, body["code"]) == (422, "INVALID_INPUT")


def test_no_password_or_token_reaches_the_servers_log_or_output(site):
    secret = "Unique-Secret-Password-7431"
    refused("AUTH_FAILED", lambda: site.remote().sign_in("T001", secret, terminal="t"))
    console = site.signed_in("T001")
    console.search_customers("홍")
    token = console._token
    console.sign_out(reason="command_end")
    output = site.output()
    assert "staff_console" in output or "Uvicorn" in output or "uvicorn" in output.lower()
    for text in (secret, PASSWORD, token):
        assert text not in output


def test_the_fixed_clock_is_refused_by_a_real_stores_server(site):
    from fastapi.testclient import TestClient

    from staff_console.server.app import create_app

    app = create_app(site.settings, clock=FixedClock(parse_instant("2026-11-24T10:00:00+09:00")))
    with pytest.raises(ConsoleError) as caught, TestClient(app):
        pass
    assert caught.value.code == "CLOCK_FIXED_REFUSED"


def test_the_server_signs_a_sign_offs_anchor_only_for_the_head_the_trail_recorded(site):
    from dataclasses import replace

    auditor = site.signed_in("AU01")
    month = datetime.now(UTC).strftime("%Y-%m")
    signoff = auditor.sign_off_access_review(month, note="검토")
    forged = replace(signoff, detail={**signoff.detail, "head_seq": 1, "head_hash": "0" * 64})
    anchor = auditor.signoff_anchor(forged)
    assert (anchor.seq, anchor.hash) == (signoff.detail["head_seq"],
                                         signoff.detail["head_hash"])
    refused("NOT_FOUND", lambda: auditor.signoff_anchor(replace(signoff, seq=1)))


def test_a_terminal_name_with_control_characters_is_refused(site):
    error = refused("INVALID_INPUT", lambda: site.remote().sign_in(
        "T001", PASSWORD, terminal="desk\x1b[2J"))
    assert error.field == "terminal"


def test_only_an_admins_token_may_start_the_expiry_batch(site):
    """The batch acts as the system on the server's clock; a branch's or an auditor's session
    cannot set it going on the central store (raw call included)."""
    for who in ("T001", "M001", "AU01"):
        member = site.signed_in(who)
        refused("FORBIDDEN", member.expire_due)
        status, body = raw(site.url, "/v1/staff/expire_due", {}, token=member._token)
        assert (status, body["code"]) == (403, "FORBIDDEN"), who
    assert site.signed_in("A0001").expire_due().credentials_expired >= 0
