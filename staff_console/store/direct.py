"""The hot statements, run on the driver's own cursor.

What every terminal runs all day (searches, customer views, channel logins and registrations,
requests and decisions) is a few dozen Core statements, each executed thousands of times.
SQLAlchemy's `Connection.execute` redoes per call what such a statement does not need again: it
generates a cache key to find the compiled form, builds an execution context, merges execution
options, builds the result metadata, and asks the driver for `cursor.description` (psycopg
builds a Python object per column, every time). Measured on one connection to PostgreSQL on
the benchmark machine: about 130 us of client CPU per statement through SQLAlchemy, 55 us for
the same prepared statement on psycopg's cursor.

A `DirectStatement` is compiled once per dialect, by SQLAlchemy, and keeps what an execution
needs: the SQL text; each bind parameter's name with SQLAlchemy's own bind processor (the
UTCDateTime conversion, SQLite's date strings) and its default, if the statement gave it a
value; the result keys with SQLAlchemy's result processors. It runs on the cursor of the
connection's driver connection, inside that connection's transaction, and returns named tuples
(or rows of a given NamedTuple type). What stays as through SQLAlchemy:

* the SQL text, so the server-side prepared statements (store/prepared.py) are shared;
* the engine's `before_cursor_execute` and `after_cursor_execute` events (observers and the
  tests that count statements see these statements too; `context` is None);
* the exceptions: a driver error is raised as SQLAlchemy's DBAPIError subclass for it
  (IntegrityError, OperationalError, ...), with the connection invalidated on a disconnect, so
  `Store.run`'s retries and the callers' `except IntegrityError` work unchanged. Parameters are
  never put in the message (they hold names, phones and ID hashes).

Refused when compiled, because the SQL text would then depend on the values: parameters the
caller gives that are rendered at execution time (an IN list as a parameter, literal_execute),
and callable defaults. What the statement itself fixes (an IN list of literals, SQLite's
group_concat separator) is rendered once, when it is compiled.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

_REQUIRED = object()
# What the statements return: named tuples of their result keys (`row.status`, `row[0]`).
Row = tuple


class DirectStatement:
    """A Core statement compiled once per dialect and run on the driver's cursor.

    `row_type`: a NamedTuple whose fields are the statement's result keys, in order; rows are
    built as that type. An INSERT is compiled for the columns its parameters give, as
    SQLAlchemy does (once per set of keys)."""

    __slots__ = ("statement", "row_type", "_by_keys", "_compiled")

    def __init__(self, statement: sa.Executable, *, row_type: type | None = None) -> None:
        self.statement = statement
        self.row_type = row_type
        self._by_keys = isinstance(statement, sa.Insert)
        self._compiled: dict[tuple, _Compiled] = {}

    def compiled(self, dialect: Dialect, params: Mapping[str, Any] | None = None) -> _Compiled:
        """The statement as this kind of dialect runs it (what makes the SQL text differ: the
        database, the driver and its parameter style; for an INSERT, the columns given)."""
        keys = frozenset(params or ()) if self._by_keys else None
        key = (dialect.name, dialect.driver, dialect.paramstyle, keys)
        found = self._compiled.get(key)
        if found is None:  # two threads may both compile: the same result, either one is kept
            found = self._compiled[key] = _Compiled(
                self.statement, dialect, sorted(keys) if keys is not None else None,
                self.row_type)
        return found

    def all(self, conn: Connection, params: Mapping[str, Any] | None = None) -> list:
        """Every row."""
        return self._run(conn, params, fetch=True)

    def first(self, conn: Connection, params: Mapping[str, Any] | None = None):
        """The first row, or None."""
        rows = self._run(conn, params, fetch=True)
        return rows[0] if rows else None

    def one(self, conn: Connection, params: Mapping[str, Any] | None = None):
        """Exactly one row (SQLAlchemy's NoResultFound or MultipleResultsFound otherwise)."""
        rows = self._run(conn, params, fetch=True)
        if len(rows) != 1:
            if not rows:
                raise sa.exc.NoResultFound("No row was found when one was required")
            raise sa.exc.MultipleResultsFound("Multiple rows were found when one was required")
        return rows[0]

    def scalar(self, conn: Connection, params: Mapping[str, Any] | None = None):
        """The first column of the first row, or None."""
        rows = self._run(conn, params, fetch=True)
        return rows[0][0] if rows else None

    def execute(self, conn: Connection, params: Mapping[str, Any] | None = None) -> int:
        """Run a statement that returns no rows; returns the driver's rowcount."""
        return self._run(conn, params, fetch=False)

    def execute_many(self, conn: Connection, params: Iterable[Mapping[str, Any]]) -> None:
        """Run a statement that returns no rows once per parameter set, in one driver call
        (psycopg sends them in one round trip)."""
        params = list(params)
        if not params:
            return
        compiled = self.compiled(conn.dialect, params[0])  # one set of columns for all
        _execute(conn, compiled, [compiled.parameters(p) for p in params], fetch=False,
                 many=True)

    def _run(self, conn: Connection, params: Mapping[str, Any] | None, *, fetch: bool):
        params = params or {}
        compiled = self.compiled(conn.dialect, params)
        if fetch and not compiled.returns_rows:
            raise sa.exc.ResourceClosedError("this statement does not return rows")
        return _execute(conn, compiled, compiled.parameters(params), fetch=fetch, many=False)


def _execute(conn: Connection, compiled: _Compiled, values, *, fetch: bool, many: bool):
    dbapi_connection = conn.connection.dbapi_connection
    cursor = dbapi_connection.cursor()
    sql = compiled.sql
    dispatch = conn.dispatch
    try:
        if dispatch.before_cursor_execute:
            for listener in dispatch.before_cursor_execute:
                listener(conn, cursor, sql, values, None, many)
        try:
            if many:
                cursor.executemany(sql, values)
            else:
                cursor.execute(sql, values)
            result = compiled.rows(cursor) if fetch else cursor.rowcount
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _as_sqlalchemy_error(conn, exc, sql, cursor, many) from exc
        if dispatch.after_cursor_execute:
            for listener in dispatch.after_cursor_execute:
                listener(conn, cursor, sql, values, None, many)
        return result
    finally:
        cursor.close()


def _as_sqlalchemy_error(conn: Connection, exc: Exception, sql: str, cursor,
                         many: bool) -> sa.exc.DBAPIError:
    """The driver's error as SQLAlchemy raises it from `Connection.execute`; a connection that
    is gone is invalidated, as SQLAlchemy does, so the pool does not hand it out again."""
    dialect = conn.dialect
    gone = dialect.is_disconnect(exc, conn.connection.dbapi_connection, cursor)
    if gone:
        conn.invalidate(exc)
    return sa.exc.DBAPIError.instance(
        sql, None, exc, dialect.loaded_dbapi.Error, hide_parameters=True,
        connection_invalidated=gone, dialect=dialect, ismulti=many)


class _Compiled:
    """One statement as one dialect runs it."""

    __slots__ = ("sql", "positional", "binds", "returns_rows", "make_row", "processors",
                 "width", "checked")

    def __init__(self, statement: sa.Executable, dialect: Dialect,
                 column_keys: list[str] | None, row_type: type | None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        self.sql = compiled.string
        escaped = compiled.escaped_bind_names or {}
        positiontup = compiled.positiontup if compiled.positional else None
        late = compiled.literal_execute_params | compiled.post_compile_params
        expanded: dict[str, Any] = {}  # the parameters an IN list of literals became
        if late:
            # Rendered into the text at execution time. What the statement fixes (an IN list
            # of literals, SQLite's group_concat separator) is rendered now, once; what the
            # caller gives would make the text depend on the values: refused.
            if any(bind.required for bind in late):
                raise sa.exc.ArgumentError(
                    "a DirectStatement cannot have caller-given parameters rendered at "
                    "execution time (expanding IN lists, literal_execute)")
            state = compiled.construct_expanded_state(
                {bind.key: None for bind in compiled.bind_names if bind.required})
            self.sql = state.statement
            positiontup = state.positiontup
            named = set(compiled.bind_names.values())
            for name, value in state.parameters.items():
                if name not in named:
                    processor = (state.processors or {}).get(name)
                    expanded[name] = processor(value) if processor is not None else value
        # The expansion leaves the late ones out of the text; they are not parameters then.
        in_text = set(positiontup) if positiontup is not None else None
        # (key the caller uses, name the SQL uses, processor, processed default or _REQUIRED);
        # the caller's key is looked up first, then the compiled name, as SQLAlchemy's
        # construct_params does.
        self.binds: list[tuple[str, str, Any, Any]] = []
        for bind, name in compiled.bind_names.items():
            if bind in late or (in_text is not None and escaped.get(name, name) not in in_text):
                continue
            if bind.callable is not None:
                raise sa.exc.ArgumentError(f"parameter {name}: callable defaults are not "
                                           "supported by a DirectStatement")
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if bind.required:
                default = _REQUIRED
            else:
                value = bind.effective_value
                default = processor(value) if processor is not None else value
            self.binds.append((bind.key, escaped.get(name, name), processor, default))
        self.binds += [(name, name, None, value) for name, value in expanded.items()]
        self.positional = ([escaped.get(n, n) for n in positiontup]
                           if positiontup is not None else None)

        columns = statement.exported_columns
        keys = list(columns.keys())
        self.returns_rows = bool(keys)
        self.width = len(keys)
        self.checked = False
        self.processors = [
            (index, processor) for index, column in enumerate(columns)
            if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None))
            is not None]
        if row_type is not None:
            if tuple(keys) != tuple(row_type._fields):
                raise sa.exc.ArgumentError(
                    f"{row_type.__name__} fields {row_type._fields} are not the statement's "
                    f"result keys {tuple(keys)}")
            self.make_row = row_type._make
        elif keys:
            self.make_row = namedtuple("Row", keys)._make  # fails loudly on a bad key
        else:
            self.make_row = None

    def parameters(self, params: Mapping[str, Any]):
        """The driver's parameters: a dict for named styles, a list for positional ones."""
        values = {}
        for key, name, processor, default in self.binds:
            if key in params:
                value = params[key]
            elif name in params:
                value = params[name]
            elif default is _REQUIRED:
                raise sa.exc.ArgumentError(f"a value is required for parameter {key!r}")
            else:
                values[name] = default
                continue
            values[name] = processor(value) if processor is not None else value
        if self.positional is not None:
            return [values[name] for name in self.positional]
        return values

    def rows(self, cursor) -> list:
        raw = cursor.fetchall()
        if not self.checked:
            # Once per dialect: the keys were taken from the statement, the values come from
            # the server; they must line up.
            if raw and len(raw[0]) != self.width:
                raise sa.exc.InvalidRequestError(
                    f"the statement returned {len(raw[0])} columns, expected {self.width}")
            self.checked = bool(raw)
        make_row = self.make_row
        if not self.processors:
            return [make_row(r) for r in raw]
        processors = self.processors
        out = []
        for r in raw:
            values = list(r)
            for index, processor in processors:
                values[index] = processor(values[index])
            out.append(make_row(values))
        return out
