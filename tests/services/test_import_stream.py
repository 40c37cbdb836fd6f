"""The streamed import (services/customer_import.py): bounded lines and reports, encodings,
multi-line records, the final transaction under a race, events in pages, flat memory, and
searches on the same SQLite file that never meet a lock while a file is read."""

from __future__ import annotations

import io
import threading
import time
import tracemalloc

import pytest
import sqlalchemy as sa
from svc_helpers import query, refused, row_counts, scalar, snapshot

from staff_console.domain.errors import ConsoleError
from staff_console.services import customer_import
from staff_console.services.audit_trail import verify_audit
from staff_console.services.backend import Backend
from staff_console.services.customer_import import (
    MAX_LINE_CHARS,
    MAX_REPORTED,
    import_customers,
    import_customers_file,
)
from staff_console.services.customer_search import search_customers
from staff_console.store.engine import Store, make_engine

HEADER = "customer_no,name,id_number,phone,branch_code,online_trading,account_nos\n"


def _rows(n: int, *, start: int = 0, prefix: str = "G") -> str:
    """n valid, unique rows (distinct numbers, names, RRNs, phones and accounts)."""
    out = []
    for i in range(start, start + n):
        rrn = f"{70 + i % 30:02d}{1 + i % 12:02d}{1 + i % 28:02d}-{1 + i % 2}{i:06d}"
        out.append(f"{prefix}{i:07d},고객{i},{rrn},010-{5000 + i // 10000:04d}-{i % 10000:04d},"
                   f"00{1 + i % 2},Y,{77000000000 + i}\n")
    return "".join(out)


def _import(world, body, **kwargs):
    return import_customers(world.backend, world.admin, HEADER + body, clock=world.clock,
                            **kwargs)


def _problem_lines(message: str) -> list[int]:
    return [int(line.split()[1].rstrip(":")) for line in message.splitlines()
            if line.startswith("line ")]


# ---------------------------------------------------------------- what is reported

def test_a_refusal_lists_the_first_problems_and_counts_the_rest(world):
    everything = snapshot(world.backend)
    bad = "".join(f"B{i:05d},이름,800101-123456,010-1111-2222,001,Y,\n" for i in range(250))
    with refused("INVALID_INPUT", "file") as info:
        _import(world, _rows(3) + bad)
    message = info.value.message
    assert message.startswith("250 problem(s), nothing imported")
    assert _problem_lines(message) == list(range(5, 5 + MAX_REPORTED))
    assert message.rstrip().endswith(f"... and {250 - MAX_REPORTED} more")
    assert snapshot(world.backend) == everything


def test_problems_of_every_kind_are_merged_in_line_order_and_capped(world):
    """Parse errors and the set-based checks (in the file, against the store) together."""
    lines = []
    for i in range(120):
        if i % 3 == 0:
            lines.append(f"R{i:05d},이름,800101-123456,010-1111-2222,001,Y,\n")  # bad RRN
        elif i % 3 == 1:
            lines.append(f"C001,이름{i},800101-1{i:06d},010-1111-2222,001,Y,\n")  # stored
        else:
            lines.append(f"S{i:05d},이름{i},800101-1{i:06d},010-1111-2222,999,Y,\n")  # branch
    with refused("INVALID_INPUT") as info:
        _import(world, "".join(lines))
    message = info.value.message
    # 40 RRNs; C001 40 times stored and 39 times repeated in the file; 40 branches
    assert message.startswith("159 problem(s)")
    reported = _problem_lines(message)
    assert len(reported) == MAX_REPORTED and reported == sorted(reported)
    assert "line 3: customer_no: C001 exists" in message
    assert "line 6: customer_no: same as line 3" in message
    assert "line 4: branch_code: branch 999 does not exist" in message


def test_a_record_over_several_lines_is_numbered_from_its_first_line(world):
    body = ('"M001","홍\n길동",900505-1234567,010-1000-2000,001,Y,\n'  # lines 2-3: a line feed
            "M002,김철수,900506-1234567,02-1000-2000,001,Y,\n")  # line 4: landline
    with refused("INVALID_INPUT") as info:
        _import(world, body)
    assert _problem_lines(info.value.message) == [2, 4]
    assert "line 2: name" in info.value.message and "U+000A" in info.value.message


