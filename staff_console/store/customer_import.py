"""The statements of a customer import: a staging area, set-based checks, one bulk insert.

Why a staging area: a file of a million rows must be neither held in memory nor written while
holding the store's write lock. Validated rows are written in batches into TEMP tables on the
import's own connection. On SQLite a TEMP table lives in the connection's temporary database
(an unlinked file, `temp_store=FILE`), so writing it takes no lock on the store's file: other
terminals keep searching and writing while the file is read. On PostgreSQL a TEMP table is
private to the session and written with COPY. Then one short transaction (`ImportStage.run`;
on SQLite BEGIN IMMEDIATE, the write lock) checks the staged rows against the store with
set-based statements and copies them with INSERT ... SELECT.

The connection is the import's alone for its whole life and is closed at the end (not handed
back to the pool), so no TEMP table or connection setting outlives the import.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from ..domain.errors import ConsoleError
from .engine import is_transient
from .failures import classify, is_disconnect
from .tables import ACCOUNT, BIG_INTEGER, BRANCH, CUSTOMER

T = TypeVar("T")

_CUSTOMER = CUSTOMER
_ACCOUNT = ACCOUNT
_BRANCH = BRANCH
_META = sa.MetaData()

# The customer columns an import writes (all but `id` and `created_at`), in this order in the
# rows given to `ImportStage.add`.
CUSTOMER_COLUMNS = (
    "customer_no", "name", "name_chosung", "id_hash", "id_cipher", "id_masked", "birth_yymmdd",
    "customer_type", "nationality", "phone", "phone_digits", "phone_last4", "online_trading",
    "branch_code",
)
STAGE_CUSTOMER = sa.Table(
    "import_stage_customer", _META,
    sa.Column("line", BIG_INTEGER, primary_key=True, autoincrement=False),
    *[sa.Column(name, sa.Boolean if name == "online_trading" else sa.String)
      for name in CUSTOMER_COLUMNS],
    sa.Column("accounts", sa.Integer),
    prefixes=["TEMPORARY"],
)
# One row per account of a staged customer; `seq` is the order in the file. (The keys are
# SQLite's rowid: no second B-tree to keep while staging.)
STAGE_ACCOUNT = sa.Table(
    "import_stage_account", _META,
    sa.Column("seq", BIG_INTEGER, primary_key=True, autoincrement=False),
    sa.Column("line", sa.BigInteger),
    sa.Column("account_no", sa.String),
    sa.Column("customer_no", sa.String),
    prefixes=["TEMPORARY"],
)
_SC, _SA = STAGE_CUSTOMER.c, STAGE_ACCOUNT.c


class Finding(NamedTuple):
    """A staged row that cannot go in: `check` names the rule (CHECKS), `value` what broke it,
    `other_line` the earlier line it repeats (for the checks within the file)."""

    line: int
    check: str
    value: str | None
    other_line: int | None
    seq: int = 0


def _repeats(table: sa.Table, key: str, order: str, value: str | None) -> sa.Select:
    """Rows whose `key` appeared on an earlier row of the file, with that row's line."""
    first = sa.func.min(table.c.line).over(partition_by=table.c[key]).label("first_line")
    rank = sa.func.row_number().over(partition_by=table.c[key], order_by=table.c[order])
    inner = sa.select(table.c.line, table.c[order].label("seq"),
                      (table.c[value] if value else sa.null()).label("value"),
                      first, rank.label("rank")).subquery()
    return sa.select(inner.c.line, inner.c.value, inner.c.first_line, inner.c.seq).where(
        inner.c.rank > 1)


def _against(stage: sa.Table, key: str, stored_key, value, seq: str) -> sa.Select:
    """Staged rows whose `key` the store already holds."""
    return sa.select(stage.c.line, value.label("value"), sa.null().label("first_line"),
                     stage.c[seq].label("seq")).where(sa.exists().where(stored_key == stage.c[key]))


# In the order they are reported for one line (as the import always reported them).
CHECKS: dict[str, sa.Select] = {
    "customer_no_repeated": _repeats(STAGE_CUSTOMER, "customer_no", "line", None),
    "id_number_repeated": _repeats(STAGE_CUSTOMER, "id_hash", "line", None),
    "branch_unknown": sa.select(_SC.line, _SC.branch_code.label("value"),
                                sa.null().label("first_line"), _SC.line.label("seq")).where(
        ~sa.exists().where(_BRANCH.c.code == _SC.branch_code)),
    "account_repeated": _repeats(STAGE_ACCOUNT, "account_no", "seq", "account_no"),
    "customer_no_exists": _against(STAGE_CUSTOMER, "customer_no", _CUSTOMER.c.customer_no,
                                   _SC.customer_no, "line"),
    "id_number_exists": _against(STAGE_CUSTOMER, "id_hash", _CUSTOMER.c.id_hash, sa.null(),
                                 "line"),
    "account_exists": _against(STAGE_ACCOUNT, "account_no", _ACCOUNT.c.account_no,
                               _SA.account_no, "seq"),
}

