"""The store's policy: which actions need a checker, the request deadline, the idle lock, the
expiring-soon window. One place that knows each rule-bearing setting: its type, its default,
its range, how its text is read, and which direction of change weakens a control.

The values live in the store (`setting` rows `policy.<name>`, services/policy.py), never in a
terminal's files or environment (DOMAIN.md section 8). An absent row means the default here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import invalid

# Anything that changes a credential needs a checker unless the store's policy says otherwise.
DEFAULT_CHECKER_REQUIRED = {"registration": True, "revocation": True}
DEFAULT_REQUEST_EXPIRY_DAYS = 7
DEFAULT_IDLE_LOCK_MINUTES = 10
DEFAULT_EXPIRING_WITHIN_DAYS = 30
DEFAULT_SESSION_HOURS = 10  # a working day at the branch: a server session ends after it

_TRUE = {"true", "on", "yes", "1"}
_FALSE = {"false", "off", "no", "0"}


@dataclass(frozen=True, slots=True)
class Rule:
    """One policy key. `low`/`high` bound an integer; `weaker` says which direction loosens a
    control ("off" for a checker, "higher" for a longer window, None if neither does)."""

    name: str
    default: bool | int
    low: int | None = None
    high: int | None = None
    weaker: str | None = None

    @property
    def is_flag(self) -> bool:
        return isinstance(self.default, bool)

    def parse(self, text: object) -> bool | int:
        """The value of `text` (typed by a person or read from the store), or INVALID_INPUT
        naming the key."""
        word = str(text).strip().lower()
        if self.is_flag:
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
            raise invalid(self.key, "must be on or off (true/false)", "errors.detail.on_off",
                          rule=self.key)
        if not (word.isascii() and word.isdigit()) or len(word) > 6:
            raise invalid(self.key, f"must be a whole number from {self.low} to {self.high}",
                          "errors.detail.rule_between", rule=self.key, low=self.low,
                          high=self.high)
        number = int(word)
        assert self.low is not None and self.high is not None, f"{self.key}: a number's bounds"
        if not self.low <= number <= self.high:
            raise invalid(self.key, f"must be from {self.low} to {self.high}",
                          "errors.detail.rule_between", rule=self.key, low=self.low,
                          high=self.high)
        return number

    def format(self, value: bool | int) -> str:
        """The stored text of a value."""
        if self.is_flag:
            return "true" if value else "false"
        return str(int(value))

    def is_weakening(self, old: bool | int, new: bool | int) -> bool:
        if self.weaker == "off":
            return bool(old) and not new
        if self.weaker == "higher":
            return new > old
        return False

    @property
    def key(self) -> str:
        return f"policy.{self.name}"


# The order is the order shown. A longer deadline or idle lock loosens a control (a stale
# request stays approvable; an unattended terminal stays open), so it needs a second admin like
# switching a checker off (docs/decisions.md, "Policy").
RULES: dict[str, Rule] = {rule.name: rule for rule in (
    Rule("checker.registration", True, weaker="off"),
    Rule("checker.revocation", True, weaker="off"),
    Rule("request_expiry_days", DEFAULT_REQUEST_EXPIRY_DAYS, 1, 30, weaker="higher"),
    Rule("idle_lock_minutes", DEFAULT_IDLE_LOCK_MINUTES, 1, 60, weaker="higher"),
    Rule("expiring_within_days", DEFAULT_EXPIRING_WITHIN_DAYS, 1, 365),
    Rule("session_hours", DEFAULT_SESSION_HOURS, 1, 24, weaker="higher"),
)}


def rule_for(name: str) -> Rule:
    """The rule of a key given as `name` or `policy.name`; INVALID_INPUT if there is none."""
    text = str(name).strip()
    rule = RULES.get(text.removeprefix("policy."))
    if rule is None:
        raise invalid("key", f"unknown policy key {text!r}; one of {', '.join(RULES)}")
    return rule


def stored_value(rule: Rule, text: str | None) -> bool | int:
    """A value as read from the store: absent or unreadable (written around the console) is the
    default, which is the safe side for every key (a checker on, 7 days, 10 minutes)."""
    if text is None:
        return rule.default
    try:
        return rule.parse(text)
    except Exception:  # noqa: BLE001 - a bad row must not stop every terminal
        return rule.default


def checker_key(action: str) -> str:
    return f"policy.checker.{action}"


@dataclass(frozen=True, slots=True)
class Policy:
    checker_required: dict[str, bool] = field(
        default_factory=lambda: dict(DEFAULT_CHECKER_REQUIRED)
    )
    request_expiry_days: int = DEFAULT_REQUEST_EXPIRY_DAYS
    idle_lock_minutes: int = DEFAULT_IDLE_LOCK_MINUTES
    expiring_within_days: int = DEFAULT_EXPIRING_WITHIN_DAYS
    session_hours: int = DEFAULT_SESSION_HOURS

    def needs_checker(self, action: str) -> bool:
        # Unknown actions default to needing a checker: the safe side.
        return self.checker_required.get(action, True)

    def value(self, name: str) -> bool | int:
        rule = rule_for(name)
        if rule.name.startswith("checker."):
            return self.needs_checker(rule.name.removeprefix("checker."))
        return getattr(self, rule.name)

    @classmethod
    def from_store(cls, rows: Mapping[str, str]) -> Policy:
        """The policy from the store's `policy.<name>` rows (absent: the default)."""
        values = {name: stored_value(rule, rows.get(rule.key)) for name, rule in RULES.items()}
        return cls(
            checker_required={name.removeprefix("checker."): bool(value)
                              for name, value in values.items() if name.startswith("checker.")},
            request_expiry_days=int(values["request_expiry_days"]),
            idle_lock_minutes=int(values["idle_lock_minutes"]),
            expiring_within_days=int(values["expiring_within_days"]),
            session_hours=int(values["session_hours"]),
        )
