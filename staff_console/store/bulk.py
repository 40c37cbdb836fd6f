"""Bulk loading into an empty store (the demo's up to 1,000,000 customers): the SQL side.

The caller makes rows as dicts keyed by column name, in chunks; `prepare` turns one chunk into
what the database's bulk path takes (tuples for sqlite3 `executemany`, or text for PostgreSQL
`COPY ... FROM STDIN`), and can run in a generator process; `load` writes the chunks in the
caller's transaction. The secondary indexes of the bulk tables are dropped first and re-created
afterwards from the database's own definitions (same names, same SQL as the migration), which is
also when the partial unique indexes re-check the invariants. The setup a load needs (empty
store?, which staff and branches exist, adding them) is here too: the caller does no SQL.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from .tables import BRANCH, CUSTOMER, STAFF

log = logging.getLogger(__name__)

# The columns a bulk load writes, per table, in foreign-key order of the tables.
COLUMNS: dict[str, tuple[str, ...]] = {
    "customer": ("id", "customer_no", "name", "name_chosung", "id_hash", "id_cipher",
                 "id_masked", "birth_yymmdd", "customer_type", "nationality", "phone",
                 "phone_digits", "phone_last4", "online_trading", "branch_code", "created_at"),
    "account": ("account_no", "customer_id"),
    "credential": ("id", "customer_id", "channel", "status", "device_id", "device_model",
                   "biometrics", "methods", "key_fingerprint", "created_at", "activated_at",
                   "valid_until", "last_used_at", "failed_logins", "ended_at", "end_reason",
                   "replaced_by"),
    "request": ("id", "kind", "customer_id", "channel", "credential_id", "branch_code", "origin",
                "maker_staff_id", "status", "reason", "note", "created_at", "expires_at",
                "decided_at", "decider_staff_id", "authority", "delegation_id", "decision_note"),
    "verification": ("id", "request_id", "kind", "passed", "verified_at", "detail"),
}
BULK_TABLES = tuple(COLUMNS)
_ROW_OF = {table: itemgetter(*columns) for table, columns in COLUMNS.items()}
Row = dict[str, Any]


def timestamp(dt: datetime | None) -> str | None:
    """A naive UTC datetime in SQLAlchemy's storage format (always with microseconds), which
    PostgreSQL's COPY parses as the same timestamp."""
    return None if dt is None else dt.isoformat(" ", "microseconds")


@dataclass
class Batch:
    """One chunk ready for the database: tuples (SQLite) or COPY text (PostgreSQL), and the
    number of rows per table."""

    rows: dict[str, list[tuple]]
    text: dict[str, bytes]
    counts: dict[str, int]


def _copy_text(rows: list[tuple], columns: int) -> bytes:
    """COPY text format. Bulk values never hold a tab, newline or backslash; the counts below
    prove it for every chunk, so no escaping is needed."""
    text = "".join(
        ["\t".join(["\\N" if v is None else str(v) for v in row]) + "\n" for row in rows])
    if (text.count("\n") != len(rows) or text.count("\t") != len(rows) * (columns - 1)
            or text.count("\\") != text.count("\\N")):
        raise AssertionError("bulk value with a tab, newline or backslash")
    return text.encode()


def prepare(chunk: dict[str, list[Row]], *, copy_text: bool) -> Batch:
    """One chunk of dict rows (table -> rows keyed by column) as the database takes it."""
    unknown = set(chunk) - set(COLUMNS)
    if unknown:
        raise ValueError(f"not a bulk table: {sorted(unknown)}")
    rows = {t: list(map(_ROW_OF[t], chunk.get(t, ()))) for t in BULK_TABLES}
    counts = {t: len(r) for t, r in rows.items()}
    if copy_text:
        return Batch({}, {t: _copy_text(r, len(COLUMNS[t])) for t, r in rows.items() if r}, counts)
    return Batch(rows, {}, counts)


# ---------------------------------------------------------------- setup of an empty store