@pytest.mark.parametrize("name", ["\x1b[2J홍길동", "홍\u202e동길", "홍\u200b길동", "홍\x85길동", " "])
def test_names_from_a_file_are_untrusted_text(world, name):
    with refused("INVALID_INPUT") as info:
        _import(world, f"N001,{name},900505-1234567,010-1000-2000,001,Y,\n")
    assert "line 2: name" in info.value.message
    assert "\x1b" not in info.value.message and "\u202e" not in info.value.message


def test_too_many_accounts_and_a_bad_branch_code(world):
    many = ";".join(str(66000000000 + i) for i in range(21))
    with refused("INVALID_INPUT") as info:
        _import(world, f"N001,가,900505-1234567,010-1000-2000,001,Y,{many}\n"
                       f"N002,나,900506-1234567,010-1000-2001,{'1' * 11},Y,\n")
    assert "line 2: account_nos: at most 20" in info.value.message
    assert "line 3: branch_code: must be 1 to 10" in info.value.message


def test_a_line_without_end_is_refused_not_read_into_memory(world):
    everything = snapshot(world.backend)
    with refused("INVALID_INPUT", "file") as info:
        _import(world, "N001," + "가" * (MAX_LINE_CHARS + 10))
    assert f"line 2 is longer than {MAX_LINE_CHARS}" in info.value.message
    assert snapshot(world.backend) == everything


def test_a_quote_that_never_closes_is_refused(world):
    with refused("INVALID_INPUT", "file") as info:
        _import(world, _rows(2) + 'N001,"가,900505-1234567,010-1000-2000,001,Y,\n' + _rows(2))
    assert "line 4" in info.value.message


def test_header_only_and_a_stream(world):
    assert _import(world, "").imported == 0
    stream = io.StringIO(HEADER + _rows(3), newline="")
    assert import_customers(world.backend, world.admin, stream, clock=world.clock).imported == 3


# ---------------------------------------------------------------- encodings

def _file(tmp_path, text: str, encoding: str, name="in.csv"):
    path = tmp_path / name
    path.write_bytes((HEADER + text).encode(encoding))
    return path


KOREAN = "K001,홍길동,900505-1234567,010-1000-2000,001,Y,\nK002,뷁쀍,900506-2234567,010-1000-2001,002,N,\n"


def test_a_cp949_file_is_refused_with_how_to_convert_it(world, tmp_path):
    everything = snapshot(world.backend)
    path = _file(tmp_path, KOREAN, "cp949", "export.csv")
    with refused("INVALID_INPUT", "file") as info:
        import_customers_file(world.backend, world.admin, path, clock=world.clock)
    message = info.value.message
    assert "CP949" in message and "iconv -f cp949 -t utf-8 export.csv" in message
    assert "--encoding cp949" in message and "line 2" in message
    assert snapshot(world.backend) == everything


@pytest.mark.parametrize("encoding", ["cp949", "euc-kr", "CP949"])
def test_a_cp949_file_imports_with_its_encoding(world, tmp_path, encoding):
    # 뷁 and 쀍 are outside EUC-KR's 2,350 syllables: CP949 files labelled EUC-KR carry them.
    path = _file(tmp_path, KOREAN, "cp949")
    result = import_customers_file(world.backend, world.admin, path, encoding=encoding,
                                   clock=world.clock)
    assert result.imported == 2
    names = {r["name"] for r in query(world.backend, "SELECT name FROM customer "
                                                     "WHERE customer_no IN ('K001', 'K002')")}
    assert names == {"홍길동", "뷁쀍"}


def test_a_utf8_file_said_to_be_cp949_is_refused(world, tmp_path):
    path = _file(tmp_path, KOREAN, "utf-8")
    with refused("INVALID_INPUT", "file") as info:
        import_customers_file(world.backend, world.admin, path, encoding="cp949",
                              clock=world.clock)
    assert "is UTF-8" in info.value.message
    assert scalar(world.backend, "SELECT count(*) FROM customer WHERE customer_no = 'K001'") == 0


