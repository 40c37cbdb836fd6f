"""Customer import: a CSV file of any length, all or nothing, in bounded memory.

The file is read and validated row by row (the csv module over a text stream); each ID number
is encrypted and hashed as its row is read, and valid rows go to a staging area in batches
(store/customer_import.py) without taking the store's write lock. The staged rows are checked
against each other and against the store with set-based statements, still without the lock.
Then one short transaction copies them in and appends a `customer.create` event per customer,
in pages; the store's unique keys refuse whatever another terminal stored since the checks
(the transaction then runs again and checks under the lock). One bad row and nothing is
imported; every bad row is counted and the first MAX_REPORTED are reported by line number.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from ..domain.authority import Actor, Role, require_role
from ..domain.clock import Clock
from ..domain.errors import ConsoleError, invalid
from ..domain.hangul import chosung_key
from ..domain.ids import (
    normalize_account_no,
    normalize_customer_no,
    normalize_phone,
    parse_id_number,
    phone_digits,
)
from ..domain.text import MAX_ACCOUNTS_PER_CUSTOMER, clean_text, display_safe
from ..store.audit import NEEDS_SEAL, SEAL_LATER
from ..store.customer_import import Finding, ImportStage
from ..store.engine import Tx
from .backend import Backend
from .common import current_staff, event, record
from .views import ImportResult

log = logging.getLogger(__name__)

IMPORT_HEADER = [
    "customer_no", "name", "id_number", "phone", "branch_code", "online_trading", "account_nos",
]
IMPORT_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
# A refusal lists this many problems (the first by line) and counts the rest.
MAX_REPORTED = 100
# A physical line longer than this is refused (a real row is a few hundred characters): the
# reader never holds more than one line of a file that has no line breaks.
MAX_LINE_CHARS = 16_384
# Rows staged per statement, and events appended per statement in the final transaction.
BATCH = 5_000
# `--encoding` values and the codec each reads with. EUC-KR files are read as CP949, its
# superset (the 8,822 extra syllables of 확장 완성형 appear in real exports labelled EUC-KR);
# UTF-8 tolerates the BOM spreadsheet programs write.
ENCODINGS = {"utf-8": "utf-8-sig", "cp949": "cp949", "euc-kr": "cp949"}

_MESSAGES = {
    "customer_no_repeated": lambda f: f"customer_no: same as line {f.other_line}",
    "id_number_repeated": lambda f: f"id_number: same as line {f.other_line}",
    "branch_unknown": lambda f: f"branch_code: branch {f.value} does not exist",
    "account_repeated": lambda f: f"account_nos: {f.value} same as line {f.other_line}",
    "customer_no_exists": lambda f: f"customer_no: {f.value} exists",
    "id_number_exists": lambda f: "id_number: a customer with this number exists",
    "account_exists": lambda f: f"account_nos: {f.value} exists",
}


class _Undecodable(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _Problems:
    """Bad rows as the refusal reports them: a count, and the first MAX_REPORTED by line."""

    def __init__(self) -> None:
        self.count = 0
        self.first: list[tuple[int, int, str]] = []  # (line, order, text)

    def add(self, line: int, text: str) -> None:
        self.count += 1
        if len(self.first) < MAX_REPORTED:  # rows arrive in line order
            self.first.append((line, 0, text))

    def refusal(self, more: tuple[int, list[Finding]] = (0, [])) -> ConsoleError:
        total, findings = more
        merged = self.first + [(f.line, 1 + n, _MESSAGES[f.check](f))
                               for n, f in enumerate(findings)]
        merged.sort(key=lambda p: (p[0], p[1]))
        count = self.count + total
        lines = [f"line {line}: {text}" for line, _, text in merged[:MAX_REPORTED]]
        if count > len(lines):
            lines.append(f"... and {count - len(lines)} more")
        numbers = ", ".join(str(line) for line, _, _ in merged[:MAX_REPORTED])
        return ConsoleError("INVALID_INPUT",
                            f"{count} problem(s), nothing imported:\n" + "\n".join(lines),
                            field="file", detail="errors.detail.import_problems",
                            values={"count": count, "lines": numbers})


def _too_long(number: int) -> ConsoleError:
    return invalid("file", f"line {number} is longer than {MAX_LINE_CHARS} characters")


def _lines(stream: TextIO) -> Iterator[str]:
    """A text stream's lines, each bounded."""
    number = 0
    while True:
        try:
            line = stream.readline(MAX_LINE_CHARS + 1)
        except UnicodeDecodeError:  # a stream that decodes as it reads: its chunk's line
            raise _Undecodable(number + 1) from None
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise _too_long(number)
        yield line


