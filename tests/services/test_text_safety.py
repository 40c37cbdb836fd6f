"""Text in, text out, at the service entry points (issue 12 items 5 and 7): every text field a
person or a channel fills is refused with INVALID_INPUT naming the field when it carries a
control, bidi or zero-width character, nothing is written; numbers in search text and notes are
masked by meaning before they reach the trail. On SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from helpers import PASSWORD, register
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from svc_helpers import events_after, execute, last_seq, refused, snapshot

from staff_console.domain.errors import ConsoleError
from staff_console.services.audit_trail import sign_off_access_review
from staff_console.services.customer_search import search_customers
from staff_console.services.delegations import grant_delegation
from staff_console.services.intake import record_login, register_from_channel
from staff_console.services.requests import reject_request, request_revocation
from staff_console.services.staff import add_branch, add_staff, authenticate, unlock_staff

FORBIDDEN = {
    "c0": st.characters(min_codepoint=0x00, max_codepoint=0x1F),  # line feed and tab included
    "c1_del": st.characters(min_codepoint=0x7F, max_codepoint=0x9F),
    "bidi": st.sampled_from([chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A),
                                              0x200E, 0x200F, 0x061C]]),
    "zero_width": st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",
                                   "\u3164", "\U000e0041"]),
}
ONCE = settings(max_examples=6, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _fields(world):
    """(field, call with the field's value) for every text entry point; each call is valid
    apart from the text under test."""
    b, c = world.backend, world.clock
    reg = {"customer_no": "C002", "channel": "web", "methods": "pin",
           "verified": "id_card,one_won,phone", "clock": c}
    return {
        "device_id": lambda v: register_from_channel(b, device_id=v, **reg),
        "device_model": lambda v: register_from_channel(b, device_id="brw-9", device_model=v,
                                                        **reg),
        "key_fingerprint": lambda v: register_from_channel(b, device_id="brw-9",
                                                           key_fingerprint=v, **reg),
        "login device_id": lambda v: record_login(b, customer_no="C001", channel="mts",
                                                  device_id=v, result="fail", clock=c),
        "note": lambda v: request_revocation(b, world.teller, customer_no="C001", channel="mts",
                                             reason="other", note=v, clock=c),
        "decision note": lambda v: reject_request(b, world.manager2, world.pending_id, note=v,
                                                  clock=c),
        "query": lambda v: search_customers(b, world.teller, v.replace("\t", "\x0b").replace(
            "\n", "\x0c").replace("\r", "\x1c"), clock=c),  # (tabs, breaks: spaces)
        "branch name": lambda v: add_branch(b, world.admin, "009", v, clock=c),
        "staff name": lambda v: add_staff(b, world.admin, employee_no="T909", name=v,
                                          branch_code="001", role="teller",
                                          password=PASSWORD, clock=c),
        "staff employee_no": lambda v: add_staff(b, world.admin, employee_no=v, name="새직원",
                                                 branch_code="001", role="teller",
                                                 password=PASSWORD, clock=c),
        "unlock employee_no": lambda v: unlock_staff(b, world.admin, v, clock=c),
        "delegate": lambda v: grant_delegation(
            b, world.manager, delegate_employee_no=v, valid_from=c.now(),
            valid_until=c.now() + timedelta(days=1), clock=c),
        "sign-in employee_no": lambda v: authenticate(b, v, PASSWORD, clock=c),
        "sign-off note": lambda v: sign_off_access_review(b, world.auditor, "2026-11", note=v,
                                                          clock=c),
    }


FIELD_NAMES = {
    "device_id": "device_id", "device_model": "device_model",
    "key_fingerprint": "key_fingerprint", "login device_id": "device_id", "note": "note",
    "decision note": "note", "query": "query", "branch name": "name", "staff name": "name",
    "staff employee_no": "employee_no", "unlock employee_no": "employee_no",
    "delegate": "delegate", "sign-in employee_no": "employee_no", "sign-off note": "note",
}
# A value that passes every field, to wrap the character in (the employee-number fields are
# letters and digits only).
VALID = {"staff employee_no": "T9", "unlock employee_no": "T0", "delegate": "T0",
         "sign-in employee_no": "T0"}


@pytest.fixture
def text_world(world):
    register(world, "C001", "mts", "dev-1")  # C001's MTS: pending, then approved below
    from staff_console.services.requests import approve_request, list_approvals
    [pending] = list_approvals(world.backend, world.manager, clock=world.clock)
    approve_request(world.backend, world.manager, pending.id, clock=world.clock)
    world.pending_id = register(world, "C003", "web", "brw-3").request_id  # branch 002
    return world


@pytest.mark.parametrize("kind", sorted(FORBIDDEN))
@pytest.mark.parametrize("name", sorted(FIELD_NAMES))
def test_every_text_field_refuses_every_forbidden_class(text_world, name, kind):
    call = _fields(text_world)[name]
    before = snapshot(text_world.backend)

    @ONCE
    @given(ch=FORBIDDEN[kind], where=st.sampled_from(["start", "middle", "end"]))
    def check(ch, where):
        base = VALID.get(name, "정상 text")
        value = {"start": ch + base, "middle": base[:1] + ch + base[1:],
                 "end": base + ch}[where]
        with pytest.raises(ConsoleError) as info:
            call(value)
        assert info.value.code == "INVALID_INPUT", (name, repr(ch), info.value)
        assert info.value.field == FIELD_NAMES[name]
        assert ch not in info.value.message or ch == " "

    check()
    assert snapshot(text_world.backend) == before  # refused: nothing written, not even a trail


@pytest.mark.parametrize("name", ["note", "query", "staff name", "device_model"])
def test_lengths_are_bounded(text_world, name):
    call = _fields(text_world)[name]
    with refused("INVALID_INPUT", FIELD_NAMES[name]):
        call("가" * 501)


def test_plain_korean_and_latin_text_is_accepted(text_world):
    w = text_world
    view = add_staff(w.backend, w.admin, employee_no="T909", name="O'Brien 김 (대리)",
                     branch_code="001", role="teller", password=PASSWORD, clock=w.clock)
    assert view.name == "O'Brien 김 (대리)"
    req = request_revocation(w.backend, w.teller, customer_no="C001", channel="mts",
                             reason="other", note="고객 요청 [분실] — 재발급 예정", clock=w.clock)
    assert req.note == "고객 요청 [분실] — 재발급 예정"


def test_a_sign_in_with_an_escape_reaches_neither_the_trail_nor_the_counter(text_world):
    b = text_world.backend
    seq = last_seq(b)
    for hostile in ("\x1b[2J\x1b[H", "T001\x1b]52;c;ZXZpbA==\x07", "\u202eT001", "T0\u200b01"):
        with refused("INVALID_INPUT", "employee_no"):
            authenticate(b, hostile, PASSWORD, clock=text_world.clock)
    assert events_after(b, seq) == []


SEPARATED = [
    ("800515\t1234567", "8005151234567"),
    ("010\t1234\t5678", "01012345678"),
    ("０１０－１２３４－５６７８", "01012345678"),
    ("010\u00a01234\u00a05678", "01012345678"),
    ("900101 . 1234567", "9001011234567"),
]


@pytest.mark.parametrize("query, digits", SEPARATED)
def test_search_text_is_masked_by_meaning_in_the_access_log(text_world, query, digits):
    b = text_world.backend
    seq = last_seq(b)
    try:
        search_customers(b, text_world.teller, query, clock=text_world.clock)
    except ConsoleError as exc:  # some spellings are no search kind: then nothing is logged
        assert exc.code == "INVALID_INPUT"
    for e in events_after(b, seq):
        assert digits not in re.sub(r"\D", "", e["detail"] or ""), e


def test_notes_in_events_are_masked(text_world):
    w = text_world
    seq = last_seq(w.backend)
    reject_request(w.backend, w.manager2, w.pending_id,
                   note="고객 통화 010 9876 5432, 주민 900101\u00a01234567 확인", clock=w.clock)
    sign_off_access_review(w.backend, w.auditor, "2026-11", note="검토: 01098765432 건 이상 없음",
                           clock=w.clock)
    details = [json.loads(e["detail"]) for e in events_after(w.backend, seq) if e["detail"]]
    notes = [d["note"] for d in details if "note" in d]
    assert len(notes) == 2
    for note in notes:
        digits = re.sub(r"\D", "", note)
        assert "01098765432" not in digits and "9001011234567" not in digits
    assert "010-****-5432" in notes[0] and "900101-1******" in notes[0]


# ---------------------------------------------------------------- exports (both stores)

def _csv_rows(path):
    import csv
    import io

    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


def test_exports_write_every_row_safely_on_this_store(text_world, tmp_path):
    import os
    import stat

    from staff_console.services.exports import export_access_log, export_events, export_expiring

    w = text_world
    execute(w.backend, "UPDATE customer SET name = :n WHERE customer_no = 'C001'", n="=1+2\u202e")
    search_customers(w.backend, w.teller, "홍길", clock=w.clock)
    done = export_expiring(w.backend, w.teller, tmp_path / "e.csv", within_days=3660,
                           clock=w.clock)
    rows = _csv_rows(tmp_path / "e.csv")
    assert done.rows == len(rows) - 1 == 1
    assert rows[1][0] == "C001" and rows[1][1] == "'=1+2\\u202e"
    seq = last_seq(w.backend)
    done = export_events(w.backend, w.auditor, tmp_path / "a.csv", clock=w.clock)
    rows = _csv_rows(tmp_path / "a.csv")
    assert [int(r[0]) for r in rows[1:]] == list(range(seq, 0, -1))  # every event, newest first
    assert all(r[1].endswith("+09:00") for r in rows[1:])
    done = export_access_log(w.backend, w.manager, "2026-11", tmp_path / "m.csv", clock=w.clock)
    rows = _csv_rows(tmp_path / "m.csv")
    assert done.rows == len(rows) - 1 > 0 and {r[5] for r in rows[1:]} == {"access"}
    for name in ("e.csv", "a.csv", "m.csv"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600
    actions = [e["action"] for e in events_after(w.backend, seq)]
    assert actions.count("audit.export") == 1 and actions.count("access_log.export") == 1


def test_a_retried_export_starts_its_file_over(tmp_path):
    from staff_console.services.exports import EVENTS_HEADER, _CsvFile

    out = _CsvFile(tmp_path / "r.csv", "csv")
    out.rewrite(EVENTS_HEADER).writerow(["1"] * 9)
    out.rewrite(EVENTS_HEADER).writerow(["2"] * 9)  # the transaction ran again
    out.finish()
    out.close(keep=True)
    assert _csv_rows(tmp_path / "r.csv") == [EVENTS_HEADER, ["2"] * 9]
    with pytest.raises(ConsoleError) as info:
        _CsvFile(tmp_path / "r.csv", "csv")
    assert info.value.code == "INVALID_INPUT" and info.value.field == "csv"