def customer_count(s: sa.Connection) -> int:
    return s.execute(sa.select(sa.func.count()).select_from(CUSTOMER)).scalar_one()


def existing_employee_numbers(s: sa.Connection, numbers: Sequence[str]) -> list[str]:
    return sorted(s.execute(sa.select(STAFF.c.employee_no)
                            .where(STAFF.c.employee_no.in_(numbers))).scalars())


def add_missing_branches(s: sa.Connection, branches: Iterable[tuple[str, str]]) -> None:
    """(code, name) pairs; a branch that exists is kept as it is."""
    have = set(s.execute(sa.select(BRANCH.c.code)).scalars())
    new = [{"code": code, "name": name} for code, name in dict(branches).items()
           if code not in have]
    if new:
        s.execute(sa.insert(BRANCH), new)


def add_staff(s: sa.Connection, members: Iterable[Row]) -> dict[str, int]:
    """Staff rows (employee_no, name, branch_code, role, password_hash, created_at); returns
    their ids by employee number."""
    ids: dict[str, int] = {}
    for member in members:  # a few dozen: one INSERT ... RETURNING each
        ids[member["employee_no"]] = s.execute(
            sa.insert(STAFF).values(member).returning(STAFF.c.id)).scalar_one()
    return ids


# ---------------------------------------------------------------- the writers