def _decoded_lines(handle: BinaryIO, codec: str) -> Iterator[str]:
    """A binary file's lines decoded one by one, so that a bad byte is found on its line. No
    byte of a multi-byte character is a line feed in UTF-8 or CP949: splitting first is safe."""
    decoder = codecs.getincrementaldecoder(codec)()
    number = 0
    while True:
        raw = handle.readline(4 * MAX_LINE_CHARS + 1)
        number += 1
        try:
            line = decoder.decode(raw, final=not raw)
        except UnicodeDecodeError:  # at the end: the last line stopped inside a character
            raise _Undecodable(number if raw else number - 1) from None
        if not raw:
            return
        if len(line.rstrip("\r\n")) > MAX_LINE_CHARS or (len(raw) > 4 * MAX_LINE_CHARS
                                                        and not raw.endswith(b"\n")):
            raise _too_long(number)
        yield line


def _validated(raw: list[str], keyring) -> tuple[tuple, list[str]]:
    """One row's customer columns (store.customer_import.CUSTOMER_COLUMNS) and accounts;
    `raw`: its fields in IMPORT_HEADER order."""
    no_field, name_field, id_field, phone_field, branch_field, flag_field, accounts_field = map(
        str.strip, raw)
    customer_no = normalize_customer_no(no_field)
    name = clean_text(name_field, "name", limit="customer_name")
    id_number = parse_id_number(id_field)
    phone = normalize_phone(phone_field)
    branch_code = branch_field.upper()
    if not (branch_code.isascii() and branch_code.isalnum() and len(branch_code) <= 10):
        raise invalid("branch_code", "must be 1 to 10 letters or digits")
    flag = flag_field.upper()
    if flag not in ("Y", "N"):
        raise invalid("online_trading", "must be Y or N")
    accounts = [normalize_account_no(a, field="account_nos")
                for a in accounts_field.split(";") if a.strip()]
    if len(accounts) > MAX_ACCOUNTS_PER_CUSTOMER:
        raise invalid("account_nos", f"at most {MAX_ACCOUNTS_PER_CUSTOMER} accounts per customer")
    return (
        customer_no, name, chosung_key(name), keyring.id_lookup_hash(id_number.digits),
        keyring.encrypt_id(id_number.digits), id_number.masked, id_number.birth_yymmdd,
        id_number.customer_type.value, id_number.nationality.value, phone, phone_digits(phone),
        phone[-4:], flag == "Y", branch_code,
    ), accounts


def _stage_file(lines: Iterator[str], stage: ImportStage, keyring, problems: _Problems) -> None:
    """Read, validate and stage every row; bad rows go to `problems`."""
    reader = csv.reader(lines)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise invalid("file", f"line 1: not CSV ({exc})") from None
    if header is None:
        problems.add(1, "the file is empty")
        return
    if [h.strip().lstrip("\ufeff") for h in header] != IMPORT_HEADER:
        problems.add(1, f"header must be {','.join(IMPORT_HEADER)}")
        return
    customers: list[tuple] = []
    accounts: list[tuple] = []
    account_seq = 0
    end = reader.line_num  # the record's first line is the line after the previous record
    while True:
        try:
            raw = next(reader, None)
        except csv.Error as exc:  # a quote never closed, a field past the csv module's limit
            raise invalid("file", f"line {end + 1}: not CSV ({exc}); nothing imported") from None
        if raw is None:
            break
        line, end = end + 1, reader.line_num
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) != len(IMPORT_HEADER):
            problems.add(line, f"expected {len(IMPORT_HEADER)} fields, got {len(raw)}")
            continue
        try:
            row, numbers = _validated(raw, keyring)
        except ConsoleError as exc:
            problems.add(line, exc.message)
            continue
        customers.append((line, *row, len(numbers)))
        for number in numbers:
            account_seq += 1
            accounts.append((account_seq, line, number, row[0]))
        if len(customers) >= BATCH:
            stage.add(customers, accounts)
            customers, accounts = [], []
    if customers:
        stage.add(customers, accounts)


