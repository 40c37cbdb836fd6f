"""The store's policy: read it, change it (admins), and maker-checker on the policy itself.

The values are `setting` rows `policy.<name>` (domain/policy.py knows each key). A change that
strengthens a control applies at once; one that weakens it (a checker switched off, a longer
deadline or idle lock) waits as `policy_change.<n>` (JSON) for a second admin, who approves or
rejects it. Every step is an audit event naming the old and the new value.

The use cases that enforce the policy read it in their own transaction (a new request reads
its deadline and checker flag in its locking statement, services/common.py), so a change holds
from the next request on every terminal. `Backend.policy` is a snapshot for what only shows or
times (the app's idle lock, the expiring list's default window), refreshed by `current_policy`.

Concurrency: every policy write first locks the `policy_change_seq` row, so changes to the
policy are one at a time and each reads the value it replaces under that lock.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from ..domain.authority import Actor, Role
from ..domain.bounds import whole_number
from ..domain.clock import Clock
from ..domain.errors import ConsoleError, invalid, not_found
from ..domain.ids import mask_numbers
from ..domain.policy import RULES, Policy, Rule, rule_for, stored_value
from ..domain.text import clean_text
from ..store.engine import Tx
from ..store.meta import (
    POLICY_CHANGE_PREFIX,
    POLICY_CHANGE_SEQ,
    POLICY_PREFIX,
    get_setting,
    get_settings,
    lock_counter,
    put_setting,
)
from .backend import Backend
from .common import current_staff, event, record
from .views import PolicyChangeView, PolicyEntry

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


def _entries(policy: Policy) -> list[PolicyEntry]:
    return [PolicyEntry(rule.key, policy.value(name), rule.default, rule.low, rule.high,
                        rule.weaker) for name, rule in RULES.items()]


def current_policy(backend: Backend) -> Policy:
    """The store's policy (one statement); also kept as `backend.policy`."""
    rows = backend.store.run(lambda s: get_settings(s, POLICY_PREFIX), snapshot=True)
    backend.policy = Policy.from_store(rows)
    return backend.policy


def show_policy(backend: Backend, actor: Actor, *, clock: Clock | None = None,
                ) -> list[PolicyEntry]:
    """Every key with its value. Any staff member in good standing may read the policy: a
    teller is better off knowing whether a revocation waits for a checker. (`clock`: unused,
    taken like every use case's.)"""

    def work(s: Tx) -> Policy:
        current_staff(s, actor)
        return Policy.from_store(get_settings(s, POLICY_PREFIX))

    backend.policy = backend.store.run(work, reads_only=True)
    return _entries(backend.policy)


def list_changes(backend: Backend, actor: Actor, *, clock: Clock,
                 include_decided: bool = False) -> list[PolicyChangeView]:
    """Changes waiting for a second admin (expired ones shown as such), oldest first. Admins
    and auditors."""
    now = clock.now()
    _require(actor, {Role.ADMIN, Role.AUDITOR}, "read pending policy changes")

    def work(s: Tx) -> list[PolicyChangeView]:
        current_staff(s, actor)
        rows = get_settings(s, POLICY_CHANGE_PREFIX)
        changes = sorted((_load(text) for text in rows.values()), key=lambda c: c["id"])
        return [_view(c, now) for c in changes
                if include_decided or c["status"] == PENDING]

    return backend.store.run(work, reads_only=True)


def set_policy(backend: Backend, actor: Actor, key: str, value: str, *,
               clock: Clock) -> PolicyChangeView:
    """An admin changes one key. Strengthening applies at once; weakening waits for a second
    admin (status `pending`, with the id to approve)."""
    now = clock.now()
    _require(actor, {Role.ADMIN}, "change the policy")
    rule = rule_for(key)
    new = rule.parse(value)

    def work(s: Tx) -> PolicyChangeView:
        current_staff(s, actor)
        last = _lock(s)
        old = stored_value(rule, get_setting(s, rule.key))
        if new == old:
            raise invalid(rule.key, f"is already {rule.format(old)}", "errors.detail.rule_same",
                          rule=rule.key, value=rule.format(old))
        pending = [c for c in _pending(s, now) if c["key"] == rule.key]
        if pending:
            raise ConsoleError("DUPLICATE_PENDING",
                               f"change {pending[0]['id']} of {rule.key} awaits a second admin; "
                               "approve or reject it first",
                               detail="errors.detail.rule_pending",
                               values={"rule": rule.key, "id": pending[0]["id"]})
        detail = {"key": rule.key, "old": rule.format(old), "new": rule.format(new)}
        if not rule.is_weakening(old, new):
            put_setting(s, rule.key, rule.format(new))
            record(s, backend.store, now, event(actor, "policy.changed", target=rule.key,
                                                detail=detail))
            return PolicyChangeView(None, rule.key, old, new, "applied", actor.employee_no,
                                    now, None, actor.employee_no, now, maker_id=actor.staff_id)
        # A pending change lives as long as a request does (the deadline as it is now).
        deadline = stored_value(RULES["request_expiry_days"],
                                get_setting(s, RULES["request_expiry_days"].key))
        change = {"id": last + 1, **detail, "status": PENDING, "maker": actor.employee_no,
                  "maker_id": actor.staff_id, "created_at": now.isoformat(),
                  "expires_at": (now + timedelta(days=int(deadline))).isoformat()}
        put_setting(s, POLICY_CHANGE_SEQ, str(change["id"]))
        _save(s, change)
        record(s, backend.store, now, event(actor, "policy.change_requested",
                                            target=f"policy_change:{change['id']}",
                                            detail=detail))
        return _view(change, now)

    answer = backend.store.run(work)
    backend.policy_read_at = None  # this process's session checks read the new value at once
    return answer


