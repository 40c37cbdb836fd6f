"""Channels and their login methods (DOMAIN.md section 1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from staff_console.domain.channels import (
    METHOD_ORDER,
    Biometrics,
    Channel,
    Method,
    allowed_methods,
    check_methods,
    format_methods,
    parse_channel,
    parse_methods,
)
from staff_console.domain.errors import ConsoleError

PIN, PATTERN, FINGERPRINT, FACE = Method.PIN, Method.PATTERN, Method.FINGERPRINT, Method.FACE


# --- allowed methods ------------------------------------------------------------------------

def test_web_allows_only_the_pin() -> None:
    assert allowed_methods(Channel.WEB, Biometrics.NONE) == {PIN}


@pytest.mark.parametrize(
    ("biometrics", "allowed"),
    [
        (Biometrics.NONE, {PIN, PATTERN}),
        (Biometrics.FINGERPRINT, {PIN, PATTERN, FINGERPRINT}),
        (Biometrics.FACE, {PIN, PATTERN, FACE}),
        (Biometrics.BOTH, {PIN, PATTERN, FINGERPRINT, FACE}),
    ],
)
def test_mts_allows_pin_and_pattern_plus_what_the_device_supports(biometrics, allowed) -> None:
    assert allowed_methods(Channel.MTS, biometrics) == allowed


def test_web_pin_only_is_accepted() -> None:
    assert check_methods(Channel.WEB, Biometrics.NONE, (PIN,)) == (PIN,)


@pytest.mark.parametrize("biometrics", [Biometrics.FINGERPRINT, Biometrics.FACE, Biometrics.BOTH])
def test_web_refuses_any_biometrics_even_with_pin_only(biometrics: Biometrics) -> None:
    with pytest.raises(ConsoleError) as exc_info:
        check_methods(Channel.WEB, biometrics, (PIN,))
    assert exc_info.value.code == "METHOD_NOT_ALLOWED"
    assert exc_info.value.field == "biometrics"


@pytest.mark.parametrize("method", [PATTERN, FINGERPRINT, FACE])
def test_web_refuses_every_method_but_the_pin(method: Method) -> None:
    with pytest.raises(ConsoleError) as exc_info:
        check_methods(Channel.WEB, Biometrics.NONE, (PIN, method))
    assert exc_info.value.code == "METHOD_NOT_ALLOWED"
    assert exc_info.value.field == "methods"
    assert method.value in exc_info.value.message


def test_mts_without_biometrics_accepts_pin_and_pattern() -> None:
    assert check_methods(Channel.MTS, Biometrics.NONE, (PIN, PATTERN)) == (PIN, PATTERN)


@pytest.mark.parametrize("method", [FINGERPRINT, FACE])
def test_mts_without_biometrics_refuses_biometric_methods(method: Method) -> None:
    with pytest.raises(ConsoleError) as exc_info:
        check_methods(Channel.MTS, Biometrics.NONE, (PIN, method))
    assert exc_info.value.code == "METHOD_NOT_ALLOWED"


def test_mts_fingerprint_device_refuses_face() -> None:
    assert check_methods(Channel.MTS, Biometrics.FINGERPRINT, (PIN, FINGERPRINT))
    with pytest.raises(ConsoleError) as exc_info:
        check_methods(Channel.MTS, Biometrics.FINGERPRINT, (PIN, FACE))
    assert exc_info.value.code == "METHOD_NOT_ALLOWED"


def test_mts_face_device_refuses_fingerprint() -> None:
    assert check_methods(Channel.MTS, Biometrics.FACE, (PIN, FACE))
    with pytest.raises(ConsoleError) as exc_info:
        check_methods(Channel.MTS, Biometrics.FACE, (PIN, FINGERPRINT))
    assert exc_info.value.code == "METHOD_NOT_ALLOWED"


def test_mts_both_accepts_all_four() -> None:
    methods = (PIN, PATTERN, FINGERPRINT, FACE)
    assert check_methods(Channel.MTS, Biometrics.BOTH, methods) == methods


@pytest.mark.parametrize(
    ("channel", "methods"),
    [
        (Channel.MTS, (PATTERN,)),
        (Channel.MTS, (PATTERN, FINGERPRINT, FACE)),
        (Channel.MTS, ()),
        (Channel.WEB, ()),
    ],
)
def test_pin_is_always_required(channel: Channel, methods: tuple[Method, ...]) -> None:
    biometrics = Biometrics.BOTH if channel is Channel.MTS else Biometrics.NONE
    with pytest.raises(ConsoleError) as exc_info:
        check_methods(channel, biometrics, methods)
    assert exc_info.value.code == "METHOD_NOT_ALLOWED"
    assert "PIN" in exc_info.value.message


@given(
    channel=st.sampled_from(Channel),
    biometrics=st.sampled_from(Biometrics),
    methods=st.lists(st.sampled_from(Method), unique=True),
)
def test_check_methods_accepts_exactly_the_allowed_sets_with_a_pin(
    channel: Channel, biometrics: Biometrics, methods: list[Method]
) -> None:
    chosen = tuple(methods)
    ok = (
        not (channel is Channel.WEB and biometrics is not Biometrics.NONE)
        and set(chosen) <= allowed_methods(channel, biometrics)
        and PIN in chosen
    )
    if ok:
        assert check_methods(channel, biometrics, chosen) == chosen
    else:
        with pytest.raises(ConsoleError) as exc_info:
            check_methods(channel, biometrics, chosen)
        assert exc_info.value.code == "METHOD_NOT_ALLOWED"


@given(biometrics=st.sampled_from(Biometrics))
def test_web_never_allows_a_biometric_method(biometrics: Biometrics) -> None:
    assert not allowed_methods(Channel.WEB, biometrics) & {FINGERPRINT, FACE}


# --- parsing --------------------------------------------------------------------------------

def test_parse_channel_is_case_and_space_insensitive() -> None:
    assert parse_channel(" MTS ") is Channel.MTS
    assert parse_channel("web") is Channel.WEB


@pytest.mark.parametrize("raw", ["", "app", "mobile web", None])
def test_bad_channel_is_invalid_input(raw) -> None:
    with pytest.raises(ConsoleError) as exc_info:
        parse_channel(raw)
    assert exc_info.value.code == "INVALID_INPUT"
    assert exc_info.value.field == "channel"


def test_parse_methods_orders_and_deduplicates() -> None:
    assert parse_methods("face, PIN,pattern,pin") == (PIN, PATTERN, FACE)
    assert parse_methods(["fingerprint", "pin", "fingerprint"]) == (PIN, FINGERPRINT)


@given(st.lists(st.sampled_from([m.value for m in Method]), min_size=1))
def test_parse_methods_is_in_method_order_without_duplicates(names: list[str]) -> None:
    parsed = parse_methods(",".join(names))
    assert set(parsed) == {Method(n) for n in names}
    assert list(parsed) == sorted(parsed, key=METHOD_ORDER.index)
    assert len(parsed) == len(set(parsed))


@pytest.mark.parametrize("raw", ["", " , ", [], ["", " "]])
def test_no_methods_is_invalid_input(raw) -> None:
    with pytest.raises(ConsoleError) as exc_info:
        parse_methods(raw)
    assert exc_info.value.code == "INVALID_INPUT"
    assert exc_info.value.field == "methods"


@pytest.mark.parametrize("raw", ["pin,iris", "password", ["pin", "touch"]])
def test_unknown_method_name_is_invalid_input(raw) -> None:
    with pytest.raises(ConsoleError) as exc_info:
        parse_methods(raw, field="login_methods")
    assert exc_info.value.code == "INVALID_INPUT"
    assert exc_info.value.field == "login_methods"


def test_format_methods_joins_with_commas() -> None:
    assert format_methods((PIN, PATTERN)) == "pin,pattern"
    assert parse_methods(format_methods((PIN, FACE))) == (PIN, FACE)
