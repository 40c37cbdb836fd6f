"""The two channels and the login methods each allows (DOMAIN.md section 1)."""

from __future__ import annotations

from enum import StrEnum

from .errors import ConsoleError, invalid

# How long the channel API keeps a write's first answer under its Idempotency-Key: a retry within
# this window gets that answer; after it the key is forgotten (the expiry batch deletes the
# answer, which may hold a customer's number). Channels retry within minutes; a week is ample.
IDEMPOTENCY_RETENTION_DAYS = 7


class Channel(StrEnum):
    MTS = "mts"  # the firm's mobile trading app: one smartphone
    WEB = "web"  # the firm's mobile site: one browser


class Method(StrEnum):
    PIN = "pin"  # 6-digit 간편비밀번호
    PATTERN = "pattern"
    FINGERPRINT = "fingerprint"
    FACE = "face"


class Biometrics(StrEnum):
    """What the device supports."""

    NONE = "none"
    FINGERPRINT = "fingerprint"
    FACE = "face"
    BOTH = "both"


_CHANNEL_METHODS = {
    Channel.MTS: frozenset(Method),
    Channel.WEB: frozenset({Method.PIN}),
}

_BIOMETRIC_METHODS = {
    Biometrics.NONE: frozenset(),
    Biometrics.FINGERPRINT: frozenset({Method.FINGERPRINT}),
    Biometrics.FACE: frozenset({Method.FACE}),
    Biometrics.BOTH: frozenset({Method.FINGERPRINT, Method.FACE}),
}

# Methods are always shown and stored in this order.
METHOD_ORDER = (Method.PIN, Method.PATTERN, Method.FINGERPRINT, Method.FACE)


def parse_channel(raw: str, *, field: str = "channel") -> Channel:
    try:
        return Channel((raw or "").strip().lower())
    except ValueError:
        raise invalid(field, "must be mts or web") from None


def parse_methods(raw: str | list[str], *, field: str = "methods") -> tuple[Method, ...]:
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    names = {item.strip().lower() for item in items if item.strip()}
    if not names:
        raise invalid(field, "at least one method is required")
    try:
        methods = {Method(name) for name in names}
    except ValueError:
        raise invalid(field, "each must be one of pin, pattern, fingerprint, face") from None
    return tuple(m for m in METHOD_ORDER if m in methods)


def allowed_methods(channel: Channel, biometrics: Biometrics) -> frozenset[Method]:
    """MTS: PIN and pattern always, biometrics where the device supports them. Web: PIN only."""
    if channel is Channel.WEB:
        return _CHANNEL_METHODS[Channel.WEB]
    return frozenset({Method.PIN, Method.PATTERN}) | _BIOMETRIC_METHODS[biometrics]


def check_methods(
    channel: Channel, biometrics: Biometrics, methods: tuple[Method, ...]
) -> tuple[Method, ...]:
    """Refuse methods the channel or the device cannot use. The PIN is always registered:
    it is the credential's base secret and the fallback when biometrics fail."""
    if channel is Channel.WEB and biometrics is not Biometrics.NONE:
        raise ConsoleError(
            "METHOD_NOT_ALLOWED", "the mobile web never uses biometrics", field="biometrics"
        )
    allowed = allowed_methods(channel, biometrics)
    refused = [m.value for m in methods if m not in allowed]
    if refused:
        raise ConsoleError(
            "METHOD_NOT_ALLOWED",
            f"{', '.join(refused)} not allowed on {channel.value} with biometrics "
            f"{biometrics.value}",
            field="methods",
        )
    if Method.PIN not in methods:
        raise ConsoleError("METHOD_NOT_ALLOWED", "the 6-digit PIN is required", field="methods")
    return methods


def format_methods(methods: tuple[Method, ...] | list[str]) -> str:
    return ",".join(str(m) for m in methods)