# Whether a check finds anything: a key repeats if it has fewer distinct values than rows
# (one pass, no window); the others stop at their first row.
def _repeat_count(table: sa.Table, key: str) -> sa.Select:
    return sa.select(sa.func.count() - sa.func.count(sa.distinct(table.c[key])))


_PROBES = {check: sa.select(sa.exists(statement)) for check, statement in CHECKS.items()} | {
    "customer_no_repeated": _repeat_count(STAGE_CUSTOMER, "customer_no"),
    "id_number_repeated": _repeat_count(STAGE_CUSTOMER, "id_hash"),
    "account_repeated": _repeat_count(STAGE_ACCOUNT, "account_no"),
}

_INSERT_CUSTOMERS = sa.insert(_CUSTOMER).from_select(
    [*CUSTOMER_COLUMNS, "created_at"],
    sa.select(*[_SC[name] for name in CUSTOMER_COLUMNS],
              sa.bindparam("now", type_=_CUSTOMER.c.created_at.type)).order_by(_SC.line))
_INSERT_ACCOUNTS = sa.insert(_ACCOUNT).from_select(
    ["account_no", "customer_id"],
    sa.select(_SA.account_no, _CUSTOMER.c.id).join_from(
        STAGE_ACCOUNT, _CUSTOMER, _CUSTOMER.c.customer_no == _SA.customer_no).order_by(_SA.seq))
_STAGED_PAGE = sa.select(_SC.line, _SC.customer_no, _SC.accounts).where(
    _SC.line > sa.bindparam("after")).order_by(_SC.line).limit(sa.bindparam("size"))


