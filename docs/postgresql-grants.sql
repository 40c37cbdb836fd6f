-- Roles for a central PostgreSQL store (docs/postgresql.md). Run as a superuser or the database
-- owner, in the console's database, after `staff-console db init` (and again after an upgrade
-- that adds tables). Replace the passwords. tests/concurrency/test_privileges.py runs this file
-- (with other role names) and drives the console as the terminal role.

-- Owns the schema and runs the migrations (`staff-console db init`, the demo loader).
-- CREATE ROLE staff_console_owner LOGIN PASSWORD 'change-me';
-- ALTER DATABASE staff_console OWNER TO staff_console_owner;
-- (run `db init` as this role, so that it owns every table it creates)

-- What every terminal connects as: reads and writes rows, changes no schema.
-- CREATE ROLE staff_console_terminal LOGIN PASSWORD 'change-me' CONNECTION LIMIT 400;

-- (CONNECT: PUBLIC has it by default; if you revoked it:
--  GRANT CONNECT ON DATABASE staff_console TO staff_console_terminal;)
GRANT USAGE ON SCHEMA public TO staff_console_terminal;

-- Reference data and people.
GRANT SELECT, INSERT ON branch TO staff_console_terminal;
GRANT SELECT, INSERT, UPDATE ON staff, delegation, setting TO staff_console_terminal;
-- Customers are imported, never edited; UPDATE is needed because SELECT ... FOR UPDATE (the
-- per-customer lock every credential change takes) requires it.
GRANT SELECT, INSERT, UPDATE ON customer TO staff_console_terminal;
GRANT SELECT, INSERT ON account, verification TO staff_console_terminal;
GRANT SELECT, INSERT, UPDATE ON credential, request TO staff_console_terminal;

-- The audit trail: append-only for terminals. No UPDATE, no DELETE, no TRUNCATE on
-- audit_event. The head row is moved (UPDATE) by whoever extends the chain; the outbox is
-- emptied (DELETE) by the seal that chains its rows.
GRANT SELECT, INSERT ON audit_event TO staff_console_terminal;
GRANT SELECT, UPDATE ON audit_head TO staff_console_terminal;
GRANT SELECT, INSERT, DELETE ON audit_outbox TO staff_console_terminal;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM staff_console_terminal;

-- Serial ids.
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO staff_console_terminal;

-- Terminals only read the migration version.
GRANT SELECT ON alembic_version TO staff_console_terminal;
