"""Keyboard helpers for the Pilot tests."""

from __future__ import annotations

from staff_console.demo import DEMO_PASSWORD


async def settle(pilot, rounds: int = 40) -> None:
    """Wait until no worker runs and nothing shows a loading indicator."""
    app = pilot.app
    from textual.worker import WorkerCancelled

    # Idle twice in a row: a worker's result may post a message (a highlighted row) that
    # starts the next worker only after the first idle look.
    idle = 0
    for _ in range(rounds):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:  # a stale search, cancelled by a newer one
            pass
        await pilot.pause()
        busy = any(getattr(w, "loading", False) for w in app.screen.query("*"))
        if not busy and not any(w.is_running for w in app.workers):
            idle += 1
            if idle >= 2:
                return
        else:
            idle = 0
        await pilot.pause(0.02)


async def type_text(pilot, text: str) -> None:
    await pilot.press(*list(text))


async def sign_in(pilot, employee_no: str, password: str = DEMO_PASSWORD) -> None:
    await settle(pilot)
    await type_text(pilot, employee_no)
    await pilot.press("enter")
    await type_text(pilot, password)
    await pilot.press("enter")
    await settle(pilot)


async def search(pilot, query: str) -> None:
    """Type a query and wait past the debounce for the results."""
    await type_text(pilot, query)
    await pilot.pause(0.2)
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