def test_bytes_of_no_known_encoding_and_an_unknown_encoding(world, tmp_path):
    path = tmp_path / "junk.csv"
    path.write_bytes(HEADER.encode() + b"K001,\xff\xfe\xff,900505-1234567,010-1000-2000,001,Y,\n")
    with refused("INVALID_INPUT", "file") as info:
        import_customers_file(world.backend, world.admin, path, clock=world.clock)
    assert "line 2: is not utf-8 text" in info.value.message
    with refused("INVALID_INPUT", "encoding"):
        import_customers_file(world.backend, world.admin, path, encoding="latin-1",
                              clock=world.clock)
    with refused("INVALID_INPUT", "file"):
        import_customers(world.backend, world.admin, io.TextIOWrapper(
            io.BytesIO(path.read_bytes()), encoding="utf-8", newline=""), clock=world.clock)


def test_a_bom_is_tolerated(world, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + HEADER + KOREAN).encode("utf-8"))
    assert import_customers_file(world.backend, world.admin, path,
                                 clock=world.clock).imported == 2


# ---------------------------------------------------------------- the final transaction

def test_events_are_appended_in_pages_and_the_chain_verifies(world, monkeypatch):
    monkeypatch.setattr(customer_import, "BATCH", 7)  # staging batches and event pages of 7
    before = row_counts(world.backend)
    assert _import(world, _rows(30)).imported == 30
    after = row_counts(world.backend)
    assert after["customer"] - before["customer"] == 30
    assert after["account"] - before["account"] == 30
    created = query(world.backend, "SELECT customer_no, detail FROM audit_event "
                                   "WHERE action = 'customer.create' AND customer_no LIKE 'G%' "
                                   "ORDER BY seq")
    assert [r["customer_no"] for r in created] == [f"G{i:07d}" for i in range(30)]
    assert all('"accounts":1' in r["detail"] for r in created)
    accounts = query(world.backend, "SELECT a.account_no, c.customer_no FROM account a "
                                    "JOIN customer c ON c.id = a.customer_id "
                                    "WHERE c.customer_no = 'G0000029'")
    assert accounts == [{"account_no": "77000000029", "customer_no": "G0000029"}]
    assert verify_audit(world.backend, clock=world.clock).ok


def test_a_customer_stored_between_the_checks_and_the_insert(world, monkeypatch):
    """The checks run before the write lock; the store's unique keys catch what another
    terminal stored meanwhile, and the import is refused naming it."""
    real = customer_import.ImportStage.findings
    raced = []

    def findings_then_a_race(self, first, session=None):
        found = real(self, first, session)
        if session is None and not raced:
            raced.append("G0000005")
            _import(world, _rows(1, start=5))  # another terminal takes G0000005
        return found

    monkeypatch.setattr(customer_import.ImportStage, "findings", findings_then_a_race)
    before = row_counts(world.backend)
    with refused("INVALID_INPUT", "file") as info:
        _import(world, _rows(10))
    assert raced and info.value.message.startswith("3 problem(s)")  # its number, RRN, account
    assert "line 7: customer_no: G0000005 exists" in info.value.message
    assert "line 7: id_number: a customer with this number exists" in info.value.message
    assert "line 7: account_nos: 77000000005 exists" in info.value.message
    assert row_counts(world.backend)["customer"] == before["customer"] + 1


def test_a_locked_importer_is_refused_in_the_final_transaction(world):
    from svc_helpers import execute

    execute(world.backend, "UPDATE staff SET locked_at = created_at WHERE employee_no = 'A0001'")
    with refused("STAFF_LOCKED"):
        _import(world, _rows(2))
    assert scalar(world.backend, "SELECT count(*) FROM customer WHERE customer_no LIKE 'G%'") == 0


def test_nothing_of_an_import_is_left_on_the_pool(world):
    """The import's connection is closed, not pooled: no staging table outlives it."""
    _import(world, _rows(3))
    with world.backend.store.engine.connect() as conn:
        with pytest.raises(sa.exc.DBAPIError):
            conn.exec_driver_sql("SELECT count(*) FROM import_stage_customer").scalar_one()


# ---------------------------------------------------------------- memory and locks

def _python_peak(world, rows: int, start: int) -> int:
    body = HEADER + _rows(rows, start=start, prefix=f"P{start}")
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        stream = io.StringIO(body, newline="")  # allocated before: not counted in the peak
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        import_customers(world.backend, world.admin, stream, clock=world.clock)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_memory_is_flat_in_the_number_of_rows(world, monkeypatch):
    """What the import holds does not grow with the file (the old import held every row as an
    ORM object: its peak grew fourfold here)."""
    monkeypatch.setattr(customer_import, "BATCH", 500)
    small = _python_peak(world, 1_500, 0)
    large = _python_peak(world, 6_000, 100_000)
    assert large < small * 1.5, (small, large)


