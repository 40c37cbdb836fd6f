"""Customer import (DOMAIN.md section 7): all or nothing with every bad line reported; the RRN
encrypted at rest, looked up by keyed hash, shown masked, never in clear anywhere."""

from __future__ import annotations

import re

import pytest
from helpers import CUSTOMERS_CSV
from svc_helpers import activate, query, refused, row_counts, snapshot

from staff_console.services.customer_import import import_customers
from staff_console.services.customer_search import search_customers
from staff_console.services.customer_view import show_customer
from staff_console.services.requests import request_revocation

HEADER = "customer_no,name,id_number,phone,branch_code,online_trading,account_nos\n"


def _import(world, body, actor=None):
    return import_customers(world.backend, actor or world.admin, HEADER + body, clock=world.clock)


def test_a_good_file_imports_every_row(world):
    before = row_counts(world.backend)
    result = _import(world, "D001,강감찬,480101-1234567,010-9000-0001,001,Y,90000000001;9000-0000-02\n"
                            "D002,유관순,020301-4234567,01190000002,002,N,\n")
    assert result.imported == 2
    after = row_counts(world.backend)
    assert after["customer"] == before["customer"] + 2
    assert after["account"] == before["account"] + 2
    detail = show_customer(world.backend, world.teller, "D001", clock=world.clock)
    assert detail.accounts == ["90000000001", "9000000002"]
    assert detail.id_masked == "480101-1******"
    assert detail.phone_masked == "010-****-0001"
    other = show_customer(world.backend, world.teller, "D002", clock=world.clock)
    assert (other.online_trading, other.branch_code, other.phone_masked) == (
        False, "002", "011-****-0002")


def test_every_bad_line_is_reported_and_nothing_is_imported(world):
    b = world.backend
    everything = snapshot(b)
    body = (
        "D001,강감찬,480101-1234567,010-9000-0001,001,Y,90000000001\n"  # good
        "D002,을지문덕,900230-1234567,010-9000-0002,001,Y,\n"  # 2 30 February
        "D003,계백,850101-1234567,02-123-4567,001,Y,\n"  # landline phone
        "D001,이순신,850102-1234567,010-9000-0004,001,Y,\n"  # customer_no twice in the file
        "C001,권율,850103-1234567,010-9000-0005,001,Y,\n"  # customer_no already stored
        "D006,김유신,480101-1234567,010-9000-0006,001,Y,\n"  # same RRN as line 2
        "D007,장보고,900101-1234567,010-9000-0007,001,Y,\n"  # RRN of C001, already stored
        "D008,최영,850104-1234567,010-9000-0008,777,Y,\n"  # unknown branch
        "D009,정약용,850105-1234567,010-9000-0009,001,yes,\n"  # online trading not Y/N
        "D010,허준,850106-1234567,010-9000-0010,001,Y,12345678901\n"  # account of C001
        "D011,세종,850107-1234567,010-9000-0011,001,Y,90000000001\n"  # account as line 2
        "D012,문무,850108-5234567,010-9000-0012,001,Y,\n"  # good (a foreigner)
    )
    with refused("INVALID_INPUT", "file") as info:
        _import(world, body)
    assert snapshot(b) == everything
    message = info.value.message
    assert message.startswith("10 problem(s), nothing imported")
    bad_lines = [int(n) for n in re.findall(r"^line (\d+):", message, re.M)]
    assert bad_lines == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert "line 3: id_number" in message and "date" in message
    assert "line 4: phone" in message
    assert "line 5: customer_no: same as line 2" in message
    assert "line 6: customer_no: C001 exists" in message
    assert "line 7: id_number: same as line 2" in message
    assert "line 8: id_number: a customer with this number exists" in message
    assert "line 9: branch_code" in message
    assert "line 10: online_trading" in message
    assert "line 11: account_nos" in message
    assert "line 12: account_nos" in message
    # the refusal itself does not echo a full RRN or phone
    assert "480101-1234567" not in message and "4801011234567" not in message