class _Timer:
    """Where the load's time goes (logged at INFO): waiting for rows vs. the database."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {"wait for rows": 0.0}
        self.mark = time.perf_counter()
        self.counts: dict[str, int] = dict.fromkeys(BULK_TABLES, 0)

    def batches(self, batches: Iterator[Batch]) -> Iterator[Batch]:
        while True:
            begun = time.perf_counter()
            batch = next(batches, None)
            self.laps["wait for rows"] += time.perf_counter() - begun
            if batch is None:
                return
            for key, n in batch.counts.items():
                self.counts[key] += n
            yield batch

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        waited = self.laps["wait for rows"] if name == "insert" else 0.0
        self.laps[name] = now - self.mark - waited
        self.mark = now

    def report(self) -> None:
        log.info("bulk load: %s", ", ".join(f"{k} {v:.1f}s" for k, v in self.laps.items()))


def load(s: sa.Connection, batches: Iterable[Batch]) -> dict[str, int]:
    """Write the batches in the caller's transaction with the driver's bulk path (prepared
    with `copy_text=is_postgres(s)`). Returns the rows written per table."""
    raw = s.connection.driver_connection
    if is_postgres(s):
        return _load_postgres(raw, iter(batches))
    return _load_sqlite(raw, iter(batches))


def is_postgres(s: sa.Connection) -> bool:
    return s.dialect.name == "postgresql"


def _self_references(cur) -> dict[str, list[int]]:
    """Per bulk table, the positions (in COLUMNS) of the columns with a foreign key into the
    same table (credential.replaced_by)."""
    found: dict[str, list[int]] = {}
    for table, columns in COLUMNS.items():
        for row in cur.execute(f'PRAGMA foreign_key_list("{table}")').fetchall():
            parent, child_column = row[2], row[3]
            if parent == table and child_column in columns:
                found.setdefault(table, []).append(columns.index(child_column))
    return found


def _without_self_references(rows: list[tuple], positions: list[int], ids: list[tuple]) -> list[tuple]:
    """The rows with their self-references set aside in `ids` as (value, position, row id),
    written afterwards by `_set_self_references`. A deferred foreign key that is unresolved
    while rows are inserted makes SQLite scan the whole table for every later row (the scan
    runs only while a violation is outstanding): the load would be quadratic."""
    out = rows
    for position in positions:
        if any(row[position] is not None for row in out):
            ids.extend((row[position], position, row[0]) for row in out if row[position] is not None)
            out = [row[:position] + (None,) + row[position + 1:] for row in out]
    return out


def _set_self_references(cur, table: str, ids: list[tuple]) -> None:
    columns = COLUMNS[table]
    for position in sorted({p for _v, p, _id in ids}):
        cur.executemany(f'UPDATE "{table}" SET "{columns[position]}" = ? WHERE "{columns[0]}" = ?',
                        [(value, row_id) for value, p, row_id in ids if p == position])


def _load_sqlite(raw, batches: Iterator[Batch]) -> dict[str, int]:
    """executemany, with the secondary indexes dropped meanwhile and re-created from their
    stored SQL (the migration's own statements); self-references written after the rows."""
    cur = raw.cursor()
    names = ", ".join(f"'{t}'" for t in BULK_TABLES)
    indexes = cur.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({names}) ORDER BY name").fetchall()
    self_references = _self_references(cur)
    deferred: dict[str, list[tuple]] = {table: [] for table in self_references}
    cache = cur.execute("PRAGMA cache_size").fetchone()[0]
    threads = cur.execute("PRAGMA threads").fetchone()[0]
    cur.execute("PRAGMA cache_size = -262144")  # 256 MiB while loading and indexing
    spent = _Timer()
    try:
        for name, _sql in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        statements = {
            t: f'INSERT INTO "{t}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})'
            for t, cols in COLUMNS.items()
        }
        for batch in spent.batches(batches):
            for table, rows in batch.rows.items():
                if table in self_references:
                    rows = _without_self_references(rows, self_references[table], deferred[table])
                if rows:
                    cur.executemany(statements[table], rows)
        for table, ids in deferred.items():
            _set_self_references(cur, table, ids)
        spent.lap("insert")
        # The generators are done: let SQLite sort for CREATE INDEX on the free cores too.
        cur.execute(f"PRAGMA threads = {min(4, os.cpu_count() or 1)}")
        for _name, sql in indexes:
            cur.execute(sql)
        spent.lap("index")
        spent.report()
    finally:
        cur.execute(f"PRAGMA cache_size = {int(cache)}")
        cur.execute(f"PRAGMA threads = {int(threads)}")
        cur.close()
    return spent.counts


def _load_postgres(raw, batches: Iterator[Batch]) -> dict[str, int]:
    """COPY FROM STDIN; the secondary indexes (those that back no constraint) are dropped
    meanwhile and re-created from pg_get_indexdef, the foreign keys likewise."""
    spent = _Timer()
    with raw.cursor() as cur:
        # The transaction waits for generated rows between statements: not idle for long, but
        # the terminal default (idle_in_transaction_session_timeout) is not meant for a load.
        cur.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cur.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relname = ANY(%s) AND t.relnamespace = current_schema()::regnamespace "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid) "
            "ORDER BY i.relname", (list(BULK_TABLES),))
        indexes = cur.fetchall()
        # Foreign keys into and among the bulk tables: checked row by row by triggers during
        # COPY, in one join each when added back (ALTER TABLE ... ADD CONSTRAINT validates).
        cur.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
            "WHERE c.contype = 'f' AND t.relname = ANY(%s) "
            "AND t.relnamespace = current_schema()::regnamespace ORDER BY 1, 2",
            (list(BULK_TABLES),))
        foreign_keys = cur.fetchall()
        for table, name, _definition in foreign_keys:
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _sql in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        statements = {t: f'COPY "{t}" ({", ".join(cols)}) FROM STDIN' for t, cols in COLUMNS.items()}
        for batch in spent.batches(batches):
            for table, payload in batch.text.items():
                with cur.copy(statements[table]) as copy:
                    copy.write(payload)
        spent.lap("insert")
        for _name, sql in indexes:
            cur.execute(sql)
        spent.lap("index")
        for table, name, definition in foreign_keys:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        spent.lap("foreign keys")
        for table in ("customer", "credential", "request", "verification"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM \"{table}\"), false)")
        cur.execute("ANALYZE " + ", ".join(f'"{t}"' for t in BULK_TABLES))
        spent.lap("analyze")
        spent.report()
    return spent.counts