def approve_change(backend: Backend, actor: Actor, change_id: int, *,
                   clock: Clock) -> PolicyChangeView:
    """A second admin applies a pending weakening change."""
    now = clock.now()
    _require(actor, {Role.ADMIN}, "approve policy changes")

    def work(s: Tx) -> PolicyChangeView:
        current_staff(s, actor)
        _lock(s)
        change = _decidable(s, change_id, now)
        if change["maker_id"] == actor.staff_id:
            raise ConsoleError("SELF_APPROVAL", "a second admin approves a policy change",
                               detail="errors.detail.rule_second_admin")
        rule = rule_for(change["key"])
        # One pending change per key and every write under the lock: the value it replaces is
        # still the one it was proposed against (unless someone wrote around the console).
        old = stored_value(rule, get_setting(s, rule.key))
        if rule.format(old) != change["old"]:
            raise ConsoleError("ALREADY_DECIDED", f"{rule.key} changed since change "
                               f"{change_id} was proposed; reject it and propose it again",
                               detail="errors.detail.rule_changed_since",
                               values={"rule": rule.key, "id": change_id})
        put_setting(s, rule.key, change["new"])
        change.update(status=APPROVED, decider=actor.employee_no, decided_at=now.isoformat())
        _save(s, change)
        record(s, backend.store, now, event(
            actor, "policy.changed", target=rule.key,
            detail={"key": rule.key, "old": change["old"], "new": change["new"],
                    "change": change_id, "maker": change["maker"]}))
        return _view(change, now)

    answer = backend.store.run(work)
    backend.policy_read_at = None  # this process's session checks read the new value at once
    return answer


def reject_change(backend: Backend, actor: Actor, change_id: int, *, note: str | None = None,
                  clock: Clock) -> PolicyChangeView:
    """An admin (the maker too: withdrawing a weakening is safe) rejects a pending change."""
    now = clock.now()
    _require(actor, {Role.ADMIN}, "reject policy changes")
    text = clean_text(note, "note", limit="note", required=False)

    def work(s: Tx) -> PolicyChangeView:
        current_staff(s, actor)
        _lock(s)
        change = _decidable(s, change_id, now, expired_ok=True)
        change.update(status=REJECTED, decider=actor.employee_no, decided_at=now.isoformat(),
                      note=text)
        _save(s, change)
        record(s, backend.store, now, event(
            actor, "policy.change_rejected", target=f"policy_change:{change_id}",
            detail={"key": change["key"], "old": change["old"], "new": change["new"],
                    "note": mask_numbers(text) if text else None}))
        return _view(change, now)

    return backend.store.run(work)


# ---------------------------------------------------------------------------- helpers


def _require(actor: Actor, roles: set[Role], what: str) -> None:
    if actor.role not in roles:
        raise ConsoleError("FORBIDDEN", f"role {actor.role.value} may not {what}",
                           detail="errors.detail.role_may_not", values={"role": actor.role.value})


def _lock(s: Tx) -> int:
    """Lock the policy writers' row (created on first use); returns the last change id."""
    return lock_counter(s, POLICY_CHANGE_SEQ)


def _load(text: str) -> dict:
    return json.loads(text)


def _save(s: Tx, change: dict) -> None:
    put_setting(s, f"{POLICY_CHANGE_PREFIX}{change['id']}",
                json.dumps(change, ensure_ascii=False, sort_keys=True))


def _pending(s: Tx, now: datetime) -> list[dict]:
    """Changes still pending and not expired."""
    changes = (_load(text) for text in get_settings(s, POLICY_CHANGE_PREFIX).values())
    return [c for c in changes
            if c["status"] == PENDING and datetime.fromisoformat(c["expires_at"]) > now]


def _decidable(s: Tx, change_id: int, now: datetime, *, expired_ok: bool = False) -> dict:
    whole_number(change_id, "id", 1, 2**31 - 1)
    text = get_setting(s, f"{POLICY_CHANGE_PREFIX}{change_id}")
    if text is None:
        raise not_found("policy change", change_id)
    change = _load(text)
    if change["status"] != PENDING:
        raise ConsoleError("ALREADY_DECIDED", f"policy change {change_id} is {change['status']}",
                           detail="errors.detail.rule_change_decided",
                           values={"id": change_id, "status": change["status"]})
    if not expired_ok and datetime.fromisoformat(change["expires_at"]) <= now:
        raise ConsoleError("REQUEST_EXPIRED", f"policy change {change_id} has expired",
                           detail="errors.detail.rule_change_expired", values={"id": change_id})
    return change


def _view(change: dict, now: datetime) -> PolicyChangeView:
    rule: Rule = rule_for(change["key"])
    expires = datetime.fromisoformat(change["expires_at"])
    status = change["status"]
    if status == PENDING and expires <= now:
        status = "expired"
    decided = change.get("decided_at")
    return PolicyChangeView(
        id=change["id"], key=rule.key, old_value=rule.parse(change["old"]),
        new_value=rule.parse(change["new"]), status=status, maker=change["maker"],
        created_at=datetime.fromisoformat(change["created_at"]), expires_at=expires,
        decider=change.get("decider"),
        decided_at=datetime.fromisoformat(decided) if decided else None, note=change.get("note"),
        maker_id=change.get("maker_id"),
    )
