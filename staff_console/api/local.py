"""The in-process console: the facade over the services and one open store.

Used by a terminal in embedded mode (SQLite on this PC: one terminal, the demo, training) and
by the console server, which holds one per signed-in session. Each call is one use case in its
own transaction, acting as the signed-in member, on the store's clock (services/backend.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..domain.authority import Actor
from ..domain.errors import ConsoleError
from ..domain.policy import Policy
from ..services.backend import Backend
from ..services.views import (
    AnchorView,
    AuditEventView,
    AuditPage,
    BranchView,
    ChannelKeyView,
    CustomerDetail,
    DelegationView,
    ExpireResult,
    ExpiringItem,
    ExportResult,
    ImportResult,
    NewChannelKey,
    PolicyChangeView,
    PolicyEntry,
    RequestView,
    SearchPage,
    ServiceAnswerView,
    StaffView,
    VerifyResult,
)

# Each method imports the use case it calls: a CLI command loads only its own services and
# store modules (`customer show` no audit queries, exports, imports or policy). After the first
# call an import in a method is a dictionary look-up. The names in the methods' hints are
# imported above, at run time: the server reads them (server/routes_staff.py
# `typing.get_type_hints`), and every command loads these modules anyway. Only `watch`'s
# (http.client with api.events, the store's watcher) are not: the server does not serve it.
if TYPE_CHECKING:
    from ..services.live import FeedWatcher
    from .events import Event


class LocalConsole:
    """One session over `backend`. `actor` is None until `sign_in` (or given, when the caller
    has already authenticated the person: the server, from its session token)."""

    def __init__(self, backend: Backend, actor: Actor | None = None) -> None:
        self.backend = backend
        self._actor = actor

    # -- the session --------------------------------------------------------------------------
    @property
    def actor(self) -> Actor | None:
        return self._actor

    @property
    def training(self) -> bool:
        return self.backend.training

    def _who(self) -> Actor:
        if self._actor is None:
            raise ConsoleError("AUTH_REQUIRED", "sign in first")
        return self._actor

    def sign_in(self, employee_no: str, password: str, *, terminal: str) -> Actor:
        from ..services import staff
        self._actor = staff.authenticate(self.backend, employee_no, password,
                                         clock=self.backend.clock, terminal=terminal)
        return self._actor

    def unlock(self, password: str) -> Actor:
        from ..services import staff
        self._actor = staff.verify_actor_password(self.backend, self._who(), password,
                                                  clock=self.backend.clock)
        return self._actor

    def sign_out(self, *, reason: str = "sign_out") -> None:
        from ..services import staff
        actor, self._actor = self._actor, None
        if actor is not None:
            staff.sign_out(self.backend, actor, clock=self.backend.clock, reason=reason)

    def current_policy(self) -> Policy:
        from ..services import policy as policy_service
        return policy_service.current_policy(self.backend)

    def close(self) -> None:
        self.backend.store.dispose()

    # -- customers ----------------------------------------------------------------------------
    def search_customers(self, query: str, *, limit: int = 50, offset: int = 0) -> SearchPage:
        from ..services import customer_search
        return customer_search.search_customers(self.backend, self._who(), query,
                                                clock=self.backend.clock, limit=limit,
                                                offset=offset)

    def show_customer(self, customer_no: str) -> CustomerDetail:
        from ..services import customer_view
        return customer_view.show_customer(self.backend, self._who(), customer_no,
                                           clock=self.backend.clock)

    def service_matrix(self, customer_no: str | None = None) -> list[ServiceAnswerView]:
        # The plain matrix is a system job's too (the CLI without --as); a customer's needs
        # a person (the service refuses it without one).
        from ..services import customer_view
        actor = self._actor if customer_no is None else self._who()
        return customer_view.service_matrix(self.backend, actor, customer_no,
                                            clock=self.backend.clock)

    def import_customers(self, path: Path, *, encoding: str = "utf-8",
                         source: str | None = None) -> ImportResult:
        from ..services import customer_import
        return customer_import.import_customers_file(self.backend, self._who(), path,
                                                     encoding=encoding, clock=self.backend.clock,
                                                     source=source)

    # -- revocation requests ------------------------------------------------------------------
    def request_revocation(self, *, customer_no: str, channel: str, reason: str,
                           note: str | None = None) -> RequestView:
        from ..services import requests
        return requests.request_revocation(self.backend, self._who(), customer_no=customer_no,
                                           channel=channel, reason=reason, note=note,
                                           clock=self.backend.clock)

    def approve_request(self, request_id: int, *, note: str | None = None) -> RequestView:
        from ..services import requests
        return requests.approve_request(self.backend, self._who(), request_id, note=note,
                                        clock=self.backend.clock)

    def reject_request(self, request_id: int, *, note: str) -> RequestView:
        from ..services import requests
        return requests.reject_request(self.backend, self._who(), request_id, note=note,
                                       clock=self.backend.clock)

    def withdraw_request(self, request_id: int) -> RequestView:
        from ..services import requests
        return requests.withdraw_request(self.backend, self._who(), request_id,
                                         clock=self.backend.clock)

    def get_request(self, request_id: int) -> RequestView:
        from ..services import requests
        return requests.get_request(self.backend, self._who(), request_id,
                                    clock=self.backend.clock)

    def list_approvals(self) -> list[RequestView]:
        from ..services import requests
        return requests.list_approvals(self.backend, self._who(), clock=self.backend.clock)

    def list_my_requests(self, *, pending_only: bool = False) -> list[RequestView]:
        from ..services import requests
        return requests.list_my_requests(self.backend, self._who(), clock=self.backend.clock,
                                         pending_only=pending_only)

    def count_approvals(self) -> int | None:
        from ..services import requests
        return requests.count_approvals(self.backend, self._who(), clock=self.backend.clock)

    # -- changes as they happen -----------------------------------------------------------------
    def watch(self, on_event: Callable[[Event], None]) -> FeedWatcher:
        """A thread watching the store for what concerns the signed-in member (services/
        live.py: SQLite's data version, then the event feed), with the events a console
        server's stream sends (api/events.py)."""
        from ..services.event_feed import Notice
        from ..services.live import FeedWatcher
        from .events import Event

        def deliver(notice: Notice) -> None:
            on_event(Event(notice.kind, notice.seq, dict(notice.data)))

        return FeedWatcher(self.backend, self._who(), deliver).start()

    # -- delegations --------------------------------------------------------------------------
    def grant_delegation(self, *, delegate_employee_no: str, valid_from: datetime,
                         valid_until: datetime) -> DelegationView:
        from ..services import delegations
        return delegations.grant_delegation(self.backend, self._who(),
                                            delegate_employee_no=delegate_employee_no,
                                            valid_from=valid_from, valid_until=valid_until,
                                            clock=self.backend.clock)

    def end_delegation(self, delegation_id: int) -> DelegationView:
        from ..services import delegations
        return delegations.end_delegation(self.backend, self._who(), delegation_id,
                                          clock=self.backend.clock)

    def list_delegations(self) -> list[DelegationView]:
        from ..services import delegations
        return delegations.list_delegations(self.backend, self._who(), clock=self.backend.clock)

    # -- expiring credentials -----------------------------------------------------------------
    def list_expiring(self, *, within_days: int = 30, branch_code: str | None = None,
                      limit: int = 1000) -> list[ExpiringItem]:
        from ..services import expiry
        return expiry.list_expiring(self.backend, self._who(), within_days=within_days,
                                    clock=self.backend.clock, branch_code=branch_code, limit=limit)

    def expiring_by_month(self, *, months: int = 12,
                          branch_code: str | None = None) -> list[tuple[str, int]]:
        from ..services import expiry
        return expiry.expiring_by_month(self.backend, self._who(), months=months,
                                        clock=self.backend.clock, branch_code=branch_code)

    def expire_due(self) -> ExpireResult:
        from ..services import expiry
        return expiry.expire_due(self.backend, self._actor, clock=self.backend.clock)

    # -- exports ------------------------------------------------------------------------------
    def export_expiring(self, path: Path, *, within_days: int,
                        branch_code: str | None = None) -> ExportResult:
        from ..services import exports
        return exports.export_expiring(self.backend, self._who(), path, within_days=within_days,
                                       clock=self.backend.clock, branch_code=branch_code)

    def export_events(self, path: Path, *, customer_no: str | None = None,
                      staff_no: str | None = None, action: str | None = None,
                      category: str | None = None, date_from: date | None = None,
                      date_to: date | None = None, through_seq: int | None = None) -> ExportResult:
        from ..services import exports
        return exports.export_events(self.backend, self._who(), path, clock=self.backend.clock,
                                     customer_no=customer_no, staff_no=staff_no, action=action,
                                     category=category, date_from=date_from, date_to=date_to,
                                     through_seq=through_seq)

    def export_access_log(self, month: str, path: Path, *,
                          through_seq: int | None = None) -> ExportResult:
        from ..services import exports
        return exports.export_access_log(self.backend, self._who(), month, path,
                                         clock=self.backend.clock, through_seq=through_seq)

    # -- the audit trail ----------------------------------------------------------------------
    def list_events(self, *, customer_no: str | None = None, staff_no: str | None = None,
                    action: str | None = None, category: str | None = None,
                    date_from: date | None = None, date_to: date | None = None,
                    before_seq: int | None = None, limit: int = 100) -> AuditPage:
        from ..services import audit_trail
        return audit_trail.list_events(self.backend, self._who(), clock=self.backend.clock,
                                       customer_no=customer_no, staff_no=staff_no, action=action,
                                       category=category, date_from=date_from, date_to=date_to,
                                       before_seq=before_seq, limit=limit)

    def access_log(self, month: str, *, limit: int = 500,
                   before_seq: int | None = None) -> AuditPage:
        from ..services import audit_trail
        return audit_trail.access_log(self.backend, self._who(), month, clock=self.backend.clock,
                                      limit=limit, before_seq=before_seq)

    def sign_off_access_review(self, month: str, *, note: str | None = None) -> AuditEventView:
        from ..services import audit_trail
        return audit_trail.sign_off_access_review(self.backend, self._who(), month, note=note,
                                                  clock=self.backend.clock)

    def verify_audit(self, *, anchors: Sequence[str] | None = None) -> VerifyResult:
        # Without a person: the CLI's system job on the store (nothing recorded); the server's
        # consoles always have one.
        from ..services import audit_trail
        return audit_trail.verify_audit(self.backend, actor=self._actor, clock=self.backend.clock,
                                        anchors=list(anchors) if anchors is not None else None)

    def anchor_audit(self) -> AnchorView:
        from ..services import audit_trail
        return audit_trail.anchor_audit(self.backend, self._who(), clock=self.backend.clock)

    def signoff_anchor(self, signoff: AuditEventView) -> AnchorView:
        from ..services import audit_trail
        self._who()
        return audit_trail.signoff_anchor(self.backend, signoff)

    # -- store policy -------------------------------------------------------------------------
    def show_policy(self) -> list[PolicyEntry]:
        from ..services import policy as policy_service
        return policy_service.show_policy(self.backend, self._who(), clock=self.backend.clock)

    def list_policy_changes(self, *, include_decided: bool = False) -> list[PolicyChangeView]:
        from ..services import policy as policy_service
        return policy_service.list_changes(self.backend, self._who(), clock=self.backend.clock,
                                           include_decided=include_decided)

    def set_policy(self, key: str, value: str) -> PolicyChangeView:
        from ..services import policy as policy_service
        return policy_service.set_policy(self.backend, self._who(), key, value,
                                         clock=self.backend.clock)

    def approve_policy_change(self, change_id: int) -> PolicyChangeView:
        from ..services import policy as policy_service
        return policy_service.approve_change(self.backend, self._who(), change_id,
                                             clock=self.backend.clock)

    def reject_policy_change(self, change_id: int, *, note: str | None = None) -> PolicyChangeView:
        from ..services import policy as policy_service
        return policy_service.reject_change(self.backend, self._who(), change_id, note=note,
                                            clock=self.backend.clock)

    # -- staff and branches -------------------------------------------------------------------
    def list_branches(self) -> list[BranchView]:
        from ..services import staff
        self._who()
        return staff.list_branches(self.backend)

    def add_branch(self, code: str, name: str) -> BranchView:
        from ..services import staff
        return staff.add_branch(self.backend, self._who(), code, name, clock=self.backend.clock)

    def list_staff(self, *, branch_code: str | None = None) -> list[StaffView]:
        from ..services import staff
        return staff.list_staff(self.backend, self._who(), branch_code=branch_code,
                                clock=self.backend.clock)

    def add_staff(self, *, employee_no: str, name: str, branch_code: str, role: str,
                  password: str) -> StaffView:
        from ..services import staff
        return staff.add_staff(self.backend, self._who(), employee_no=employee_no, name=name,
                               branch_code=branch_code, role=role, password=password,
                               clock=self.backend.clock)

    def unlock_staff(self, employee_no: str) -> StaffView:
        from ..services import staff
        return staff.unlock_staff(self.backend, self._who(), employee_no, clock=self.backend.clock)

    def lock_staff(self, employee_no: str) -> StaffView:
        from ..services import staff
        return staff.lock_staff(self.backend, self._who(), employee_no, clock=self.backend.clock)

    def change_staff(self, employee_no: str, *, role: str | None = None,
                     branch_code: str | None = None) -> StaffView:
        from ..services import staff
        return staff.change_staff(self.backend, self._who(), employee_no, role=role,
                                  branch_code=branch_code, clock=self.backend.clock)

    # -- the channel back-ends' API keys ------------------------------------------------------
    def create_channel_key(self, channel: str, *, name: str | None = None) -> NewChannelKey:
        from ..services import channel_keys
        return channel_keys.create_key(self.backend, self._who(), channel, name,
                                       clock=self.backend.clock)

    def revoke_channel_key(self, key_id: int) -> ChannelKeyView:
        from ..services import channel_keys
        return channel_keys.revoke_key(self.backend, self._who(), key_id, clock=self.backend.clock)

    def list_channel_keys(self) -> list[ChannelKeyView]:
        from ..services import channel_keys
        return channel_keys.list_keys(self.backend, self._who(), clock=self.backend.clock)
