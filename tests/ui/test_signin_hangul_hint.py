"""The sign-in's 한글-mode hint (issue 15.10, like a Caps Lock warning): while the password field
holds Hangul (jamo or syllables) a line under it says, in the person's language, that the input
method is in 한글 mode. Only a hint: a password may hold Hangul, and nothing is refused for it."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static
from ui_pilot import settle, text_of

from staff_console.i18n import t
from staff_console.screens.signin import SignInScreen


def _hint(app) -> Static:
    return app.screen.query_one("#password-hangul", Static)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_hangul_in_the_password_shows_the_hint(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        hint = _hint(app)
        assert not hint.display  # nothing typed
        await pilot.press(*"T001", "enter")
        await pilot.press(*"Demo")
        await settle(pilot)
        assert not hint.display  # Latin: no hint
        await pilot.press("ㅇ")  # the next key, typed in 한글 mode
        await settle(pilot)
        assert hint.display and hint.region.height >= 1
        assert " ".join(text_of(hint).split()) == t("signin.hangul_mode")  # may wrap
        password = app.screen.query_one("#password", Input)
        assert password.value == "Demoㅇ"  # only a hint: the key is kept
        await pilot.press("backspace")
        await settle(pilot)
        assert not hint.display
        await pilot.press(*"한")  # a syllable (the input method composed it)
        await settle(pilot)
        assert hint.display


async def test_the_hint_is_in_the_persons_language_and_goes_with_the_reset(make_app):
    app = make_app(language="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.query_one("#password", Input).focus()
        await pilot.press("ㅁ")
        await settle(pilot)
        hint = _hint(app)
        assert hint.display
        shown = " ".join(text_of(hint).split())
        assert "Korean input mode" in shown and "한" not in shown
        app.screen.reset()  # after a sign-out: nothing of the previous person's typing
        await settle(pilot)
        assert not hint.display


async def test_a_jamo_taken_back_in_a_burst_signs_in(make_app):
    """Found doing the walkthrough in tmux: `ㅁ` (the hint shows), then Backspace and the
    password sent at once. Backspace is taken in its place among the field's keys (before, it
    removed the password's last character: 'ㅁDemo12345')."""
    from ui_pilot import burst, until

    from staff_console.demo import DEMO_PASSWORD

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        burst(app, "T001", "enter", "ㅁ")
        await settle(pilot)
        assert _hint(app).display
        burst(app, "backspace", DEMO_PASSWORD, "backspace", "!", "enter")
        await until(pilot, lambda: app.session is not None)
        assert app.session.actor.employee_no == "T001"
