"""The service matrix for one customer (DOMAIN.md section 4): which mobile-web services the
customer can use now, and if not, why not."""

from __future__ import annotations

from svc_helpers import activate, events_after, execute, last_seq, refused

from staff_console.services.customer_view import service_matrix
from staff_console.services.expiry import expire_due
from staff_console.services.intake import record_login
from staff_console.services.requests import approve_request, request_revocation

ALL = {
    "simple_login", "register", "change_pin", "revoke", "guide", "my_assets",
    "investor_profile", "info_consent", "change_info", "find_account", "incident_report",
    "sms_alert", "close_account", "bank_transfer_end", "otp_incident", "overseas_stock",
    "fx_transfer_end",
}
OPEN_WITHOUT_CREDENTIAL = {"register", "guide"}


def answers(world, customer_no, actor=None):
    rows = service_matrix(world.backend, actor or world.teller, customer_no, clock=world.clock)
    return {r.code: (r.available, r.reason_code) for r in rows}


def test_the_matrix_has_the_17_services_of_the_manual(world):
    rows = service_matrix(world.backend, clock=world.clock)
    assert len(rows) == 17 and {r.code for r in rows} == ALL
    by_code = {r.code: r for r in rows}
    assert by_code["close_account"].name == "계좌폐쇄"
    assert by_code["register"].verification == "nonface3"
    assert by_code["guide"].online_trading is False
    assert all(r.online_trading for r in rows if r.code != "guide")
    assert all(r.available is None for r in rows)


def test_without_a_web_credential_only_register_and_guide(world):
    got = answers(world, "C001")
    assert {c for c, (ok, _) in got.items() if ok} == OPEN_WITHOUT_CREDENTIAL
    assert {why for c, (ok, why) in got.items() if not ok} == {"NOT_REGISTERED"}


def test_an_mts_credential_does_not_open_the_web(world):
    activate(world, "C001", "mts", "phone-1")
    got = answers(world, "C001")
    assert {c for c, (ok, _) in got.items() if ok} == OPEN_WITHOUT_CREDENTIAL


def test_an_active_web_credential_opens_all_17(world):
    activate(world, "C001", "web", "chrome")
    got = answers(world, "C001")
    assert got == {code: (True, None) for code in ALL}


def test_a_locked_web_credential(world):
    activate(world, "C001", "web", "chrome")
    for _ in range(5):
        record_login(world.backend, customer_no="C001", channel="web", device_id="chrome",
                     result="fail", clock=world.clock)
    got = answers(world, "C001")
    assert {c for c, (ok, _) in got.items() if ok} == OPEN_WITHOUT_CREDENTIAL
    assert {why for _, (ok, why) in got.items() if not ok} == {"CREDENTIAL_LOCKED"}


def test_an_expired_web_credential_before_and_after_the_batch(world):
    activate(world, "C001", "web", "chrome")
    world.at("2029-11-25T09:00:00+09:00")
    for _ in range(2):
        got = answers(world, "C001")
        assert {c for c, (ok, _) in got.items() if ok} == OPEN_WITHOUT_CREDENTIAL
        assert {why for _, (ok, why) in got.items() if not ok} == {"CREDENTIAL_EXPIRED"}
        expire_due(world.backend, clock=world.clock)


def test_a_revoked_web_credential_is_not_registered(world):
    b, c = world.backend, world.clock
    activate(world, "C001", "web", "chrome")
    req = request_revocation(b, world.teller, customer_no="C001", channel="web",
                             reason="customer_request", clock=c)
    approve_request(b, world.manager, req.id, clock=c)
    got = answers(world, "C001")
    assert {why for _, (ok, why) in got.items() if not ok} == {"NOT_REGISTERED"}


def test_a_corporation(world):
    got = answers(world, "C005")
    assert got["guide"] == (True, None)
    assert {code: why for code, (_, why) in got.items() if code != "guide"} == {
        code: "INELIGIBLE_CORPORATION" for code in ALL - {"guide"}}


def test_a_foreigner(world):
    got = answers(world, "C004")
    assert got["guide"] == (True, None)
    assert {why for code, (_, why) in got.items() if code != "guide"} == {"INELIGIBLE_FOREIGNER"}


def test_no_online_trading_closes_everything_but_the_guide(world):
    got = answers(world, "C006")
    assert got["guide"] == (True, None)
    assert {code: why for code, (_, why) in got.items() if code != "guide"} == {
        code: "NO_ONLINE_TRADING" for code in ALL - {"guide"}}


def test_no_online_trading_wins_over_an_active_credential(world):
    activate(world, "C002", "web", "chrome")
    execute(world.backend, "UPDATE customer SET online_trading = :f WHERE customer_no = 'C002'",
            f=False)
    got = answers(world, "C002")
    assert {c for c, (ok, _) in got.items() if ok} == {"guide"}


def test_the_matrix_for_a_customer_is_an_access_event(world):
    b = world.backend
    seq = last_seq(b)
    answers(world, "C002")
    [e] = events_after(b, seq)
    assert (e["action"], e["category"], e["actor"], e["customer_no"]) == (
        "customer.matrix", "access", "T001", "C002")


def test_a_customers_matrix_needs_a_reader(world):
    with refused("FORBIDDEN"):
        service_matrix(world.backend, world.admin, "C001", clock=world.clock)
    with refused("FORBIDDEN"):
        service_matrix(world.backend, None, "C001", clock=world.clock)
    with refused("NOT_FOUND"):
        service_matrix(world.backend, world.teller, "C999", clock=world.clock)