@pytest.mark.parametrize("id_number", [
    "900101-123456",  # 12 digits
    "900101-9234567X",
    "901301-1234567",  # month 13
    "990229-1234567",  # 1999 is not a leap year
    "000229-4234567x",
])
def test_bad_id_numbers(world, id_number):
    with refused("INVALID_INPUT"):
        _import(world, f"D001,강감찬,{id_number},010-9000-0001,001,Y,\n")


def test_a_check_digit_is_not_required(world):
    """Numbers issued since October 2020 have random trailing digits."""
    assert _import(world, "D001,신생아,201015-3999999,010-9000-0001,001,Y,\n").imported == 1


def test_bad_header_and_empty_file(world):
    with refused("INVALID_INPUT"):
        import_customers(world.backend, world.admin, "", clock=world.clock)
    with refused("INVALID_INPUT"):
        import_customers(world.backend, world.admin, "no,name\nD001,x\n", clock=world.clock)


@pytest.mark.parametrize("who", ["teller", "auditor"])
def test_only_admins_and_managers_import(world, who):
    with refused("FORBIDDEN"):
        _import(world, "D001,강감찬,480101-1234567,010-9000-0001,001,Y,\n",
                actor=getattr(world, who))
    assert _import(world, "D001,강감찬,480101-1234567,010-9000-0001,001,Y,\n",
                   actor=world.manager).imported == 1


def test_the_rrn_is_encrypted_and_found_by_keyed_hash(world):
    b = world.backend
    keyring = b.store.keyring
    [row] = query(b, "SELECT * FROM customer WHERE customer_no = 'C001'")
    assert "9001011234567" not in row["id_cipher"]
    assert keyring.decrypt_id(row["id_cipher"]) == "9001011234567"
    assert row["id_masked"] == "900101-1******"
    assert row["id_hash"] == keyring.id_lookup_hash("9001011234567")
    assert row["id_hash"] != keyring.id_lookup_hash("9001011234568")
    [found] = query(b, "SELECT customer_no FROM customer WHERE id_hash = :h",
                    h=keyring.id_lookup_hash("9001011234567"))
    assert found["customer_no"] == "C001"
    # the same number encrypts differently each time (random nonce)
    assert keyring.encrypt_id("9001011234567") != keyring.encrypt_id("9001011234567")


def _all_text(backend, table):
    rows = query(backend, f'SELECT * FROM "{table}"')
    return "\n".join(" ".join(str(v) for v in r.values()) for r in rows)


def _rrns_and_phones():
    rrns, phones = [], []
    for line in CUSTOMERS_CSV.splitlines()[1:]:
        fields = line.split(",")
        rrns.append(fields[2])
        phones.append(fields[3])
    return rrns, phones


def test_no_rrn_or_full_phone_in_clear_anywhere(world):
    """After a working session: searches by phone, views, requests, evidence, decisions."""
    b, c = world.backend, world.clock
    activate(world, "C001", "mts", "phone-1")
    activate(world, "C002", "web", "chrome")
    request_revocation(b, world.teller, customer_no="C002", channel="web", reason="other",
                       note="고객 요청", clock=c)
    for q in ("010-1234-5678", "01012345678", "5678", "900101", "홍길동", "ㅎㄱ"):
        search_customers(b, world.teller, q, clock=c)
    rrns, phones = _rrns_and_phones()
    audit = _all_text(b, "audit_event")
    for rrn in rrns:
        digits = rrn.replace("-", "")
        if len(digits) == 13:
            assert rrn not in audit and digits not in audit
            assert digits[6:] not in audit  # the back half
    for phone in phones:
        assert phone not in audit and phone.replace("-", "") not in audit
    everything = "\n".join(_all_text(b, t) for t in ("customer", "account", "credential",
                                                      "request", "verification", "audit_event",
                                                      "staff", "delegation"))
    for rrn in rrns:
        digits = rrn.replace("-", "")
        if len(digits) == 13:
            assert digits not in everything and rrn not in everything
