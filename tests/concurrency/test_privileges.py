"""The role of docs/postgresql-grants.sql is enough to run the console server's use cases
(terminals have no database role), and the server cannot rewrite the audit trail (no UPDATE or
DELETE on audit_event)."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers import register
from race_helpers import assert_store_consistent, terminal_backend

from staff_console.services.customer_search import search_customers
from staff_console.services.customer_view import show_customer
from staff_console.services.intake import record_login
from staff_console.services.requests import approve_request, request_revocation

GRANTS = Path(__file__).resolve().parents[2] / "docs" / "postgresql-grants.sql"


def _statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


@pytest.fixture
def terminal_role(db_url):
    admin = sa.create_engine(db_url, isolation_level="AUTOCOMMIT")
    role = f"sc_terminal_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
        for statement in _statements(GRANTS.read_text()):
            conn.exec_driver_sql(statement.replace("staff_console_server", f'"{role}"'))
    url = sa.engine.make_url(db_url).set(username=role).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE usename = :r"), {"r": role})
        conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
        conn.exec_driver_sql(f'DROP ROLE "{role}"')
    admin.dispose()


@pytest.mark.parametrize("db_url", ["pg"], indirect=True)
def test_a_terminal_runs_with_the_documented_grants(world, terminal_role):
    clock = world.clock
    term = terminal_backend(terminal_role)
    try:
        assert term.store.run(lambda s: s.execute(sa.text("SELECT current_user")).scalar()) \
            .startswith("sc_terminal_")
        search_customers(term, world.teller, "홍", clock=clock)
        show_customer(term, world.teller, "C001", clock=clock)
        intake = register(dataclasses.replace(world, backend=term))
        approve_request(term, world.manager, intake.request_id, clock=clock)
        record_login(term, customer_no="C001", channel="mts", device_id="dev-1", result="ok",
                     clock=clock)
        req = request_revocation(term, world.teller, customer_no="C001", channel="mts",
                                 reason="lost_device", clock=clock)
        approve_request(term, world.manager, req.id, clock=clock)
        assert term.store.seal_pending() == 0
        # Append-only for terminals: the audit trail cannot be rewritten from a terminal.
        for statement in ("UPDATE audit_event SET detail = '{}' WHERE seq = 1",
                          "DELETE FROM audit_event WHERE seq = 1",
                          "TRUNCATE audit_event",
                          "ALTER TABLE audit_event ADD COLUMN x int"):
            with pytest.raises(sa.exc.ProgrammingError) as info, term.store.engine.begin() as c:
                c.exec_driver_sql(statement)
            assert "permission denied" in str(info.value) or "must be owner" in str(info.value)
    finally:
        term.store.dispose()
    assert_store_consistent(world.backend)