def import_customers(
    backend: Backend, actor: Actor, csv_text: str | TextIO, *, clock: Clock,
    source: str = "csv",
) -> ImportResult:
    """Import the customers of a CSV text (a string, or a text stream opened with
    newline=""): all or nothing, every bad row reported with its line number."""
    stream = io.StringIO(csv_text, newline="") if isinstance(csv_text, str) else csv_text
    try:
        return _import(backend, actor, _lines(stream), clock=clock, source=source)
    except _Undecodable as exc:
        raise invalid("file", f"line {exc.line}: cannot be decoded as text") from None


def _import(backend: Backend, actor: Actor, lines: Iterator[str], *, clock: Clock,
            source: str) -> ImportResult:
    require_role(actor, IMPORT_ROLES, "import customers")
    store = backend.store
    # Before reading the file: a member locked since signing in learns nothing of the store.
    store.run(lambda s: current_staff(s, actor), reads_only=True)
    problems = _Problems()
    with ImportStage(store.engine) as stage:
        _stage_file(lines, stage, store.keyring, problems)

        # Every check, before the write lock: a bad file is refused without ever taking it.
        findings = stage.findings(MAX_REPORTED)
        if problems.count or findings[0]:
            raise problems.refusal(findings)

        def final(s: Tx, again: bool) -> ImportResult:
            current_staff(s, actor)
            if again:  # a key went into the store since the checks: find it, under the lock
                found = stage.findings(MAX_REPORTED, s)
                if found[0]:
                    raise problems.refusal(found)
            now = clock.now()
            stage.insert(s, now)  # the store's unique keys refuse what changed since the checks
            s.info[SEAL_LATER] = True  # PostgreSQL: this commit is durable by itself
            details: dict[int, dict] = {}  # one detail object per number of accounts
            for page in stage.staged_pages(s, BATCH):
                record(s, store, now, *[
                    event(actor, "customer.create", customer_no=customer_no,
                          detail=details.setdefault(accounts,
                                                    {"source": source, "accounts": accounts}))
                    for _line, customer_no, accounts in page])
                s.info.pop(NEEDS_SEAL, None)  # chained below, all at once
            return ImportResult(imported=stage.staged)

        result = stage.run(final)
    if store.is_postgres and result.imported:
        try:
            store.seal_pending()  # the events, from the outbox into the chain
        except Exception as exc:  # noqa: BLE001 - committed: the next seal chains them
            log.warning("import committed; its audit events wait in the outbox: %s",
                        type(exc).__name__)
    return result


def _looks_like_cp949(path: Path) -> bool:
    """The whole file decodes as CP949 (read in chunks: any size)."""
    decoder = codecs.getincrementaldecoder("cp949")()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _looks_like_utf8(head: bytes) -> bool:
    """Non-ASCII bytes that are valid UTF-8 (a chunk may end inside a character)."""
    if head.isascii():
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head)
    except UnicodeDecodeError:
        return False
    return True


def import_customers_file(
    backend: Backend, actor: Actor, path: Path, *, encoding: str = "utf-8", clock: Clock,
    source: str | None = None,
) -> ImportResult:
    """Import a CSV file, read as a stream in `encoding` (ENCODINGS). A file that is not
    UTF-8 but reads as CP949 is refused with how to convert it (or to say --encoding cp949);
    a UTF-8 file given as CP949 is refused too (it would import as garbled names)."""
    require_role(actor, IMPORT_ROLES, "import customers")
    codec = ENCODINGS.get(encoding.strip().lower())
    if codec is None:
        raise invalid("encoding", f"must be one of {', '.join(ENCODINGS)}")
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise invalid("file", f"cannot read {path.name}: {exc.strerror or exc}") from None
    with handle:
        if codec == "cp949":
            head = handle.read(1 << 16)
            if head.startswith(codecs.BOM_UTF8) or _looks_like_utf8(head):
                raise invalid("file", f"is UTF-8 text, not {encoding}: import it without "
                                      "--encoding")
            handle.seek(0)
        try:
            return _import(backend, actor, _decoded_lines(handle, codec), clock=clock,
                           # a file name is text from outside: kept visible, not acting
                           source=source or f"csv:{display_safe(path.name)}"[:60])
        except _Undecodable as exc:
            if codec != "cp949" and _looks_like_cp949(path):
                raise invalid("file", (
                    f"is not UTF-8 (line {exc.line}); it reads as CP949 (EUC-KR), the "
                    "encoding of many Korean bank exports: convert it with "
                    f"`iconv -f cp949 -t utf-8 {path.name} > utf8.csv`, or import it with "
                    "--encoding cp949")) from None
            raise invalid("file", f"line {exc.line}: is not {encoding} text") from None