def test_searches_on_the_same_file_never_meet_a_lock_during_an_import(backend, world, tmp_path):
    if backend.store.is_postgres:
        pytest.skip("SQLite's file lock; PostgreSQL locks rows")
    # A second terminal on the same file that does not wait long and does not retry: a lock
    # held while the file is read (the old import held it for the whole parse, 150 us a row)
    # would fail its searches.
    engine = make_engine(str(backend.store.engine.url))
    sa.event.listen(engine, "connect",
                    lambda dbapi, _r: dbapi.execute("PRAGMA busy_timeout=3000"))
    other = Backend(store=Store(engine, backend.store.keyring, attempts=1))
    done = threading.Event()
    searches, failures = [], []

    def search_loop():
        while not done.is_set():
            try:
                page = search_customers(other, world.teller, "홍길동", clock=world.clock)
                searches.append(len(page.items))
            except (ConsoleError, sa.exc.DBAPIError) as exc:
                failures.append(repr(exc))
            time.sleep(0.005)

    searcher = threading.Thread(target=search_loop)
    searcher.start()
    try:
        started = time.monotonic()
        result = _import(world, _rows(30_000))
        took = time.monotonic() - started
    finally:
        done.set()
        searcher.join()
        engine.dispose()
    assert result.imported == 30_000
    assert failures == []
    assert len(searches) > 20, (len(searches), took)  # they ran all along


def test_a_full_disk_while_staging_is_store_full_and_releases_the_connection(
        world, monkeypatch):
    backend = world.backend
    if backend.store.is_postgres:
        import psycopg

        full = psycopg.errors.DiskFull("could not extend file")
    else:
        import sqlite3

        full = sqlite3.OperationalError("database or disk is full")
        full.sqlite_errorname = "SQLITE_FULL"

    def disk_full(self, *statements):
        raise full

    everything = snapshot(backend)
    monkeypatch.setattr(customer_import.ImportStage, "_driver_unchecked", disk_full)
    for _ in range(backend.store.engine.pool.size() + 3):  # no connection is left checked out
        with refused("STORE_FULL"):
            _import(world, _rows(3))
    assert snapshot(backend) == everything
    assert backend.store.engine.pool.checkedout() == 0


def test_a_windows_export_with_crlf_and_a_row_of_the_wrong_shape(world, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes((HEADER + KOREAN + "K003,가\n").replace("\n", "\r\n").encode("cp949"))
    with refused("INVALID_INPUT") as info:
        import_customers_file(world.backend, world.admin, path, encoding="cp949",
                              clock=world.clock)
    assert info.value.message.endswith("line 4: expected 7 fields, got 2")
    path.write_bytes((HEADER + KOREAN).replace("\n", "\r\n").encode("cp949"))
    assert import_customers_file(world.backend, world.admin, path, encoding="cp949",
                                 clock=world.clock).imported == 2
    assert query(world.backend, "SELECT name, phone FROM customer WHERE customer_no = 'K001'"
                 ) == [{"name": "홍길동", "phone": "010-1000-2000"}]


def test_a_nul_byte_is_refused_on_its_line(world, tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes((HEADER + "K001,홍\x00길동,900505-1234567,010-1000-2000,001,Y,\n"
                      ).encode("utf-8"))
    with refused("INVALID_INPUT") as info:
        import_customers_file(world.backend, world.admin, path, clock=world.clock)
    assert "line 2" in info.value.message and "\x00" not in info.value.message


def test_the_file_name_in_the_trail_cannot_act_on_a_terminal(world, tmp_path):
    path = tmp_path / "a\x1b]52;c;ZXZpbA==\x07b.csv"
    path.write_text(HEADER + KOREAN, encoding="utf-8")
    import_customers_file(world.backend, world.admin, path, clock=world.clock)
    [row] = query(world.backend, "SELECT detail FROM audit_event WHERE customer_no = 'K001'")
    assert "\x1b" not in row["detail"] and "\x07" not in row["detail"]
    assert "\\\\x1b]52" in row["detail"]  # shown escaped (JSON doubles the backslash)
