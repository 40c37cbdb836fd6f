"""What every screen shares: the typed console, its workers, the loading indicator, the one
error handler.

A screen calls the facade (`staff_console.api.Console`, `self.api`) in a method decorated
`@work(thread=True, exclusive=True, group=..., exit_on_error=False)` and posts the answer as a
typed message of its own (`SearchScreen.Found(page)`) with `post_answer`, handled by an `on_...`
method. A newer call of the same group cancels the older one, and a cancelled worker's answer is
dropped, so stale results never overwrite newer ones. A call that raises ends its worker in the
ERROR state: `on_worker_state_changed` below hands the error to the app's one error handler
(`StaffConsoleApp.report_error`, a notification in people's words). A screen that reacts to a
refusal in its own way catches the ConsoleError in the worker and posts a message for it.

Dialog sequences run in async workers with `push_screen_wait`, one dialog after the other.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual import events
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.worker import Worker, WorkerState, get_current_worker

from ..i18n import t
from .keys import keymap_of, prepare_bindings

if TYPE_CHECKING:
    from ..api import Console
    from ..app import StaffConsoleApp
    from .session import StaffSession

# A call that answers quicker than this shows no loading indicator at all (no flicker, and no
# mount/unmount of an indicator on every keystroke of a search).
LOADING_DELAY = 0.15
FINISHED = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)


def translate_bindings(node) -> None:
    """Binding descriptions are catalog keys (`keys.search`); show them in the selected
    language. Called once per instance, after Textual copied the class bindings. The keymap
    setting moves bindings to their keys and every letter key gets its 한글-mode twin
    (screens/keys.py: `ㅁ` does what `a` does)."""
    prepare_bindings(node._bindings, keymap_of(node))
    bindings = node._bindings.key_to_bindings
    for key, items in bindings.items():
        bindings[key] = [
            replace(b, description=t(b.description),
                    tooltip=t(b.tooltip) if b.tooltip else b.tooltip)
            if b.description.startswith("keys.") else b
            for b in items
        ]


class ConsoleCalls:
    """Mixed into Screen and ModalScreen below."""

    _loading_for: dict[Widget, Worker]

    @property
    def staff_app(self) -> StaffConsoleApp:
        return self.app  # type: ignore[attr-defined]

    @property
    def api(self) -> Console:
        """The signed-in person's console. In a worker thread only: it waits for the store
        to open."""
        return self.staff_app.api

    @property
    def member(self) -> StaffSession:
        """The signed-in person's session (a screen below the sign-in always has one)."""
        session = self.staff_app.session
        if session is None:
            raise RuntimeError("no one is signed in")
        return session

    def _init_calls(self) -> None:
        self._loading_for = {}
        translate_bindings(self)
        # Whose screen this is: a screen made for a signed-in person says nothing more once
        # that person signed out or the screens were forgotten at a lock (`forgotten`).
        try:
            app = self.staff_app
            self._owner = app.session
            self._generation = getattr(app, "generation", 0)
        except Exception:  # noqa: BLE001 - made outside a running app (a test's screen)
            self._owner, self._generation = None, 0

    @property
    def forgotten(self) -> bool:
        """The person this screen was made for signed out, or the screens were forgotten at a
        lock (app.generation): what its workers still answer is dropped, never shown to the
        next person (issue 15.9). The sign-in screen belongs to no one: never forgotten."""
        if self._owner is None:
            return False
        app = self.staff_app
        return app.session is not self._owner or getattr(app, "generation", 0) != self._generation

    def notify(self, message: str, **kwargs: Any) -> None:
        if not self.forgotten:
            super().notify(message, **kwargs)  # type: ignore[misc]

    def post_answer(self, message: Message) -> None:
        """From a worker: post `message` to this node unless a newer call cancelled the
        worker. The widgets waiting for it stop showing the loading indicator first (a loading
        widget takes no focus)."""
        worker = get_current_worker()
        self.staff_app.call_from_thread(self._deliver, worker, message)

    def _deliver(self, worker: Worker, message: Message) -> None:
        if worker.is_cancelled or self.forgotten:
            return
        self._loaded(worker)
        self.post_message(message)  # type: ignore[attr-defined]

    def _loaded(self, worker: Worker) -> None:
        for widget, waited_for in list(self._loading_for.items()):
            if waited_for is worker:
                del self._loading_for[widget]
                widget.loading = False

    def report_from_worker(self, error: BaseException) -> None:
        """From a worker that carries on after a refusal: the one error handler, on the
        app's thread."""
        self.staff_app.call_from_thread(self._report, error)

    def _report(self, error: BaseException) -> None:
        if not self.forgotten:
            self.staff_app.report_error(error)

    def report_export_failure(self, error: OSError) -> None:
        """From an export worker: the file could not be written on this terminal."""
        self.staff_app.call_from_thread(
            self.notify, t("export.failed", error=error.strerror or type(error).__name__),
            severity="error", timeout=12)

    def loading_while(self, worker: Worker, widget: Widget) -> Worker:
        """`widget` shows the loading indicator while `worker` runs (after LOADING_DELAY)."""
        self._loading_for[widget] = worker

        def show() -> None:
            if self._loading_for.get(widget) is worker and worker.state not in FINISHED:
                widget.loading = True

        self.set_timer(LOADING_DELAY, show)  # type: ignore[attr-defined]
        return worker

    def busy(self, worker: Worker | None) -> bool:
        return worker is not None and worker.state not in FINISHED

    def stop_loading(self, widget: Widget) -> None:
        """Forget the call `widget` waits for (its answer is no longer wanted)."""
        worker = self._loading_for.pop(widget, None)
        if worker is not None:
            worker.cancel()
        widget.loading = False

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state not in FINISHED:
            return
        event.stop()
        self._loaded(event.worker)
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self._report(event.worker.error)


class ConsoleScreen(ConsoleCalls, Screen):
    """Base of every full screen of the console."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_calls()
        self._take_breakpoints()

    def _take_breakpoints(self) -> None:
        """The breakpoint classes (HORIZONTAL_/VERTICAL_BREAKPOINTS, the screen's or else the
        app's, as Textual's Resize handler picks them) for the app's size now: a screen made at
        that size finds them set at its first Resize, and its widgets are not styled a second
        time before they are first drawn (the sign-in screen's first frame). Textual's own
        Resize handler still sets them at every size after."""
        try:
            app = self.app
        except RuntimeError:  # Textual's NoActiveAppError: made outside a running app
            return
        width, height = app.size
        for size, own, apps in ((width, self.HORIZONTAL_BREAKPOINTS, app.HORIZONTAL_BREAKPOINTS),
                                (height, self.VERTICAL_BREAKPOINTS, app.VERTICAL_BREAKPOINTS)):
            points = (own if own is not None else apps) or []
            self.set_class(True, *self._get_breakpoint_classes(size, points), update=False)

    @property
    def session(self) -> StaffSession | None:
        return self.staff_app.session


class ConsoleModal(ConsoleCalls, ModalScreen):
    """Base of the dialogs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_calls()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Keep the focused field in sight: a dialog's box (screens/modals.tcss) scrolls
        between its docked title and its docked buttons, and Textual scrolls a focused widget
        into view only when it is off the screen, not when a docked row covers it (the
        revocation note was typed blind at 80x24)."""
        self.call_after_refresh(self.scroll_to_widget, event.widget, animate=False)
