"""Plain data handed to the CLI and the UI. Frozen dataclasses; `as_dict` for JSON.

Each has its docstring (also spares `dataclass` building one from its signature at import,
which every command pays)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import date, datetime


def as_dict(view) -> dict:
    """JSON-ready dict: datetimes as ISO-8601 (UTC), dates as YYYY-MM-DD."""

    def convert(value):
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [convert(v) for v in value]
        return value

    return convert(asdict(view) if is_dataclass(view) and not isinstance(view, type) else view)


@dataclass(frozen=True)
class StaffView:
    """A staff member as an admin sees them (no password hash)."""

    id: int
    employee_no: str
    name: str
    branch_code: str
    role: str
    active: bool
    locked: bool
    failed_sign_ins: int


@dataclass(frozen=True)
class BranchView:
    """A branch: its code and name."""

    code: str
    name: str


@dataclass(frozen=True)
class CredentialView:
    """One simple-auth credential of a customer on one channel, as of the call."""

    id: int
    channel: str
    status: str  # effective status today
    device_id: str
    device_model: str | None
    biometrics: str
    methods: list[str]
    key_fingerprint: str | None
    created_at: datetime
    activated_at: datetime | None
    valid_until: date | None  # last valid day, Korea time
    days_left: int | None
    last_used_at: datetime | None
    failed_logins: int
    ended_at: datetime | None
    end_reason: str | None  # domain.states.EndReason
    replaced_by: int | None = None  # the credential that replaced it (end_reason "replaced")


@dataclass(frozen=True)
class EvidenceView:
    """One check of a registration's non-face-to-face identity verification."""

    kind: str
    passed: bool
    verified_at: datetime
    detail: str


@dataclass(frozen=True)
class RequestView:
    """A request waiting for (or given) a checker's decision: revocation or registration."""

    id: int
    kind: str
    status: str
    customer_no: str
    customer_name: str
    channel: str
    credential_id: int
    branch_code: str
    origin: str
    maker: str | None  # employee number (display); None for channel requests
    maker_name: str | None
    maker_id: int | None  # the maker's staff id: who made it (authority.is_own_request)
    reason: str | None
    note: str | None
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None
    decider: str | None
    decider_name: str | None
    authority: str | None  # manager | delegate | policy
    delegation_id: int | None
    decision_note: str | None
    evidence: list[EvidenceView] = field(default_factory=list)
    credential: CredentialView | None = None


@dataclass(frozen=True)
class CustomerSummary:
    """A customer in a search result: identity masked."""

    customer_no: str
    name: str
    id_masked: str
    customer_type: str
    nationality: str
    phone_masked: str
    branch_code: str
    online_trading: bool


@dataclass(frozen=True)
class SearchPage:
    """One page of a customer search."""

    query: str
    kinds: list[str]
    items: list[CustomerSummary]
    offset: int
    limit: int
    has_more: bool


@dataclass(frozen=True)
class ServiceAnswerView:
    """One service of the matrix, with whether the customer may use it."""

    code: str
    group: str
    group_en: str
    name: str
    name_en: str
    online_trading: bool
    verification: str
    available: bool | None  # None when no customer was given
    reason_code: str | None


@dataclass(frozen=True)
class CustomerDetail:
    """The customer screen: identity masked, both channels' credentials side by side."""

    customer_no: str
    name: str
    id_masked: str
    customer_type: str
    nationality: str
    online_trading: bool
    branch_code: str
    branch_name: str
    phone_masked: str
    accounts: list[str]
    mts: CredentialView | None
    web: CredentialView | None
    history: list[CredentialView]
    pending: list[RequestView]
    today: date


@dataclass(frozen=True)
class DelegationView:
    """A 직무대행 window: the branch manager's authority lent for a bounded period."""

    id: int
    branch_code: str
    grantor: str
    grantor_name: str
    delegate: str
    delegate_name: str
    valid_from: datetime
    valid_until: datetime
    ended_at: datetime | None
    active: bool  # at the time of the call
    state: str | None = None  # domain.authority.DelegationState at the time of the call
    delegate_id: int | None = None  # the delegate's staff id (identity; `delegate` is display)


@dataclass(frozen=True)
class IntakeResult:
    """The channel's registration as recorded: its request and credential."""

    request_id: int
    credential_id: int
    status: str


@dataclass(frozen=True)
class LoginResult:
    """A simple-auth login's outcome as recorded."""

    credential_id: int
    result: str
    status: str
    failed_logins: int


@dataclass(frozen=True)
class SelfRevocationResult:
    """The customer's own 간편인증 해지 from the channel (services/self_service.py)."""

    credential_id: int
    status: str


@dataclass(frozen=True)
class ChannelKeyView:
    """A channel back-end's API key, without the key (only its creation shows it, once)."""

    id: int
    channel: str
    name: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class NewChannelKey:
    """A channel key just created: the secret, shown this once."""

    key: ChannelKeyView
    secret: str  # shown once; the store keeps only its SHA-256


@dataclass(frozen=True)
class ExpiringItem:
    """A credential whose validity ends soon."""

    credential_id: int
    customer_no: str
    customer_name: str
    branch_code: str
    channel: str
    device_model: str | None
    valid_until: date
    days_left: int


@dataclass(frozen=True)
class ExpireResult:
    """What one expiry run ended."""

    credentials_expired: int
    requests_expired: int
    answers_purged: int = 0  # channel API answers past their retention (Idempotency-Key)


@dataclass(frozen=True)
class ImportResult:
    """A customer import's count (all or nothing)."""

    imported: int


@dataclass(frozen=True)
class ExportResult:
    """An audit export's file and row count."""

    path: str
    rows: int


@dataclass(frozen=True)
class AuditEventView:
    """One event of the audit trail."""

    seq: int
    at: datetime
    actor: str
    terminal: str
    action: str
    category: str
    customer_no: str | None
    target: str | None
    detail: dict


@dataclass(frozen=True)
class AuditPage:
    """One page of the audit trail."""

    items: list[AuditEventView]
    has_more: bool


@dataclass(frozen=True)
class VerifyResult:
    """The audit chain's verdict (store/audit.py ChainVerdict): `problem` a ChainProblem code,
    `missing` the (first, last) seqs lost, `bad_anchors` (line, AnchorFault) of anchor lines
    not trusted, `unanchored_after` the last seq an anchor vouches for (0: none)."""

    ok: bool
    count: int
    first_bad_seq: int | None
    problem: str | None
    missing: tuple[int, int] | None = None
    anchors_checked: int = 0
    bad_anchors: tuple[tuple[int, str], ...] = ()
    unanchored_after: int = 0


@dataclass(frozen=True)
class AnchorView:
    """A signed anchor line for the chain at `seq` (store/audit.py Anchor)."""

    line: str
    store_id: str
    seq: int
    hash: str
    at: str
    kind: str


@dataclass(frozen=True)
class PolicyEntry:
    """One policy setting: its value, default and bounds."""

    key: str  # policy.<name>
    value: bool | int
    default: bool | int
    low: int | None
    high: int | None
    weaker: str | None  # "off" / "higher": which change needs a second admin


@dataclass(frozen=True)
class PolicyChangeView:
    """A policy change: applied at once, or waiting for a second admin."""

    id: int | None  # None: applied at once, never pending
    key: str
    old_value: bool | int
    new_value: bool | int
    status: str  # applied | pending | approved | rejected | expired
    maker: str
    created_at: datetime
    expires_at: datetime | None
    decider: str | None = None
    decided_at: datetime | None = None
    note: str | None = None
    maker_id: int | None = None  # the maker's staff id (authority.is_own_request)
