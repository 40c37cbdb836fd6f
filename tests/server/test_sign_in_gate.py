"""A flood of sign-ins cannot take the server (server/limits.py VerificationGate): each costs
one argon2 verification, so a process verifies only a few at once, a few more wait on the
event loop (no thread), and any beyond are refused RATE_LIMITED at once."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient
from helpers import PASSWORD

from staff_console.domain.errors import ConsoleError
from staff_console.server.app import create_app
from staff_console.server.limits import VerificationGate, verification_slots


def test_the_gate_lets_its_slots_verify_queues_the_waiting_and_refuses_the_rest():
    async def scenario() -> list:
        gate = VerificationGate(slots=1, waiting=1)
        seen: list = []
        release = asyncio.Event()

        async def sign_in(name: str) -> None:
            async with gate.admit():
                seen.append((name, "verifying", gate.inside))
                await release.wait()

        first = asyncio.create_task(sign_in("first"))
        second = asyncio.create_task(sign_in("second"))
        await asyncio.sleep(0)
        assert seen == [("first", "verifying", 1)] and gate.inside == 2  # the second waits
        with pytest.raises(ConsoleError) as refused:
            async with gate.admit():
                pass
        assert refused.value.code == "RATE_LIMITED"
        assert gate.inside == 2  # a refusal takes no room
        release.set()
        await asyncio.gather(first, second)
        seen.append(("after", gate.inside))
        async with gate.admit():  # room again
            seen.append(("again", gate.inside))
        return seen

    assert asyncio.run(scenario()) == [("first", "verifying", 1), ("second", "verifying", 1),
                                       ("after", 0), ("again", 1)]


def test_a_failed_verification_frees_its_slot():
    async def scenario() -> int:
        gate = VerificationGate(slots=1, waiting=0)
        for _ in range(3):
            with pytest.raises(ValueError):
                async with gate.admit():
                    raise ValueError("the sign-in failed")
        return gate.inside

    assert asyncio.run(scenario()) == 0


def test_a_process_verifies_on_half_its_cores_and_at_least_one():
    assert verification_slots() >= 1


def test_the_sign_in_and_the_unlock_pass_the_gate(site):
    app = create_app(site.settings)
    with TestClient(app) as client:
        signed = client.post("/v1/session/sign-in", json={
            "employee_no": "T001", "password": PASSWORD, "terminal": "desk"})
        assert signed.status_code == 200
        token = signed.json()["token"]
        app.state.verifications = VerificationGate(slots=0, waiting=0)  # no room at all
        for path, body, headers in [
                ("/v1/session/sign-in", {"employee_no": "T001", "password": PASSWORD,
                                         "terminal": "desk"}, {}),
                ("/v1/session/unlock", {"password": PASSWORD},
                 {"authorization": f"Bearer {token}"})]:
            answer = client.post(path, json=body, headers=headers)
            assert answer.status_code == 429, path
            assert answer.json()["code"] == "RATE_LIMITED", path
            assert answer.headers["retry-after"] == "1", path
        # Calls that verify no password do not queue behind sign-ins.
        assert client.post("/v1/staff/list_branches", json={},
                           headers={"authorization": f"Bearer {token}"}).status_code == 200
