"""Two server processes over one store: sessions are the store's (a token from one server works
on the other, a sign-out on one ends it on both), concurrent approvals of one request through
both give exactly one decision, and the single audit chain verifies after."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from helpers import PASSWORD
from live_server import SITE_BACKENDS, Site, make_site

from staff_console.api.remote import RemoteConsole
from staff_console.domain.errors import ConsoleError


@pytest.fixture(scope="module", params=SITE_BACKENDS)
def pair(request, tmp_path_factory):
    for site in make_site(request.param, tmp_path_factory.mktemp("pair")):
        site.start()
        site.start()
        yield site


def test_a_session_is_the_stores_not_a_process(pair: Site):
    first, second = pair.urls
    console = RemoteConsole(first)
    console.sign_in("T001", PASSWORD, terminal="desk")
    same = RemoteConsole(second)
    same._token = console._token  # the same terminal, its request balanced to the other server
    assert same.search_customers("홍").items
    console.sign_out()
    with pytest.raises(ConsoleError) as caught:
        same.search_customers("홍")
    assert caught.value.code == "SESSION_ENDED"


@pytest.mark.parametrize(("customer", "channel"), [("C001", "mts"), ("C002", "mts"),
                                                   ("C001", "web")])
def test_concurrent_approvals_through_two_servers_give_one_decision(pair: Site, customer,
                                                                    channel):
    first, second = pair.urls
    teller = pair.signed_in("T001", first)
    made = teller.request_revocation(customer_no=customer, channel=channel,
                                     reason="lost_device")
    # The manager at two terminals, one per server, and a delegate at two: all approve at once.
    manager = pair.signed_in("M001", first)
    now = datetime.now(UTC)
    grant = manager.grant_delegation(delegate_employee_no="T002",
                                     valid_from=now - timedelta(minutes=1),
                                     valid_until=now + timedelta(hours=1))
    deciders = [manager, pair.signed_in("M001", second), pair.signed_in("T002", first),
                pair.signed_in("T002", second)]
    barrier = threading.Barrier(len(deciders))
    answers: list = []

    def decide(console):
        barrier.wait()
        try:
            answers.append(console.approve_request(made.id).status)
        except ConsoleError as exc:
            answers.append(exc.code)

    threads = [threading.Thread(target=decide, args=(c,)) for c in deciders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(answers).count("approved") == 1, answers
    assert set(answers) - {"approved"} <= {"ALREADY_DECIDED"}, answers
    manager.end_delegation(grant.id)
    decided = pair.signed_in("M001", second).get_request(made.id)
    assert decided.status == "approved" and decided.decider in ("M001", "T002")
    detail = pair.signed_in("M001", second).show_customer(customer)
    assert getattr(detail, channel) is None  # revoked once


def test_the_chain_verifies_after_both_servers_wrote_it(pair: Site):
    auditor = pair.signed_in("AU01", pair.urls[1])
    verdict = auditor.verify_audit()
    assert verdict.ok and verdict.problem is None, verdict


def test_a_kept_alive_connection_closed_meanwhile_is_replaced_once(pair: Site):
    import socket

    console = pair.signed_in("T001")
    assert console._connection is not None
    console._connection.sock.shutdown(socket.SHUT_RDWR)  # as an idle timeout would
    assert console.search_customers("홍길동").items
    console.sign_out(reason="command_end")
