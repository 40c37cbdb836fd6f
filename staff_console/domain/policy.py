"""Which actions need a checker (maker-checker per task), with safe defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

# Anything that changes a credential needs a checker unless configured otherwise.
DEFAULT_CHECKER_REQUIRED = {"registration": True, "revocation": True}
DEFAULT_REQUEST_EXPIRY_DAYS = 7
DEFAULT_EXPIRING_WITHIN_DAYS = 30


@dataclass(frozen=True, slots=True)
class Policy:
    checker_required: dict[str, bool] = field(
        default_factory=lambda: dict(DEFAULT_CHECKER_REQUIRED)
    )
    request_expiry_days: int = DEFAULT_REQUEST_EXPIRY_DAYS

    def needs_checker(self, action: str) -> bool:
        # Unknown actions default to needing a checker: the safe side.
        return self.checker_required.get(action, True)
