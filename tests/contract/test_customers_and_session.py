"""The Console contract, embedded and through the server: the session, customers, the matrix
and the import (each test runs in both modes: conftest.py's `desk`)."""

from __future__ import annotations

import pytest
from helpers import PASSWORD

from staff_console.domain.errors import ConsoleError
from staff_console.domain.policy import Policy


def refused(code: str, call, *args, **kwargs) -> ConsoleError:
    with pytest.raises(ConsoleError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value
    return caught.value


def test_sign_in_unlock_and_sign_out(desk):
    console = desk.unsigned()
    refused("AUTH_REQUIRED", console.search_customers, "홍")
    refused("AUTH_FAILED", console.sign_in, "T001", "not-the-password", terminal="desk")
    assert console.actor is None
    actor = console.sign_in("T001", PASSWORD, terminal="desk")
    assert (actor.employee_no, actor.role.value, actor.branch_code) == ("T001", "teller", "001")
    assert console.actor == actor and console.training is False
    assert isinstance(console.current_policy(), Policy)
    assert console.current_policy().request_expiry_days >= 1
    refused("AUTH_FAILED", console.unlock, "not-the-password")
    assert console.unlock(PASSWORD).employee_no == "T001"
    console.sign_out()
    assert console.actor is None
    refused("AUTH_REQUIRED", console.search_customers, "홍")
    console.sign_out()  # twice: nothing to end


def test_search_finds_by_name_initials_and_number_and_pages(desk):
    customer_no = desk.customer()
    name = desk.name_of(int(customer_no[1:]))
    teller = desk.open("T001")
    page = teller.search_customers(name)
    assert [c.customer_no for c in page.items] == [customer_no]
    summary = page.items[0]
    assert summary.name == name and summary.branch_code == "001" and summary.online_trading
    assert "1" not in summary.id_masked[-6:]  # masked, never the number
    initials = "".join("ㅇㅇㅇㅅㅅㅇㅇㅊㅍㄱ"[int(d)] for d in customer_no[1:])
    assert customer_no in [c.customer_no for c in teller.search_customers(initials).items]
    assert [c.customer_no for c in teller.search_customers(customer_no).items] == [customer_no]
    assert teller.search_customers("없는사람이름").items == []
    first = teller.search_customers("홍", limit=1)
    assert len(first.items) == 1 and first.has_more and first.limit == 1
    second = teller.search_customers("홍", limit=1, offset=1)
    assert second.offset == 1 and second.items[0].customer_no != first.items[0].customer_no
    refused("INVALID_INPUT", teller.search_customers, "x" * 500)
    refused("INVALID_INPUT", teller.search_customers, "홍", limit=0)


def test_show_customer_and_the_matrix(desk):
    both = desk.customer("mts", "web")
    none = desk.customer()
    teller = desk.open("T001")
    detail = teller.show_customer(both)
    assert detail.customer_no == both and detail.branch_name == "강남지점"
    assert detail.mts is not None and detail.mts.status == "active"
    assert detail.mts.device_id == f"{both}-mts" and detail.mts.methods == ["pin", "pattern"]
    assert detail.web is not None and detail.web.status == "active"
    assert 365 * 3 - 2 <= (detail.mts.days_left or 0) <= 365 * 3 + 1
    assert detail.pending == []
    empty = teller.show_customer(none)
    assert empty.mts is None and empty.web is None and empty.history == []
    refused("NOT_FOUND", teller.show_customer, "C999")

    rows = {row.code: row for row in teller.service_matrix(both)}
    assert len(rows) == 17
    assert all(row.available for row in rows.values())
    unregistered = teller.service_matrix(none)
    assert any(row.available is False and row.reason_code for row in unregistered)
    assert all(row.available is None for row in teller.service_matrix())
    corporation = teller.service_matrix("C005")  # 주식회사 한빛
    assert {r.reason_code for r in corporation if not r.available} == {"INELIGIBLE_CORPORATION"}


def test_import_customers_from_a_file(desk, tmp_path):
    n, m = desk.number(), desk.number()
    csv = ("customer_no,name,id_number,phone,branch_code,online_trading,account_nos\n"
           f"I{n},수입일,900101-1{n % 1000000:06d},010-5{n % 1000:03d}-1234,001,Y,\n"
           f"I{m},수입이,900101-2{m % 1000000:06d},010-6{m % 1000:03d}-1234,002,N,\n")
    path = tmp_path / "customers.csv"
    path.write_text(csv, encoding="utf-8")
    admin = desk.open("A0001")
    result = admin.import_customers(path)
    assert result.imported == 2, result
    error = refused("INVALID_INPUT", admin.import_customers, path)  # nothing imported twice
    assert f"I{n}" in str(error) and error.field == "file"
    refused("FORBIDDEN", admin.show_customer, f"I{m}")  # an admin reads no customer
    shown = desk.open("M002").show_customer(f"I{m}")
    assert shown.name == "수입이" and shown.branch_code == "002" and not shown.online_trading
    refused("FORBIDDEN", desk.open("T001").import_customers, path)
    refused("INVALID_INPUT", admin.import_customers, path, encoding="latin-9")
