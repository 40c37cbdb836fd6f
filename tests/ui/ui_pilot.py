"""Keyboard helpers for the Pilot tests."""

from __future__ import annotations

import asyncio

from textual import events
from textual.keys import _character_to_key
from textual.screen import ModalScreen

from staff_console.demo import DEMO_PASSWORD

SETTLE_TIMEOUT = 30.0  # seconds: generous for a loaded CI machine, a hang still fails


def _busy(app) -> list[str]:
    """What still runs: workers (a dialog sequence is not busy while its dialog is on screen,
    waiting for keys; once the dialog is answered it is, until it has made its call) and
    widgets showing the loading indicator."""
    waiting = isinstance(app.screen, ModalScreen)
    running = [f"worker {w.name or w.group}" for w in app.workers
               if w.is_running and not (w.group == "dialog" and waiting)]
    loading = [f"loading {w!r}" for w in app.screen.query("*") if getattr(w, "loading", False)]
    return running + loading


async def settle(pilot, timeout: float = SETTLE_TIMEOUT) -> None:
    """Wait until no worker runs, nothing shows a loading indicator and the messages are
    handled, twice in a row (a worker's answer may start the next call). Fails on timeout,
    naming what was still busy."""
    await until(pilot, lambda: not _busy(pilot.app), timeout=timeout, twice=True,
                what=lambda: ", ".join(_busy(pilot.app)))


async def until(pilot, condition, *, timeout: float = SETTLE_TIMEOUT, twice: bool = False,
                what=lambda: "") -> None:
    """Wait (handling messages) until `condition()` holds; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    held = 0
    while True:
        await pilot.pause()
        if condition():
            held += 1
            if held >= (2 if twice else 1):
                return
        else:
            held = 0
        if loop.time() > deadline:
            raise AssertionError(f"the UI did not settle within {timeout:g} s: {what()}")
        await pilot.wait_for_scheduled_animations()
        await asyncio.sleep(0.005)  # let worker threads run


async def type_text(pilot, text: str) -> None:
    await pilot.press(*list(text))


async def sign_in(pilot, employee_no: str, password: str = DEMO_PASSWORD) -> None:
    await settle(pilot)
    await type_text(pilot, employee_no)
    await pilot.press("enter")
    await type_text(pilot, password)
    await pilot.press("enter")
    app = pilot.app

    def answered() -> bool:  # signed in, or refused in words (a machine under load is slow)
        if app.session is not None and app.session.actor.employee_no == employee_no:
            return True
        signin = app.signin_screen
        message = signin.query_one("#signin-message").render() if signin is not None else ""
        return bool(str(message).strip()) or bool(app._notifications)

    await until(pilot, answered, what=lambda: f"the sign-in of {employee_no} got no answer")
    await settle(pilot)


async def search(pilot, query: str) -> None:
    """Type a query, wait for the debounce to send it, then for the results."""
    await type_text(pilot, query)
    screen = pilot.app.screen
    await until(pilot, lambda: screen.query_text == query.strip(),
                what=lambda: f"the search for {query!r} was not sent")
    await settle(pilot)


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


def row_index(table, key: str) -> int:
    return table.get_row_index(key)


def text_of(widget) -> str:
    """What a widget shows now, as plain text (its rendered lines)."""
    from textual.geometry import Region

    size = widget.outer_size
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, size.width,
                                                                         size.height)))


def footer_keys(screen) -> list[str]:
    """The descriptions the footer shows now."""
    return [key.description for key in screen.query("FooterKey")]


NAMED_KEYS = {"enter": "\r", "tab": "\t", "f10": None, "escape": "\x1b", "backspace": "\x7f",
              "delete": None, "left": None, "right": None, "home": None, "end": None,
              "ctrl+u": None, "up": None, "down": None}


def burst(app, *parts: str) -> None:
    """Keys posted all at once, as a terminal delivers typed-ahead keys in one read: a named
    key (NAMED_KEYS) or the characters of a text."""
    for part in parts:
        if part in NAMED_KEYS:
            app.post_message(events.Key(part, NAMED_KEYS[part]))
        else:
            for ch in part:
                app.post_message(events.Key(_character_to_key(ch), ch))
