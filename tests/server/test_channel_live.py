"""The channel API through live server processes on one store: 100 concurrent retries of one
registration with one Idempotency-Key, spread over two processes, make exactly one
registration; a channel key opens no staff route and no event stream; health and OpenAPI."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from staff_console.domain.errors import ConsoleError

BODY = {"customer_no": "C007", "device_id": "C007-web-1", "methods": ["pin"],
        "verified": ["id_card", "one_won", "phone"]}


@pytest.fixture(scope="module")
def key(site) -> str:
    return site.local("A0001").create_channel_key("web", name="web-test").secret


def test_concurrent_retries_make_one_registration(site, key):
    urls = site.urls if len(site.urls) > 1 else [site.url, site.start()]
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "retry-storm-1"}

    def call(i: int) -> httpx.Response:
        return httpx.post(f"{urls[i % 2]}/v1/channel/web/registrations", json=BODY,
                          headers=headers, timeout=60)

    with ThreadPoolExecutor(max_workers=100) as pool:
        answers = list(pool.map(call, range(100)))
    assert {a.status_code for a in answers} == {200}, {a.text for a in answers}
    bodies = {(a.json()["request_id"], a.json()["credential_id"]) for a in answers}
    assert len(bodies) == 1
    assert sum(a.headers.get("Idempotent-Replayed") != "true" for a in answers) == 1
    ((request_id, _credential_id),) = bodies
    pending = [r for r in site.local("M002").list_approvals()
               if r.customer_no == "C007" and r.channel == "web"]
    assert [r.id for r in pending] == [request_id]
    assert site.local("AU01").verify_audit().ok


def test_a_channel_key_opens_no_staff_route(site, key):
    auth = {"Authorization": f"Bearer {key}"}
    for path, body in [("/v1/staff/search_customers", {"query": "홍"}),
                       ("/v1/staff/show_customer", {"customer_no": "C001"}),
                       ("/v1/staff/list_approvals", {})]:
        answer = httpx.post(f"{site.url}{path}", json=body, headers=auth)
        assert answer.status_code == 401, answer.text
        assert answer.json()["code"] in ("AUTH_REQUIRED", "SESSION_ENDED")
        assert "C001" not in answer.text and "홍" not in answer.text
    assert httpx.get(f"{site.url}/v1/events", headers=auth).status_code == 401


def test_a_staff_session_is_no_channel_key(site):
    token = site.signed_in("A0001").session_token()
    answer = httpx.post(f"{site.url}/v1/channel/web/registrations", json=BODY,
                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "s-1"})
    assert answer.status_code == 401 and answer.json()["code"] == "AUTH_REQUIRED"


def test_the_answer_tells_nothing_more_than_the_call(site, key):
    answer = httpx.post(f"{site.url}/v1/channel/web/logins", json={
        "customer_no": "C001", "device_id": "C001-web", "result": "ok"},
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "login-1"})
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) == {"credential_id", "result", "status", "failed_logins"}


def test_health_and_openapi(site):
    assert httpx.get(f"{site.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{site.url}/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    paths = httpx.get(f"{site.url}/openapi.json").json()["paths"]
    assert {"/v1/channel/{channel}/registrations", "/v1/channel/{channel}/logins",
            "/v1/channel/{channel}/revocations", "/v1/events"} <= set(paths)


def test_readyz_says_when_the_store_is_gone(fresh_site):
    url = fresh_site.start()
    fresh_site.sql("ALTER TABLE setting RENAME TO setting_away")  # the store unusable
    try:
        ready = httpx.get(f"{url}/readyz")
        alive = httpx.get(f"{url}/healthz")
    finally:
        fresh_site.sql("ALTER TABLE setting_away RENAME TO setting")
    assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
    assert alive.status_code == 200
    assert httpx.get(f"{url}/readyz").status_code == 200


def test_an_admin_manages_keys_through_the_server(site):
    admin = site.signed_in("A0001")
    created = admin.create_channel_key("mts", name="mts-remote")
    assert created.secret.startswith("sck_mts_") and created.key.created_by == "A0001"
    call = {"Authorization": f"Bearer {created.secret}", "Idempotency-Key": "remote-1"}
    body = {"customer_no": "C002", "device_id": "C002-mts", "result": "ok"}
    assert httpx.post(f"{site.url}/v1/channel/mts/logins", json=body,
                      headers=call).status_code == 200
    assert created.key.id in [k.id for k in admin.list_channel_keys()]
    assert admin.revoke_channel_key(created.key.id).revoked_at is not None
    refused = httpx.post(f"{site.url}/v1/channel/mts/logins", json=body,
                         headers={**call, "Idempotency-Key": "remote-2"})
    assert refused.status_code == 401
    teller = site.signed_in("T001")
    with pytest.raises(ConsoleError) as info:
        teller.list_channel_keys()
    assert info.value.code == "FORBIDDEN"