class ImportStage:
    """The staging area of one import, on a connection of its own (a context manager)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._conn: sa.Connection | None = None
        self.staged = 0

    def __enter__(self) -> ImportStage:
        with self._failures():
            self._conn = self._engine.connect()
        try:
            self._open()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _open(self) -> None:
        raw = self._raw
        if not self._postgres:
            # The staging rows go to an unlinked temporary file, not to memory. This bulk
            # writer reads the store through a bounded page cache, larger than a terminal's
            # (64 MiB: the insert updates nine indexes of `customer`; 16 MiB made it 25%
            # slower), rather than the memory map the terminals use (mapped pages would count
            # as this process's memory, growing with the store).
            for pragma in ("temp_store=FILE", "temp.cache_size=-8192", "mmap_size=0",
                           "cache_size=-65536"):
                raw.execute(f"PRAGMA {pragma}")
        # Driver statements, outside SQLAlchemy's transaction: on SQLite its BEGIN is
        # IMMEDIATE (the write lock), which staging must not take.
        for table in (STAGE_CUSTOMER, STAGE_ACCOUNT):
            self._driver(f"DROP TABLE IF EXISTS {table.name}",
                         str(sa.schema.CreateTable(table).compile(dialect=self._engine.dialect)))

    def __exit__(self, *exc) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            # Closed, not pooled: its TEMP tables and settings end with it.
            conn.invalidate()
            conn.close()

    @property
    def _raw(self):
        assert self._conn is not None  # inside the import's connection
        return self._conn.connection.driver_connection

    @contextmanager
    def _failures(self) -> Iterator[None]:
        """A failure of the store as the rest of the console names it: a code (disk full,
        read-only, unreachable), else SQLAlchemy's exception for the driver's."""
        dbapi_error = self._engine.dialect.loaded_dbapi.Error
        try:
            yield
        except (DBAPIError, dbapi_error) as exc:
            wrapped = exc if isinstance(exc, DBAPIError) else DBAPIError.instance(
                None, None, exc, dbapi_error, hide_parameters=True, dialect=self._engine.dialect)
            if is_disconnect(wrapped):
                raise ConsoleError("STORE_UNAVAILABLE", "the store did not answer; nothing was "
                                   "imported") from exc
            known = classify(wrapped)
            if known is not None:
                raise known from exc
            if wrapped is exc:
                raise
            raise wrapped from exc

    def _driver(self, *statements: str) -> None:
        with self._failures():
            self._driver_unchecked(*statements)

    def _driver_unchecked(self, *statements: str) -> None:
        raw = self._raw
        if self._postgres:
            with raw.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
            raw.commit()
            return
        raw.execute("BEGIN")  # deferred: writes to the temporary database only
        try:
            for statement in statements:
                raw.execute(statement)
            raw.execute("COMMIT")
        except BaseException:
            raw.execute("ROLLBACK")
            raise

    def add(self, customers: list[tuple], accounts: list[tuple]) -> None:
        """Stage a batch: customer rows as (line, *CUSTOMER_COLUMNS, number of accounts),
        account rows as (seq, line, account_no, customer_no)."""
        raw = self._raw
        with self._failures():
            if self._postgres:
                with raw.cursor() as cursor:
                    for table, rows in ((STAGE_CUSTOMER, customers), (STAGE_ACCOUNT, accounts)):
                        if rows:
                            columns = ", ".join(c.name for c in table.columns)
                            with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
                                for row in rows:
                                    copy.write_row(row)
                raw.commit()
            else:
                raw.execute("BEGIN")
                try:
                    for table, rows in ((STAGE_CUSTOMER, customers), (STAGE_ACCOUNT, accounts)):
                        if rows:
                            marks = ", ".join("?" * len(table.columns))
                            raw.executemany(f"INSERT INTO {table.name} VALUES ({marks})", rows)
                    raw.execute("COMMIT")
                except BaseException:
                    raw.execute("ROLLBACK")
                    raise
        self.staged += len(customers)

    def findings(self, first: int, session: sa.Connection | None = None,
                 ) -> tuple[int, list[Finding]]:
        """How many staged rows break a rule, and the first `first` of them by line (then in
        CHECKS order). Without `session`: on the driver connection outside any transaction,
        so the store's write lock is not taken (each statement reads a snapshot of its own;
        the final insert is guarded by the store's unique keys, see the service). With a
        session: in its transaction."""
        total, found = 0, []
        for check, statement in CHECKS.items():
            probe = _PROBES[check]  # cheap: a file without the problem is the common case
            if not (session.execute(probe).scalar_one() if session is not None
                    else self._read(probe)[0][0]):
                continue
            sub = statement.subquery()
            count_of = sa.select(sa.func.count()).select_from(sub)
            first_of = sa.select(sub).order_by(sub.c.line, sub.c.seq).limit(first)
            rows: Sequence[Any]
            if session is not None:
                conn = session
                count = conn.execute(count_of).scalar_one()
                rows = conn.execute(first_of).all() if count else []
            else:
                [(count,)] = self._read(count_of)
                rows = self._read(first_of) if count else []
            total += count
            found += [Finding(line, check, value, other, seq)
                      for line, value, other, seq in rows]
        order = list(CHECKS)
        found.sort(key=lambda f: (f.line, order.index(f.check), f.seq))
        return total, found[:first]

    def _read(self, statement: sa.Select) -> list[tuple]:
        sql = str(statement.compile(dialect=self._engine.dialect,
                                    compile_kwargs={"literal_binds": True}))
        raw = self._raw
        with self._failures():
            if not self._postgres:
                return raw.execute(sql).fetchall()  # autocommit: a read snapshot, no lock
            try:
                with raw.cursor() as cursor:
                    return cursor.execute(sql).fetchall()
            finally:
                raw.rollback()

    def insert(self, session: sa.Connection, now) -> None:
        """Copy the staged customers and their accounts into the store."""
        conn = session
        conn.execute(_INSERT_CUSTOMERS, {"now": now})
        conn.execute(_INSERT_ACCOUNTS)

    def staged_pages(self, session: sa.Connection, size: int) -> Iterator[Sequence[sa.Row]]:
        """The staged customers (line, customer_no, accounts) in file order, `size` at a
        time (a page per statement: memory stays flat however long the file)."""
        conn = session
        after = 0
        while True:
            page = conn.execute(_STAGED_PAGE, {"after": after, "size": size}).all()
            if not page:
                return
            yield page
            after = page[-1].line

    def run(self, work: Callable[[sa.Connection, bool], T], *, attempts: int = 3,
            backoff: float = 0.1) -> T:
        """`work(session, again)` in one transaction on this connection (where the staging
        tables are), committed if it returns. A transient failure (SQLite busy past its
        timeout, a serialization failure) or a unique key taken by another terminal since the
        checks runs it again with `again` True (it should then check in the transaction). A
        lost connection loses the staging area with it: STORE_UNAVAILABLE."""
        for attempt in range(attempts):
            committing = False
            try:
                conn = self._conn
                assert conn is not None  # inside the import's connection
                with conn.begin():
                    result = work(conn, attempt > 0)
                    committing = True
                return result
            except DBAPIError as exc:
                if is_disconnect(exc):
                    raise ConsoleError(
                        "STORE_UNAVAILABLE",
                        "the connection to the store was lost during the import; "
                        + ("the outcome is unknown: search for the file's customers before "
                           "importing it again" if committing else "nothing was imported"),
                    ) from exc
                if not (is_transient(exc) or isinstance(exc, IntegrityError)):
                    known = classify(exc)
                    if known is None:
                        raise
                    raise known from exc
                if attempt + 1 >= attempts:
                    if isinstance(exc, IntegrityError):
                        raise  # not a race: the checks passed twice
                    raise ConsoleError(
                        "STORE_UNAVAILABLE",
                        "the store stayed busy; nothing was imported, try again") from exc
                time.sleep(backoff * (2 ** attempt))
        raise AssertionError("unreachable")
