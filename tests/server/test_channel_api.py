"""The channel API in process (FastAPI's TestClient and the server's error answers), served
both ways it can be: by the routes (FastAPI's router) and by server/channel_calls.py's ASGI
middleware in front of them (then the routes fail if they are reached): keys, the key's own
channel, idempotency, limits, validation, self-service revocation. The same calls
through live server processes are in test_channel_live.py."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from helpers import CHEAP_ARGON2, PASSWORD, TEST_KEY, World

from staff_console.api.local import LocalConsole
from staff_console.domain.channels import IDEMPOTENCY_RETENTION_DAYS
from staff_console.domain.errors import ConsoleError
from staff_console.domain.policy import Policy
from staff_console.server import errors, routes_channel
from staff_console.server.channel_calls import ChannelCalls
from staff_console.server.routes_channel import MAX_BODY, channel_limiter, channel_router
from staff_console.services import channel_keys, event_feed, sessions
from staff_console.services.backend import Backend
from staff_console.services.expiry import expire_due
from staff_console.store.engine import Store, make_engine
from staff_console.store.keyring import Keyring

REGISTRATION = {"customer_no": "C001", "device_id": "phone-1", "methods": ["pin", "pattern"],
                "verified": ["id_card", "one_won", "phone"]}


SERVED_BY = "router"  # or "asgi": the `served_by` fixture sets it for each test


@pytest.fixture(autouse=True, params=["router", "asgi"])
def served_by(request, monkeypatch):
    monkeypatch.setattr(f"{__name__}.SERVED_BY", request.param)


def _app(world: World, monkeypatch, rate: str | None = None) -> TestClient:
    if rate is not None:
        monkeypatch.setenv("STAFF_CONSOLE_CHANNEL_RATE", rate)
    world.backend.clock = world.clock
    app = FastAPI()
    errors.install(app)
    app.state.backend = world.backend
    limiter = channel_limiter()
    app.include_router(channel_router(limiter))  # also the OpenAPI description
    if SERVED_BY == "asgi":
        app.add_middleware(ChannelCalls, limiter=limiter)

        def reached(*args, **kwargs):
            raise AssertionError("a channel call reached the router")

        monkeypatch.setattr(routes_channel, "channel_answer", reached)
    return TestClient(app, raise_server_exceptions=False)


def _key(world: World, channel: str = "mts") -> str:
    return channel_keys.create_key(world.backend, world.admin, channel, clock=world.clock).secret


def _post(client, path, body, key, idem="k-1", **headers):
    headers = {"Authorization": f"Bearer {key}", **headers}
    if idem is not None:
        headers["Idempotency-Key"] = idem
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(path, content=data, headers=headers)


@pytest.fixture
def client(world, monkeypatch):
    return _app(world, monkeypatch)


def _requests(world: World) -> list:
    return LocalConsole(world.backend, world.manager).list_approvals()


def test_registration_login_and_self_revocation(world, client):
    key = _key(world)
    answer = _post(client, "/v1/channel/mts/registrations", REGISTRATION, key)
    assert answer.status_code == 200, answer.text
    created = answer.json()
    assert set(created) == {"request_id", "credential_id", "status"}
    assert created["status"] == "pending"
    LocalConsole(world.backend, world.manager).approve_request(created["request_id"])
    login = _post(client, "/v1/channel/mts/logins",
                  {"customer_no": "C001", "device_id": "phone-1", "result": "ok"}, key, "k-2")
    assert login.status_code == 200 and login.json()["status"] == "active"
    revoked = _post(client, "/v1/channel/mts/revocations",
                    {"customer_no": "C001", "device_id": "phone-1"}, key, "k-3")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json() == {"credential_id": created["credential_id"], "status": "revoked"}
    detail = LocalConsole(world.backend, world.manager).show_customer("C001")
    assert detail.mts is None  # no current MTS credential
    assert [c.status for c in detail.history if c.id == created["credential_id"]] == ["revoked"]
    events = LocalConsole(world.backend, world.auditor).list_events(customer_no="C001").items
    revocation = [e for e in events if e.action == "credential.revoked"][0]
    assert revocation.actor == "channel" and revocation.terminal == "mts"
    assert revocation.detail["via"] == "self_service"
    assert revocation.detail["actor"] == f"credential:{created['credential_id']}"


def test_self_revocation_needs_a_recent_login(world, client):
    key = _key(world)
    created = _post(client, "/v1/channel/mts/registrations", REGISTRATION, key).json()
    LocalConsole(world.backend, world.manager).approve_request(created["request_id"])
    body = {"customer_no": "C001", "device_id": "phone-1"}
    refused = _post(client, "/v1/channel/mts/revocations", body, key, "r-1")
    assert refused.status_code == 401
    assert refused.json()["code"] == "AUTH_REQUIRED" and refused.json()["field"] == "login"
    _post(client, "/v1/channel/mts/logins", {**body, "result": "ok"}, key, "l-1")
    world.clock.instant += timedelta(minutes=11)
    late = _post(client, "/v1/channel/mts/revocations", body, key, "r-2")
    assert late.json()["code"] == "AUTH_REQUIRED"
    other_device = _post(client, "/v1/channel/mts/revocations",
                         {**body, "device_id": "phone-2"}, key, "r-3")
    assert other_device.json()["code"] == "NOT_REGISTERED"


def test_a_retry_returns_the_first_answer_and_registers_once(world, client):
    key = _key(world)
    first = _post(client, "/v1/channel/mts/registrations", REGISTRATION, key, "same")
    again = _post(client, "/v1/channel/mts/registrations", REGISTRATION, key, "same")
    assert again.status_code == first.status_code == 200
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(_requests(world)) == 1


def test_a_refusal_is_the_first_answer_too(world, client):
    key = _key(world)
    ineligible = {**REGISTRATION, "customer_no": "C005"}  # a corporation
    first = _post(client, "/v1/channel/mts/registrations", ineligible, key, "corp")
    assert first.status_code == 409 and first.json()["code"] == "INELIGIBLE_CORPORATION"
    again = _post(client, "/v1/channel/mts/registrations", ineligible, key, "corp")
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"


def test_the_same_key_with_another_body_is_a_conflict(world, client):
    key = _key(world)
    _post(client, "/v1/channel/mts/registrations", REGISTRATION, key, "one")
    other = _post(client, "/v1/channel/mts/registrations",
                  {**REGISTRATION, "device_id": "phone-9"}, key, "one")
    assert other.status_code == 409 and other.json()["code"] == "IDEMPOTENCY_CONFLICT"
    elsewhere = _post(client, "/v1/channel/mts/logins",
                      {"customer_no": "C001", "device_id": "phone-1", "result": "ok"}, key, "one")
    assert elsewhere.json()["code"] == "IDEMPOTENCY_CONFLICT"
    assert len(_requests(world)) == 1


def test_every_write_needs_an_idempotency_key(world, client):
    answer = _post(client, "/v1/channel/mts/registrations", REGISTRATION, _key(world), idem=None)
    assert answer.status_code == 422
    assert answer.json()["code"] == "INVALID_INPUT"
    assert answer.json()["field"] == "Idempotency-Key"
    assert _requests(world) == []


@pytest.mark.parametrize("key", [None, "", "sck_mts_not-a-key", "a-session-token-like-value"])
def test_no_valid_key_no_answer(world, client, key):
    headers = {"Idempotency-Key": "x"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    answer = client.post("/v1/channel/mts/registrations", content=json.dumps(REGISTRATION),
                         headers=headers)
    assert answer.status_code == 401 and answer.json()["code"] == "AUTH_REQUIRED"
    assert _requests(world) == []


def test_a_revoked_key_is_refused(world, client):
    key = _key(world)
    key_id = channel_keys.list_keys(world.backend, world.admin, clock=world.clock)[0].id
    LocalConsole(world.backend, world.admin).revoke_channel_key(key_id)
    answer = _post(client, "/v1/channel/mts/registrations", REGISTRATION, key)
    assert answer.status_code == 401 and answer.json()["code"] == "AUTH_REQUIRED"


def test_a_key_acts_for_its_own_channel_only(world, client):
    web_key = _key(world, "web")
    answer = _post(client, "/v1/channel/mts/registrations", REGISTRATION, web_key)
    assert answer.status_code == 403 and answer.json()["code"] == "FORBIDDEN"
    assert _requests(world) == []


def test_oversize_and_malformed_bodies_answer_codes(world, client):
    key = _key(world)
    big = _post(client, "/v1/channel/mts/registrations",
                {**REGISTRATION, "device_model": "x" * MAX_BODY}, key, "big")
    assert big.status_code == 413 and big.json()["code"] == "PAYLOAD_TOO_LARGE"
    for body, field in [(b"{not json", "body"), (b"[1, 2]", "body"),
                        ({**REGISTRATION, "methods": "pin"}, "methods"),
                        ({**REGISTRATION, "extra": 1}, "extra"),
                        ({k: v for k, v in REGISTRATION.items() if k != "customer_no"},
                         "customer_no"),
                        ({**REGISTRATION, "biometrics": "iris"}, "biometrics")]:
        answer = _post(client, "/v1/channel/mts/registrations", body, key, f"bad-{field}")
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["code"] == "INVALID_INPUT" and answer.json()["field"] == field
    rule = _post(client, "/v1/channel/mts/registrations",
                 {**REGISTRATION, "verified": ["id_card", "phone"]}, key, "two-kinds")
    assert rule.json()["code"] == "VERIFICATION_INCOMPLETE"
    assert _requests(world) == []


def test_the_rate_limit_is_per_key(world, monkeypatch):
    client = _app(world, monkeypatch, rate="1/3")
    key, other = _key(world), _key(world)
    body = {"customer_no": "C002", "device_id": "phone-1", "result": "ok"}
    codes = [_post(client, "/v1/channel/mts/logins", body, key, f"r{i}").json()["code"]
             for i in range(4)]
    assert codes[:3] == ["NOT_REGISTERED"] * 3 and codes[3] == "RATE_LIMITED"
    assert _post(client, "/v1/channel/mts/logins", body, other, "o1").json()["code"] == \
        "NOT_REGISTERED"


def test_keys_are_for_admins_and_audited(world):
    with pytest.raises(ConsoleError) as refused:
        LocalConsole(world.backend, world.manager).create_channel_key("mts")
    assert refused.value.code == "FORBIDDEN"
    admin = LocalConsole(world.backend, world.admin)
    created = admin.create_channel_key("web", name="web-01")
    assert created.secret.startswith("sck_web_") and len(created.secret) > 40
    listed = admin.list_channel_keys()
    assert [(k.channel, k.name, k.created_by, k.revoked_at) for k in listed] == \
        [("web", "web-01", "A0001", None)]
    revoked = admin.revoke_channel_key(created.key.id)
    assert revoked.revoked_at is not None
    actions = [e.action for e in LocalConsole(world.backend, world.auditor).list_events().items]
    assert "channel_key.created" in actions and "channel_key.revoked" in actions
    trail = json.dumps([e.detail for e in LocalConsole(world.backend, world.auditor)
                        .list_events().items], ensure_ascii=False)
    assert created.secret not in trail


def test_openapi_documents_the_channel_bodies(world, client):
    schema = client.get("/openapi.json")
    paths = schema.json()["paths"]
    body = paths["/v1/channel/{channel}/registrations"]["post"]["requestBody"]
    assert "verified" in body["content"]["application/json"]["schema"]["properties"]


GRANTS = Path(__file__).resolve().parents[2] / "docs" / "postgresql-grants.sql"


@pytest.mark.parametrize("db_url", ["pg"], indirect=True)
def test_the_server_role_of_the_grants_runs_the_server(world, monkeypatch):
    """docs/postgresql-grants.sql's role is enough for the server's own tables: sessions,
    channel keys, idempotent answers, the event feed (the use cases: test_privileges.py)."""
    admin_engine = sa.create_engine(world.backend.store.engine.url, isolation_level="AUTOCOMMIT")
    role = f"sc_server_{uuid.uuid4().hex[:8]}"
    statements = [s.strip() for s in "\n".join(
        line for line in GRANTS.read_text().splitlines() if not line.lstrip().startswith("--")
    ).split(";") if s.strip()]
    with admin_engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
        for statement in statements:
            conn.exec_driver_sql(statement.replace("staff_console_server", f'"{role}"'))
    url = world.backend.store.engine.url.set(username=role)
    server = Backend(store=Store(make_engine(url.render_as_string(hide_password=False)),
                                 Keyring(TEST_KEY)), policy=Policy(), **CHEAP_ARGON2)
    try:
        signed = sessions.sign_in(server, "M001", PASSWORD, terminal="t", client_address="a",
                                  clock=world.clock)
        sessions.resolve(server, signed.token, client_address="a", clock=world.clock,
                         allow_locked=False, touch=True)
        key = LocalConsole(server, world.admin).create_channel_key("mts").secret
        client = _app(dataclasses.replace(world, backend=server), monkeypatch)
        first = _post(client, "/v1/channel/mts/registrations", REGISTRATION, key, "g-1")
        again = _post(client, "/v1/channel/mts/registrations", REGISTRATION, key, "g-1")
        assert first.status_code == 200 and again.json() == first.json()
        batch = event_feed.poll(server, 0, [sessions.token_hash(signed.token)],
                                clock=world.clock)
        assert batch.sessions and batch.head > 0
        LocalConsole(server, world.admin).revoke_channel_key(1)
        sessions.sign_out(server, signed.token, client_address="a", clock=world.clock)
        # The expiry batch on the server role, past the answers' retention: it deletes them.
        world.clock.advance(days=IDEMPOTENCY_RETENTION_DAYS + 1)
        assert LocalConsole(server, world.admin).expire_due().answers_purged == 1
    finally:
        server.store.dispose()
        with admin_engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE usename = :r"), {"r": role})
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
        admin_engine.dispose()


def test_answers_are_kept_for_their_retention_then_the_batch_forgets_them(world, client):
    """A retry within IDEMPOTENCY_RETENTION_DAYS replays; the expiry batch deletes older answers
    (they may hold a customer's number), and only those."""
    key = _key(world)
    old = _post(client, "/v1/channel/mts/registrations", REGISTRATION, key, "old")
    world.clock.advance(days=IDEMPOTENCY_RETENTION_DAYS, seconds=1)
    recent = _post(client, "/v1/channel/mts/registrations",
                   {**REGISTRATION, "customer_no": "C002"}, key, "recent")
    assert expire_due(world.backend, clock=world.clock).answers_purged == 1
    assert expire_due(world.backend, clock=world.clock).answers_purged == 0
    replay = _post(client, "/v1/channel/mts/registrations",
                   {**REGISTRATION, "customer_no": "C002"}, key, "recent")
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json() == recent.json()
    # The old key is forgotten: the same call now is a new call with an answer of its own.
    again = _post(client, "/v1/channel/mts/registrations", REGISTRATION, key, "old")
    assert "Idempotent-Replayed" not in again.headers
    assert again.json() != old.json()
