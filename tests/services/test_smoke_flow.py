from helpers import register

from staff_console.services.audit_trail import verify_audit
from staff_console.services.customer_search import search_customers
from staff_console.services.customer_view import show_customer
from staff_console.services.requests import approve_request, request_revocation


def test_register_approve_revoke_round_trip(world):
    b, c = world.backend, world.clock
    intake = register(world)
    assert intake.status == "pending"
    approved = approve_request(b, world.manager, intake.request_id, clock=c)
    assert approved.status == "approved" and approved.authority == "manager"
    detail = show_customer(b, world.teller, "C001", clock=c)
    assert detail.mts.status == "active"
    assert detail.mts.valid_until.isoformat() == "2029-11-24"
    req = request_revocation(b, world.teller, customer_no="C001", channel="mts",
                             reason="lost_device", clock=c)
    approve_request(b, world.manager, req.id, clock=c)
    detail = show_customer(b, world.teller, "C001", clock=c)
    assert detail.mts is None and detail.history[0].status == "revoked"
    page = search_customers(b, world.teller, "ㅎㄱㄷ", clock=c)
    assert [i.customer_no for i in page.items] == ["C001"]
    assert verify_audit(b, clock=c).ok
