-- Roles for a central PostgreSQL store behind the console server (docs/deployment.md). Run as a
-- superuser or the database owner, in the console's database, after `staff-console db init`
-- (and again after an upgrade that adds tables). Replace the passwords.
-- tests/concurrency/test_privileges.py runs this file (with another role name) and drives the
-- use cases as the server's role.
--
-- Terminals have NO database role: they are clients of `staff-console serve` (issue 14) and
-- hold no database URL and no key. The only things that connect to the database are the
-- server processes (this role) and whoever runs the migrations (the owner).

-- Owns the schema and runs the migrations (`staff-console db init`, the demo loader).
-- CREATE ROLE staff_console_owner LOGIN PASSWORD 'change-me';
-- ALTER DATABASE staff_console OWNER TO staff_console_owner;
-- (run `db init` as this role, so that it owns every table it creates)

-- What every server process connects as: reads and writes rows, changes no schema. Each
-- process holds a pool of 10 connections (plus its sealer's): size the limit for your servers.
-- CREATE ROLE staff_console_server LOGIN PASSWORD 'change-me' CONNECTION LIMIT 100;

-- (CONNECT: PUBLIC has it by default; if you revoked it:
--  GRANT CONNECT ON DATABASE staff_console TO staff_console_server;)
GRANT USAGE ON SCHEMA public TO staff_console_server;

-- Reference data and people.
GRANT SELECT, INSERT ON branch TO staff_console_server;
GRANT SELECT, INSERT, UPDATE ON staff, delegation, setting TO staff_console_server;
-- Customers are imported, never edited; UPDATE is needed because SELECT ... FOR UPDATE (the
-- per-customer lock every credential change takes) requires it.
GRANT SELECT, INSERT, UPDATE ON customer TO staff_console_server;
GRANT SELECT, INSERT ON account, verification TO staff_console_server;
GRANT SELECT, INSERT, UPDATE ON credential, request TO staff_console_server;

-- The server's own tables (migration 0005): staff sessions (touched, locked, ended), the
-- channels' API keys (revoked), the channel API's first answers (written once, never changed).
GRANT SELECT, INSERT, UPDATE ON staff_session, channel_key TO staff_console_server;
GRANT SELECT, INSERT, DELETE ON idempotency_record TO staff_console_server;

-- The audit trail: append-only for the server. No UPDATE, no DELETE, no TRUNCATE on
-- audit_event. The head row is moved (UPDATE) by whoever extends the chain; the outbox is
-- emptied (DELETE) by the seal that chains its rows.
GRANT SELECT, INSERT ON audit_event TO staff_console_server;
GRANT SELECT, UPDATE ON audit_head TO staff_console_server;
GRANT SELECT, INSERT, DELETE ON audit_outbox TO staff_console_server;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM staff_console_server;

-- Serial ids.
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO staff_console_server;

-- The server only reads the migration version.
GRANT SELECT ON alembic_version TO staff_console_server;
