"""Every end reason (domain.states.EndReason) is shown in words in both languages, a replacement
with its successor's number: the enum is iterated, not a hand-kept list."""

from __future__ import annotations

import pytest

from staff_console import i18n
from staff_console.domain.states import EndReason
from staff_console.widgets import format as fmt


@pytest.fixture(params=["ko", "en"])
def language(request):
    before = i18n.language()
    yield i18n.set_language(request.param)
    i18n.set_language(before)


def test_every_end_reason_has_words(language) -> None:
    for reason in EndReason:
        text = fmt.end_reason(reason.value, 12 if reason is EndReason.REPLACED else None)
        assert text and text != reason.value, (language, reason)
    assert "12" in fmt.end_reason(EndReason.REPLACED.value, 12)
    assert fmt.end_reason(None) == "-"
