"""The thin client: a terminal of a console server, answering the `Console` Protocol over HTTPS.

It holds no database URL, no key and no store code: the standard library's http.client and ssl
(`import httpx` alone costs 0.15 s of a CLI command's start, http.client 0.03 s), one
keep-alive connection, JSON decoded into the services.views dataclasses (api/wire.py). The
server answers a refusal with `{"code", "message", "field"}`, raised here as the same
ConsoleError; no answer at all is SERVER_UNAVAILABLE. The session token lives in this object's
memory only: never in a file, never in a log line.
"""

from __future__ import annotations

import base64
import http.client
import os
import ssl
import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, NoReturn
from urllib.parse import urlsplit

from ..domain.authority import Actor
from ..domain.documents import read_json
from ..domain.errors import CODES, ConsoleError
from ..domain.policy import Policy
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
from . import early_sign_in, wire
from .body import json_body
from .events import Event, EventStream

TIMEOUT_S = 30.0  # one call; an import of a large file may take this long on the server


class RemoteConsole:
    """One staff member's session with the console server at `url` (https://host[:port]).
    `ca_file`: the CA bundle that vouches for the server's certificate (None: the system's
    trust store). Thread-safe: calls from the UI's workers are serialised on one connection."""

    def __init__(self, url: str, *, ca_file: Path | str | None = None,
                 timeout: float = TIMEOUT_S) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ConsoleError("INVALID_SETTING", f"server: not an https:// URL: {url!r}",
                               field="server")
        self.url = url.rstrip("/")
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._https = parts.scheme == "https"
        self._context = (ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
                         if self._https else None)
        self._ca_file = ca_file  # the event stream's connection trusts the same CA
        self._timeout = timeout
        self._connection: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()
        self._token: str | None = None
        self._actor: Actor | None = None
        self._training = False
        self._policy = Policy()

    # -- the wire -----------------------------------------------------------------------------
    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            if self._https:
                self._connection = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self._timeout, context=self._context)
            else:
                self._connection = http.client.HTTPConnection(self._host, self._port,
                                                              timeout=self._timeout)
        return self._connection

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _request(self, method: str, path: str, body: dict | None = None) -> Any:
        data = json_body(wire.encode(body or {}))
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        with self._lock:
            # A kept-alive connection the server closed while it idled fails at once: one new
            # connection is tried. Only a reused connection is retried: on a fresh one the
            # server may have acted before failing, and a call must not run twice.
            for attempt in (1, 2):
                reused = self._connection is not None
                try:
                    connection = self._connect()
                    connection.request(method, self._prefix + path,
                                       body=data if method != "GET" else None, headers=headers)
                    response = connection.getresponse()
                    payload = response.read()
                    break
                except (OSError, http.client.HTTPException) as exc:
                    self._drop()
                    retry = isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError
                                       | BrokenPipeError | http.client.CannotSendRequest)
                    if attempt == 2 or not retry or not reused or isinstance(
                            exc, ssl.SSLCertVerificationError):
                        self._unreachable(exc)
        return self._finish(response.status, payload)

    def _unreachable(self, exc: BaseException) -> NoReturn:
        """A call that got no answer: SERVER_UNAVAILABLE (the exception itself if it is not
        the network's)."""
        if isinstance(exc, ssl.SSLCertVerificationError):
            raise ConsoleError("SERVER_UNAVAILABLE", "the console server's certificate "
                               f"is not trusted ({exc.verify_message})") from None
        if isinstance(exc, OSError | http.client.HTTPException):
            raise ConsoleError("SERVER_UNAVAILABLE", "the console server at "
                               f"{self.url} cannot be reached ({exc})") from None
        raise exc

    def _finish(self, status: int, payload: bytes) -> Any:
        try:
            return self._answer(status, payload)
        except ConsoleError as exc:
            if exc.code == "SESSION_ENDED":  # the token opens nothing any more: forget it
                self._token = None
                self._actor = None
            raise

    @staticmethod
    def _answer(status: int, payload: bytes) -> Any:
        try:
            document = read_json(payload) if payload else None
        except ValueError:  # Unreadable: not JSON, not UTF-8, nested too deep
            document = None
        if 200 <= status < 300:
            return document
        if isinstance(document, dict) and document.get("code") in CODES:
            detail, values = document.get("detail"), document.get("values")
            raise ConsoleError(str(document["code"]), str(document.get("message") or ""),
                               field=document.get("field"),
                               detail=detail if isinstance(detail, str) else None,
                               values=values if isinstance(values, dict) else None)
        # 500 UNEXPECTED (the server logged it) or an answer that is not the server's.
        raise RemoteFailure(f"the console server failed (HTTP {status}); its log has the cause")

    def _call(self, call: str, hint: Any, /, **arguments: Any) -> Any:
        document = self._request("POST", f"/v1/staff/{call}", arguments)
        return wire.decode(hint, document, "answer")

    # -- the session --------------------------------------------------------------------------
    @property
    def actor(self) -> Actor | None:
        return self._actor

    @property
    def training(self) -> bool:
        return self._training

    def sign_in(self, employee_no: str, password: str, *, terminal: str) -> Actor:
        self._token = None
        # The CLI may have sent this very sign-in while it loaded (api/early_sign_in.py): its
        # answer is taken only for the same server, CA, member, password and terminal.
        early = early_sign_in.take(self.url, self._ca_file, employee_no, password, terminal)
        if early is None:
            document = self._request("POST", early_sign_in.SIGN_IN_PATH,
                                     early_sign_in.sign_in_body(employee_no, password, terminal))
        elif isinstance(early.outcome, tuple):
            connection, status, payload = early.outcome
            with self._lock:  # its connection is kept alive for the command's calls
                self._drop()
                self._connection = connection
            document = self._finish(status, payload)
        else:
            self._unreachable(early.outcome or TimeoutError("no answer"))
        self._token = str(document["token"])
        self._actor = wire.decode(Actor, document["actor"], "actor")
        self._policy = wire.decode(Policy, document["policy"], "policy")
        self._training = bool(document["training"])
        return self._actor

    def unlock(self, password: str) -> Actor:
        document = self._request("POST", "/v1/session/unlock", {"password": password})
        self._actor = wire.decode(Actor, document["actor"], "actor")
        return self._actor

    def sign_out(self, *, reason: str = "sign_out") -> None:
        if self._token is None:
            return
        try:
            self._request("POST", "/v1/session/sign-out", {"reason": reason})
        finally:
            self._token = None
            self._actor = None

    def current_policy(self) -> Policy:
        self._policy = self._call("current_policy", Policy)
        return self._policy

    def close(self) -> None:
        with self._lock:
            self._drop()

    # -- customers ----------------------------------------------------------------------------
    def search_customers(self, query: str, *, limit: int = 50, offset: int = 0) -> SearchPage:
        return self._call("search_customers", SearchPage, query=query, limit=limit,
                          offset=offset)

    def show_customer(self, customer_no: str) -> CustomerDetail:
        return self._call("show_customer", CustomerDetail, customer_no=customer_no)

    def service_matrix(self, customer_no: str | None = None) -> list[ServiceAnswerView]:
        return self._call("service_matrix", list[ServiceAnswerView], customer_no=customer_no)

    def import_customers(self, path: Path, *, encoding: str = "utf-8",
                         source: str | None = None) -> ImportResult:
        content = Path(path).read_bytes()
        document = self._request("POST", "/v1/staff/import_customers", {
            "content": base64.b64encode(content).decode("ascii"), "encoding": encoding,
            "source": source or Path(path).name})
        return wire.decode(ImportResult, document, "answer")

    # -- revocation requests ------------------------------------------------------------------
    def request_revocation(self, *, customer_no: str, channel: str, reason: str,
                           note: str | None = None) -> RequestView:
        return self._call("request_revocation", RequestView, customer_no=customer_no,
                          channel=channel, reason=reason, note=note)

    def approve_request(self, request_id: int, *, note: str | None = None) -> RequestView:
        return self._call("approve_request", RequestView, request_id=request_id, note=note)

    def reject_request(self, request_id: int, *, note: str) -> RequestView:
        return self._call("reject_request", RequestView, request_id=request_id, note=note)

    def withdraw_request(self, request_id: int) -> RequestView:
        return self._call("withdraw_request", RequestView, request_id=request_id)

    def get_request(self, request_id: int) -> RequestView:
        return self._call("get_request", RequestView, request_id=request_id)

    def list_approvals(self) -> list[RequestView]:
        return self._call("list_approvals", list[RequestView])

    def list_my_requests(self, *, pending_only: bool = False) -> list[RequestView]:
        return self._call("list_my_requests", list[RequestView], pending_only=pending_only)

    def count_approvals(self) -> int | None:
        return self._call("count_approvals", int | None)

    # -- changes as they happen: the server's event stream (api/events.py) ---------------------
    def watch(self, on_event: Callable[[Event], None]) -> EventStream:
        """The server's event stream of this session, on a thread of its own; nothing polls
        the server (and the stream is not the person's activity: the idle lock holds)."""
        if self._token is None:
            raise ConsoleError("AUTH_REQUIRED", "sign in first")
        return EventStream.for_console(self, on_event=on_event,
                                       ca_file=self._ca_file).start()

    # -- delegations --------------------------------------------------------------------------
    def grant_delegation(self, *, delegate_employee_no: str, valid_from: datetime,
                         valid_until: datetime) -> DelegationView:
        return self._call("grant_delegation", DelegationView,
                          delegate_employee_no=delegate_employee_no, valid_from=valid_from,
                          valid_until=valid_until)

    def end_delegation(self, delegation_id: int) -> DelegationView:
        return self._call("end_delegation", DelegationView, delegation_id=delegation_id)

    def list_delegations(self) -> list[DelegationView]:
        return self._call("list_delegations", list[DelegationView])

    # -- expiring credentials -----------------------------------------------------------------
    def list_expiring(self, *, within_days: int = 30, branch_code: str | None = None,
                      limit: int = 1000) -> list[ExpiringItem]:
        return self._call("list_expiring", list[ExpiringItem], within_days=within_days,
                          branch_code=branch_code, limit=limit)

    def expiring_by_month(self, *, months: int = 12,
                          branch_code: str | None = None) -> list[tuple[str, int]]:
        return self._call("expiring_by_month", list[tuple[str, int]], months=months,
                          branch_code=branch_code)

    def expire_due(self) -> ExpireResult:
        return self._call("expire_due", ExpireResult)

    # -- exports: the server sends the content, the file is written here -----------------------
    def _export(self, call: str, path: Path, /, **arguments: Any) -> ExportResult:
        path = Path(path)
        handle = open_new_private_file(path)  # refused before the server reads anything
        try:
            with handle:
                document = self._request("POST", f"/v1/staff/{call}", arguments)
                handle.write(base64.b64decode(document["content"]))
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            path.unlink(missing_ok=True)  # no partial export is left behind
            raise
        return ExportResult(path=str(path), rows=int(document["rows"]))

    def export_expiring(self, path: Path, *, within_days: int,
                        branch_code: str | None = None) -> ExportResult:
        return self._export("export_expiring", path, within_days=within_days,
                            branch_code=branch_code)

    def export_events(self, path: Path, *, customer_no: str | None = None,
                      staff_no: str | None = None, action: str | None = None,
                      category: str | None = None, date_from: date | None = None,
                      date_to: date | None = None, through_seq: int | None = None) -> ExportResult:
        return self._export("export_events", path, customer_no=customer_no, staff_no=staff_no,
                            action=action, category=category, date_from=date_from,
                            date_to=date_to, through_seq=through_seq)

    def export_access_log(self, month: str, path: Path, *,
                          through_seq: int | None = None) -> ExportResult:
        return self._export("export_access_log", path, month=month, through_seq=through_seq)

    # -- the audit trail ----------------------------------------------------------------------
    def list_events(self, *, customer_no: str | None = None, staff_no: str | None = None,
                    action: str | None = None, category: str | None = None,
                    date_from: date | None = None, date_to: date | None = None,
                    before_seq: int | None = None, limit: int = 100) -> AuditPage:
        return self._call("list_events", AuditPage, customer_no=customer_no, staff_no=staff_no,
                          action=action, category=category, date_from=date_from,
                          date_to=date_to, before_seq=before_seq, limit=limit)

    def access_log(self, month: str, *, limit: int = 500,
                   before_seq: int | None = None) -> AuditPage:
        return self._call("access_log", AuditPage, month=month, limit=limit,
                          before_seq=before_seq)

    def sign_off_access_review(self, month: str, *, note: str | None = None) -> AuditEventView:
        return self._call("sign_off_access_review", AuditEventView, month=month, note=note)

    def verify_audit(self, *, anchors: Sequence[str] | None = None) -> VerifyResult:
        return self._call("verify_audit", VerifyResult,
                          anchors=list(anchors) if anchors is not None else None)

    def anchor_audit(self) -> AnchorView:
        return self._call("anchor_audit", AnchorView)

    def signoff_anchor(self, signoff: AuditEventView) -> AnchorView:
        return self._call("signoff_anchor", AnchorView, signoff=signoff)

    # -- store policy -------------------------------------------------------------------------
    def show_policy(self) -> list[PolicyEntry]:
        return self._call("show_policy", list[PolicyEntry])

    def list_policy_changes(self, *, include_decided: bool = False) -> list[PolicyChangeView]:
        return self._call("list_policy_changes", list[PolicyChangeView],
                          include_decided=include_decided)

    def set_policy(self, key: str, value: str) -> PolicyChangeView:
        return self._call("set_policy", PolicyChangeView, key=key, value=value)

    def approve_policy_change(self, change_id: int) -> PolicyChangeView:
        return self._call("approve_policy_change", PolicyChangeView, change_id=change_id)

    def reject_policy_change(self, change_id: int, *, note: str | None = None) -> PolicyChangeView:
        return self._call("reject_policy_change", PolicyChangeView, change_id=change_id,
                          note=note)

    # -- staff and branches -------------------------------------------------------------------
    def list_branches(self) -> list[BranchView]:
        return self._call("list_branches", list[BranchView])

    def add_branch(self, code: str, name: str) -> BranchView:
        return self._call("add_branch", BranchView, code=code, name=name)

    def list_staff(self, *, branch_code: str | None = None) -> list[StaffView]:
        return self._call("list_staff", list[StaffView], branch_code=branch_code)

    def add_staff(self, *, employee_no: str, name: str, branch_code: str, role: str,
                  password: str) -> StaffView:
        return self._call("add_staff", StaffView, employee_no=employee_no, name=name,
                          branch_code=branch_code, role=role, password=password)

    def unlock_staff(self, employee_no: str) -> StaffView:
        return self._call("unlock_staff", StaffView, employee_no=employee_no)

    def lock_staff(self, employee_no: str) -> StaffView:
        return self._call("lock_staff", StaffView, employee_no=employee_no)

    def change_staff(self, employee_no: str, *, role: str | None = None,
                     branch_code: str | None = None) -> StaffView:
        return self._call("change_staff", StaffView, employee_no=employee_no, role=role,
                          branch_code=branch_code)

    # -- the channel back-ends' API keys ------------------------------------------------------
    def create_channel_key(self, channel: str, *, name: str | None = None) -> NewChannelKey:
        return self._call("create_channel_key", NewChannelKey, channel=channel, name=name)

    def revoke_channel_key(self, key_id: int) -> ChannelKeyView:
        return self._call("revoke_channel_key", ChannelKeyView, key_id=key_id)

    def list_channel_keys(self) -> list[ChannelKeyView]:
        return self._call("list_channel_keys", list[ChannelKeyView])

    def session_token(self) -> str | None:
        """The session's token, for the event stream of the same session (api/events.py):
        memory only, like the console's own use of it."""
        return self._token


class RemoteFailure(RuntimeError):
    """The server failed on a call (500: its log has the cause), or what answered is not a
    console server: an unexpected error, shown as one line like any other."""


def open_new_private_file(path: Path) -> BinaryIO:
    """A new file only this user can read (an export holds customers' data); an existing file
    or a link in its place is refused, as the embedded exports do (services/exports.py)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o600)
    except FileExistsError:
        raise ConsoleError("INVALID_INPUT", "path: the file exists already; exports never "
                           "overwrite a file (choose a new name)", field="path") from None
    except OSError as exc:
        raise ConsoleError("INVALID_INPUT", f"path: cannot create the file: "
                           f"{exc.strerror or exc}", field="path") from None
    return os.fdopen(descriptor, "wb")
