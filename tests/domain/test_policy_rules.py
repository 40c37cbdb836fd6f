"""domain/policy.py: each policy key's parsing, range, stored form and weakening direction."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from staff_console.domain.errors import ConsoleError
from staff_console.domain.policy import RULES, Policy, rule_for, stored_value

NUMBERS = [rule for rule in RULES.values() if not rule.is_flag]
FLAGS = [rule for rule in RULES.values() if rule.is_flag]


@pytest.mark.parametrize("rule", NUMBERS, ids=lambda r: r.name)
@given(data=st.data())
def test_a_number_in_range_round_trips_and_one_outside_is_refused(rule, data):
    inside = data.draw(st.integers(rule.low, rule.high))
    assert rule.parse(rule.format(inside)) == inside
    assert rule.parse(f"  {inside} ") == inside
    outside = data.draw(st.one_of(st.integers(max_value=rule.low - 1),
                                  st.integers(min_value=rule.high + 1)))
    with pytest.raises(ConsoleError) as info:
        rule.parse(str(outside))
    assert (info.value.code, info.value.field) == ("INVALID_INPUT", rule.key)


@pytest.mark.parametrize("rule", NUMBERS, ids=lambda r: r.name)
@given(text=st.text(max_size=12))
def test_any_text_is_a_value_in_range_or_refused(rule, text):
    try:
        value = rule.parse(text)
    except ConsoleError as exc:
        assert exc.field == rule.key
    else:
        assert rule.low <= value <= rule.high and isinstance(value, int)


@pytest.mark.parametrize("rule", FLAGS, ids=lambda r: r.name)
def test_flags(rule):
    for word in ("on", "ON", "true", "yes", "1"):
        assert rule.parse(word) is True
    for word in ("off", "False", "no", "0"):
        assert rule.parse(word) is False
    for word in ("", "2", "maybe", "o n"):
        with pytest.raises(ConsoleError):
            rule.parse(word)
    assert rule.is_weakening(True, False) and not rule.is_weakening(False, True)


def test_longer_deadline_and_idle_lock_loosen_the_window_does_not():
    assert RULES["request_expiry_days"].is_weakening(7, 8)
    assert not RULES["request_expiry_days"].is_weakening(7, 3)
    assert RULES["idle_lock_minutes"].is_weakening(10, 60)
    assert not RULES["expiring_within_days"].is_weakening(30, 365)


def test_keys_with_or_without_prefix_and_nothing_else():
    assert rule_for("policy.checker.revocation") is rule_for(" checker.revocation ")
    for bad in ("checker", "policy.policy.checker.revocation", "store_mode", "CHECKER.REVOCATION"):
        with pytest.raises(ConsoleError) as info:
            rule_for(bad)
        assert info.value.field == "key"


def test_unreadable_stored_values_are_the_safe_default():
    rows = {"policy.checker.revocation": "garbage", "policy.request_expiry_days": "0",
            "policy.idle_lock_minutes": "15", "policy.unknown": "x"}
    policy = Policy.from_store(rows)
    assert policy.needs_checker("revocation") and policy.request_expiry_days == 7
    assert policy.idle_lock_minutes == 15
    assert stored_value(RULES["checker.registration"], None) is True
