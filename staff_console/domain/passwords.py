"""The staff password rule (the hashing itself is done with argon2 in the services)."""

from __future__ import annotations

from .errors import invalid

MIN_PASSWORD_LENGTH = 10
MAX_FAILED_SIGN_INS = 5


def check_password_strength(password: str, *, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise invalid(field, f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if not any(ch.isalpha() for ch in password) or not any(ch.isdigit() for ch in password):
        raise invalid(field, "must contain both letters and digits")
