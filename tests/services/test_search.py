"""Customer search and the customer view (DOMAIN.md section 7): every kind of query, paging,
masked output, and an access-log event for every search and every view."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import asdict

import pytest
import sqlalchemy as sa
from helpers import PASSWORD
from svc_helpers import events_after, last_seq, refused, snapshot

from staff_console.domain.hangul import chosung_key
from staff_console.services.customer_import import import_customers
from staff_console.services.customer_search import search_customers
from staff_console.services.customer_view import show_customer
from staff_console.services.staff import authenticate

HEADER = "customer_no,name,id_number,phone,branch_code,online_trading,account_nos\n"


def found(world, q, **kw):
    page = search_customers(world.backend, world.teller, q, clock=world.clock, **kw)
    return [i.customer_no for i in page.items]


@pytest.mark.parametrize("q, expected", [
    ("홍길동", ["C001"]),  # full name
    ("홍길", ["C001", "C007"]),  # prefix, ordered by name
    ("홍", ["C001", "C007"]),
    ("김철수", ["C002"]),
    ("Smith", ["C004"]),
    ("smith", ["C004"]),  # Latin names in any case (issue 15)
    ("SMITH J", ["C004"]),
    ("sMiTh JoHn", ["C004"]),
    ("smithj", ["C004"]),  # the key has no spaces
    ("smyth", []),
    ("ㅎㄳ", ["C007"]),  # ㄳ as typed by an IME = ㄱㅅ
    ("ㅎㄱㅅ", ["C007"]),
    ("\u1112\u1100", ["C001", "C007"]),  # conjoining jamo (NFD) = ㅎㄱ
    ("\u1112\u1169\u11bc\u1100\u1175\u11af", ["C001", "C007"]),  # 홍길 pasted in NFD
    ("주식회사 한ㅂ", ["C005"]),  # syllables in place around a space
    ("홍 ㄱ", ["C001", "C007"]),
    ("ㅎㄱ", ["C001", "C007"]),  # 초성
    ("ㅎㄱㄷ", ["C001"]),
    ("ㅎㄱㅅ", ["C007"]),
    ("ㅇㅇㅎ", ["C003"]),
    ("홍ㄱ", ["C001", "C007"]),  # mixed syllable and 초성
    ("홍ㄱㅅ", ["C007"]),
    ("길ㄷ", []),  # a syllable must match in place
    ("C001", ["C001"]),  # customer number
    ("c003", ["C003"]),
    ("12345678901", ["C001"]),  # account number
    ("123-456-78902", ["C001"]),  # account number with dashes
    ("5234-5678-901", ["C006"]),
    ("010-1234-5678", ["C001"]),  # full phone
    ("01077775678", ["C007"]),
    ("5678", ["C001", "C007"]),  # last 4 digits of the phone
    ("900101", ["C004", "C001"]),  # birth date YYMMDD; by name, "Smith John" first
    ("040229", ["C003"]),
    ("없는사람", []),
    ("999999", []),
])
def test_every_kind_of_query(world, q, expected):
    assert found(world, q) == expected


def test_a_query_of_several_kinds_finds_each_kind_in_one_statement(world):
    """"900101" is a birth date, an account number and a customer number at once: each kind
    finds its own customer (each with its own parameter value), merged by name, in one SELECT
    (one round trip) besides the access-log event."""
    import_customers(world.backend, world.admin, HEADER
                     + "900101,가나다,851111-1234567,010-8888-1111,001,Y,\n"
                     + "X9,나다라,861111-1234567,010-8888-2222,001,Y,900101\n", clock=world.clock)
    statements = []
    engine = world.backend.store.engine

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        assert found(world, "900101") == ["C004", "900101", "X9", "C001"]
        assert found(world, "900101", limit=2, offset=1) == ["900101", "X9"]
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    searches = [s for s in statements if "FROM customer" in s]
    assert len(searches) == 2, searches  # one per search


def test_invalid_queries(world):
    for bad in ("", "   "):
        with refused("INVALID_INPUT", "query"):
            found(world, bad)
    with refused("INVALID_INPUT", "limit"):
        found(world, "홍", limit=51)
    with refused("INVALID_INPUT", "limit"):
        found(world, "홍", limit=0)
    with refused("INVALID_INPUT", "offset"):
        found(world, "홍", offset=-1)


def _syllable(initial: int, medial: int, final: int = 0) -> str:
    return chr(0xAC00 + (initial * 21 + medial) * 28 + final)


def _many_ㅎ_customers(world, n=57):
    """Names starting with ㅎ whose 초성 order differs from their name order."""
    lines, names = [], {}
    for k in range(n):
        # 하/한/허/홍 then a syllable starting with ㄱ, ㄴ or ㅇ: 한가 (ㅎㄱ) sorts after 하나
        # (ㅎㄴ) by name but before it by 초성
        first = ("하", "한", "허", "홍")[k % 4]
        second = _syllable((0, 2, 11)[k % 3], (k * 5) % 21)
        name = first + second
        no = f"H{k:03d}"
        names[no] = name
        born = f"50{1 + k // 28:02d}{1 + k % 28:02d}"
        lines.append(f"{no},{name},{born}-1000{k:03d},010-5{k:03d}-{k:04d},001,Y,")
    import_customers(world.backend, world.admin, HEADER + "\n".join(lines) + "\n",
                     clock=world.clock)
    return names


@pytest.mark.parametrize("q", ["ㅎ", "ㅎㄱ", "하", "허"])
def test_paging_walks_every_match_once(world, q):
    names = _many_ㅎ_customers(world)
    names.update({"C001": "홍길동", "C007": "홍길순"})
    if chosung_key(q) == q:  # a 초성 query
        expected = {no for no, name in names.items() if chosung_key(name).startswith(q)}
    else:
        expected = {no for no, name in names.items() if name.startswith(q)}
    assert len(expected) > 7
    seen, offset = [], 0
    while True:
        page = search_customers(world.backend, world.teller, q, clock=world.clock, limit=7,
                                offset=offset)
        assert len(page.items) <= 7
        seen += [i.customer_no for i in page.items]
        if not page.has_more:
            break
        assert len(page.items) == 7
        offset += 7
    assert len(seen) == len(set(seen)), "a customer appeared on two pages"
    assert set(seen) == expected


def test_a_page_holds_at_most_50_and_says_whether_more_follow(world):
    _many_ㅎ_customers(world)  # 57 + 홍길동 + 홍길순 start with ㅎ
    first = search_customers(world.backend, world.teller, "ㅎ", clock=world.clock)
    assert (len(first.items), first.limit, first.offset, first.has_more) == (50, 50, 0, True)
    rest = search_customers(world.backend, world.teller, "ㅎ", clock=world.clock, offset=50)
    assert (len(rest.items), rest.has_more) == (9, False)
    assert not {i.customer_no for i in first.items} & {i.customer_no for i in rest.items}
    exact = search_customers(world.backend, world.teller, "ㅎ", clock=world.clock, offset=49,
                             limit=10)
    assert (len(exact.items), exact.has_more) == (10, False)


def test_results_are_masked(world):
    page = search_customers(world.backend, world.teller, "5678", clock=world.clock)
    c001 = next(i for i in page.items if i.customer_no == "C001")
    assert c001.phone_masked == "010-****-5678"
    assert c001.id_masked == "900101-1******"
    assert c001.name == "홍길동"  # names may be shown in full to staff
    text = json.dumps([asdict(i) for i in page.items], ensure_ascii=False)
    for clear in ("900101-1234567", "9001011234567", "010-1234-5678", "01012345678",
                  "910202-2234567", "010-7777-5678"):
        assert clear not in text
    corp = search_customers(world.backend, world.teller, "C005", clock=world.clock).items[0]
    assert corp.id_masked == "123-45-*****" and corp.customer_type == "corporation"


def test_the_customer_view_is_masked(world):
    detail = show_customer(world.backend, world.teller, "C001", clock=world.clock)
    assert detail.id_masked == "900101-1******" and detail.phone_masked == "010-****-5678"
    assert detail.branch_name == "강남지점"
    text = json.dumps(asdict(detail), ensure_ascii=False, default=str)
    for clear in ("900101-1234567", "9001011234567", "010-1234-5678", "01012345678"):
        assert clear not in text


def test_every_search_is_an_access_event(world):
    b, c = world.backend, world.clock
    actor = authenticate(b, "T002", PASSWORD, clock=c, terminal="PC-001-07")
    seq = last_seq(b)
    search_customers(b, actor, "ㅎㄱ", clock=c)
    search_customers(b, actor, "010-1234-5678", clock=c)
    search_customers(b, actor, "없는사람", clock=c)
    events = events_after(b, seq)
    assert len(events) == 3
    for e in events:
        assert (e["action"], e["category"], e["actor"], e["terminal"]) == (
            "customer.search", "access", "T002", "PC-001-07")
        assert e["at"] is not None
    assert json.loads(events[0]["detail"])["results"] == ["C001", "C007"]
    assert json.loads(events[1]["detail"])["results"] == ["C001"]
    assert json.loads(events[1]["detail"])["query"] == "010-****-5678"
    assert json.loads(events[2]["detail"])["results"] == []


def test_every_view_is_an_access_event(world):
    b, c = world.backend, world.clock
    actor = authenticate(b, "AU01", PASSWORD, clock=c, terminal="AUDIT-PC")
    seq = last_seq(b)
    show_customer(b, actor, "C003", clock=c)
    [e] = events_after(b, seq)
    assert (e["action"], e["category"], e["actor"], e["terminal"], e["customer_no"]) == (
        "customer.view", "access", "AU01", "AUDIT-PC", "C003")


def test_admins_do_not_read_customers(world):
    b, c = world.backend, world.clock
    everything = snapshot(b)
    with refused("FORBIDDEN"):
        search_customers(b, world.admin, "홍", clock=c)
    with refused("FORBIDDEN"):
        show_customer(b, world.admin, "C001", clock=c)
    assert snapshot(b) == everything


def test_names_are_stored_nfc_and_found_however_typed(world):
    """A file exported on a Mac carries names in NFD and Latin names in any case: the import
    stores them NFC, and each is found typed either way (issue 15, item 8)."""
    nfd = unicodedata.normalize("NFD", "강순자")
    import_customers(world.backend, world.admin, HEADER
                     + f"N001,{nfd},860101-1000001,010-5000-0001,001,Y,\n"
                     + "N002,o'Brien Anne,860101-5000002,010-5000-0002,001,Y,\n",
                     clock=world.clock)
    [item] = search_customers(world.backend, world.teller, "N001", clock=world.clock).items
    assert item.name == "강순자" == unicodedata.normalize("NFC", item.name)
    for q in ("강순자", nfd, "ㄱㅅㅈ", "ㄳㅈ", "강ㅅㅈ", unicodedata.normalize("NFD", "강ㅅ")):
        assert found(world, q) == ["N001"], q
    for q in ("O'BRIEN", "o'brien a", "O'Brien Anne"):
        assert found(world, q) == ["N002"], q


def test_an_unknown_customer_is_not_found(world):
    with refused("NOT_FOUND"):
        show_customer(world.backend, world.teller, "C999", clock=world.clock)


@pytest.mark.parametrize("q", ["900101-1234567", "9001011234567", "900101 1234567"])
def test_an_rrn_typed_into_the_search_box_is_not_logged_in_clear(world, q):
    """Staff may paste an RRN; the access log records the search, never the number."""
    b, c = world.backend, world.clock
    seq = last_seq(b)
    search_customers(b, world.teller, q, clock=c)
    [e] = events_after(b, seq)
    assert "1234567" not in e["detail"]
    assert json.loads(e["detail"])["query"] == "900101-1******"


def test_a_hangul_query_is_never_taken_for_a_customer_number():
    from staff_console.domain.search import classify_query

    assert [kind for kind, _ in classify_query("ㅎㄱㄷ")] == ["chosung"]
    assert [kind for kind, _ in classify_query("홍길동")] == ["name"]
    assert "customer_no" in [kind for kind, _ in classify_query("C001")]


def test_a_whole_id_number_finds_the_customer_through_its_keyed_hash(world):
    from staff_console.services.audit_trail import list_events
    from staff_console.services.customer_search import search_customers

    page = search_customers(world.backend, world.teller, "900101-1234567", clock=world.clock)
    assert [i.customer_no for i in page.items] == ["C001"] and page.kinds[0] == "id_number"
    corp = search_customers(world.backend, world.teller, "1234567890", clock=world.clock)
    assert "C005" in [i.customer_no for i in corp.items]
    # the access log keeps the number masked
    log = list_events(world.backend, world.auditor, clock=world.clock, action="customer.search")
    queries = [e.detail["query"] for e in log.items]
    assert "900101-1******" in queries
    assert not any("9001011234567" in q.replace("-", "") for q in queries)


@pytest.mark.pg
def test_postgres_keeps_fine_statistics_for_prefix_searches(pg_database_url):
    """Migration 0003: 1000-bucket histograms on the name and 초성 columns, so that a prefix of
    a common surname is estimated near its real size and planned as an index walk that stops
    after one page (docs/postgresql.md)."""
    import sqlalchemy as sa

    engine = sa.create_engine(pg_database_url)
    with engine.connect() as conn:
        targets = dict(conn.execute(sa.text(
            "SELECT attname, attstattarget FROM pg_attribute "
            "WHERE attrelid = 'customer'::regclass AND attname IN ('name', 'name_chosung')")).all())
    engine.dispose()
    assert targets == {"name": 1000, "name_chosung": 1000}
