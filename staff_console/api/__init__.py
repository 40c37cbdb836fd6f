"""The typed facade: every call the app, the CLI and the server make, in one Protocol.

Two implementations answer it with the same plain data (services.views) and the same
ConsoleError codes:

* `api.local.LocalConsole`: in-process, over the services and an open store (embedded mode:
  one terminal on SQLite, the demo, training; and the server itself, one per session);
* `api.remote.RemoteConsole`: a terminal of a console server (issue 14), over HTTPS; it imports
  no database code, holds no key and no store URL.

A console is one staff member's session: `sign_in` binds it to a person, every other call acts
as that person (the server re-checks every rule; a client's own checks are only courtesy).
Calls are blocking; the UI runs them in thread workers (screens/base.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..domain.authority import Actor
    from ..domain.clock import Clock
    from ..domain.policy import Policy
    from ..services.views import (
        AnchorView,
        AuditEventView,
        AuditPage,
        BranchView,
        CustomerDetail,
        DelegationView,
        ExpireResult,
        ExpiringItem,
        ExportResult,
        ImportResult,
        PolicyChangeView,
        PolicyEntry,
        RequestView,
        SearchPage,
        ServiceAnswerView,
        StaffView,
        VerifyResult,
    )
    from ..settings import Settings


class Console(Protocol):
    """One staff member's session with the console. Methods are named after the use cases
    (services/), take what the person chose and nothing about who acts or when: the
    implementation supplies the signed-in actor and the store's clock."""

    # -- the session --------------------------------------------------------------------------
    @property
    def actor(self) -> Actor | None: ...
    @property
    def training(self) -> bool: ...
    def sign_in(self, employee_no: str, password: str, *, terminal: str) -> Actor: ...
    def unlock(self, password: str) -> Actor: ...
    def sign_out(self, *, reason: str = "sign_out") -> None: ...
    def current_policy(self) -> Policy: ...
    def close(self) -> None: ...

    # -- customers ----------------------------------------------------------------------------
    def search_customers(self, query: str, *, limit: int = 50, offset: int = 0) -> SearchPage: ...
    def show_customer(self, customer_no: str) -> CustomerDetail: ...
    def service_matrix(self, customer_no: str | None = None) -> list[ServiceAnswerView]: ...
    def import_customers(self, path: Path, *, encoding: str = "utf-8",
                         source: str | None = None) -> ImportResult: ...

    # -- revocation requests (maker-checker) ---------------------------------------------------
    def request_revocation(self, *, customer_no: str, channel: str, reason: str,
                           note: str | None = None) -> RequestView: ...
    def approve_request(self, request_id: int, *, note: str | None = None) -> RequestView: ...
    def reject_request(self, request_id: int, *, note: str) -> RequestView: ...
    def withdraw_request(self, request_id: int) -> RequestView: ...
    def get_request(self, request_id: int) -> RequestView: ...
    def list_approvals(self) -> list[RequestView]: ...
    def list_my_requests(self, *, pending_only: bool = False) -> list[RequestView]: ...

    # -- delegations --------------------------------------------------------------------------
    def grant_delegation(self, *, delegate_employee_no: str, valid_from: datetime,
                         valid_until: datetime) -> DelegationView: ...
    def end_delegation(self, delegation_id: int) -> DelegationView: ...
    def list_delegations(self) -> list[DelegationView]: ...

    # -- expiring credentials -----------------------------------------------------------------
    def list_expiring(self, *, within_days: int = 30, branch_code: str | None = None,
                      limit: int = 1000) -> list[ExpiringItem]: ...
    def expiring_by_month(self, *, months: int = 12,
                          branch_code: str | None = None) -> list[tuple[str, int]]: ...
    def expire_due(self) -> ExpireResult: ...

    # -- exports (a new owner-only file on this terminal) -------------------------------------
    def export_expiring(self, path: Path, *, within_days: int,
                        branch_code: str | None = None) -> ExportResult: ...
    def export_events(self, path: Path, *, customer_no: str | None = None,
                      staff_no: str | None = None, action: str | None = None,
                      category: str | None = None, date_from: date | None = None,
                      date_to: date | None = None,
                      through_seq: int | None = None) -> ExportResult: ...
    def export_access_log(self, month: str, path: Path, *,
                          through_seq: int | None = None) -> ExportResult: ...

    # -- the audit trail ----------------------------------------------------------------------
    def list_events(self, *, customer_no: str | None = None, staff_no: str | None = None,
                    action: str | None = None, category: str | None = None,
                    date_from: date | None = None, date_to: date | None = None,
                    before_seq: int | None = None, limit: int = 100) -> AuditPage: ...
    def access_log(self, month: str, *, limit: int = 500,
                   before_seq: int | None = None) -> AuditPage: ...
    def sign_off_access_review(self, month: str, *, note: str | None = None) -> AuditEventView: ...
    def verify_audit(self, *, anchors: Sequence[str] | None = None) -> VerifyResult: ...
    def anchor_audit(self) -> AnchorView: ...
    def signoff_anchor(self, signoff: AuditEventView) -> AnchorView: ...

    # -- store policy (second-admin approval) -------------------------------------------------
    def show_policy(self) -> list[PolicyEntry]: ...
    def list_policy_changes(self, *, include_decided: bool = False) -> list[PolicyChangeView]: ...
    def set_policy(self, key: str, value: str) -> PolicyChangeView: ...
    def approve_policy_change(self, change_id: int) -> PolicyChangeView: ...
    def reject_policy_change(self, change_id: int, *, note: str | None = None) -> PolicyChangeView: ...

    # -- staff and branches -------------------------------------------------------------------
    def list_branches(self) -> list[BranchView]: ...
    def add_branch(self, code: str, name: str) -> BranchView: ...
    def list_staff(self, *, branch_code: str | None = None) -> list[StaffView]: ...
    def add_staff(self, *, employee_no: str, name: str, branch_code: str, role: str,
                  password: str) -> StaffView: ...
    def unlock_staff(self, employee_no: str) -> StaffView: ...


def open_console(settings: Settings, *, clock: Clock | None = None) -> Console:
    """The console these settings name: a console server's client (`settings.server`, over
    HTTPS; the server keeps the clock, so `clock` must be None) or, in embedded mode, the
    in-process console over the store (`clock`: a fixed clock asked for, training stores only).
    Imported lazily: the client path never imports the services or the store."""
    if settings.server:
        from .remote import RemoteConsole

        return RemoteConsole(settings.server, ca_file=settings.server_ca_file)
    from ..services.backend import open_backend
    from .local import LocalConsole

    return LocalConsole(open_backend(settings, clock=clock))
