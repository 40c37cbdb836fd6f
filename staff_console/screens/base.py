"""The one mechanism for service calls, shared by every screen.

`self.run_service("customers.search_customers", query, token="search", loading=table)` runs
`staff_console.services.customers.search_customers(backend, actor, query, clock=clock)` in a
Textual thread worker and posts `ServiceDone` (or `ServiceFailed`) back to the screen. The
screen handles it in `done_<token>(result)` (and optionally `failed_<token>(error) -> bool`,
returning True when it dealt with the error itself); any other failure goes to the app's one
error handler, which shows a notification. A newer call with the same token makes an older
one stale: its result is dropped, so stale results never overwrite newer ones.

The target may also be a callable taking a `ServiceContext` (for a few calls in one worker).
Service modules are imported inside the worker thread, never at import time of a screen.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, get_current_worker

from ..i18n import t

if TYPE_CHECKING:
    from ..app import StaffConsoleApp


def translate_bindings(node) -> None:
    """Binding descriptions are catalog keys (`keys.search`); show them in the selected
    language. Called once per instance, after Textual copied the class bindings."""
    bindings = node._bindings.key_to_bindings
    for key, items in bindings.items():
        bindings[key] = [
            replace(b, description=t(b.description),
                    tooltip=t(b.tooltip) if b.tooltip else b.tooltip)
            if b.description.startswith("keys.") else b
            for b in items
        ]


class ServiceDone(Message):
    def __init__(self, token: str, seq: int, result: Any, elapsed: float) -> None:
        super().__init__()
        self.token = token
        self.seq = seq
        self.result = result
        self.elapsed = elapsed


class ServiceFailed(Message):
    def __init__(self, token: str, seq: int, error: BaseException) -> None:
        super().__init__()
        self.token = token
        self.seq = seq
        self.error = error


def resolve(name: str) -> Callable:
    """`customers.search_customers` -> the function in staff_console.services.customers."""
    module, _, fn = name.rpartition(".")
    return getattr(importlib.import_module(f"staff_console.services.{module}"), fn)


@dataclass
class ServiceContext:
    """What a composite call (a callable target) gets, in the worker thread."""

    backend: Any
    actor: Any
    clock: Any

    def call(self, name: str, *args, with_actor: bool = True, **kwargs):
        fn = resolve(name)
        lead = (self.backend, self.actor) if with_actor else (self.backend,)
        return fn(*lead, *args, clock=self.clock, **kwargs)


class ServiceMixin:
    """Mixed into Screen and ModalScreen below."""

    _service_seq: dict[str, int]
    _service_loading: dict[str, Any]
    _service_started: dict[str, float]
    # A call that answers quicker than this shows no loading indicator at all (no flicker, and
    # no mount/unmount of an indicator on every keystroke of a search).
    LOADING_DELAY = 0.15

    @property
    def staff_app(self) -> StaffConsoleApp:
        return self.app  # type: ignore[attr-defined,return-value]

    def _init_service(self) -> None:
        self._service_seq = {}
        self._service_loading = {}
        self._service_started = {}
        self._service_timers: dict[str, Any] = {}
        self.service_elapsed: dict[str, float] = {}  # seconds in the service, last call
        translate_bindings(self)

    def run_service(
        self,
        target: str | Callable[[ServiceContext], Any],
        *args: Any,
        token: str,
        loading: Any = None,
        with_actor: bool = True,
        **kwargs: Any,
    ) -> Worker:
        app = self.staff_app
        seq = self._service_seq.get(token, 0) + 1
        self._service_seq[token] = seq
        self._service_started[token] = time.perf_counter()
        if loading is not None:
            previous = self._service_loading.get(token)
            if previous is not None and previous is not loading:
                previous.loading = False
            self._service_loading[token] = loading
            timer = self._service_timers.pop(token, None)
            if timer is not None:
                timer.stop()
            if not loading.loading:
                self._service_timers[token] = self.set_timer(  # type: ignore[attr-defined]
                    self.LOADING_DELAY, lambda: self._show_loading(token, seq))
        actor = app.actor
        pump = self

        def job() -> None:
            worker = get_current_worker()
            started = time.perf_counter()
            try:
                backend = app.wait_for_backend()
                clock = app.clock  # once the store is open: the clock it accepted
                if callable(target):
                    result = target(ServiceContext(backend, actor, clock))
                else:
                    lead = (backend, actor) if with_actor else (backend,)
                    result = resolve(target)(*lead, *args, clock=clock, **kwargs)
            except Exception as error:  # noqa: BLE001 - every failure goes to one handler
                if not worker.is_cancelled:
                    pump.post_message(ServiceFailed(token, seq, error))
                return
            if not worker.is_cancelled:
                pump.post_message(ServiceDone(token, seq, result, time.perf_counter() - started))

        return self.run_worker(  # type: ignore[attr-defined]
            job, name=token, group=f"service:{token}", thread=True, exclusive=True,
            exit_on_error=False,
        )

    def _show_loading(self, token: str, seq: int) -> None:
        widget = self._service_loading.get(token)
        if widget is not None and self._service_seq.get(token) == seq:
            widget.loading = True

    def service_busy(self, token: str) -> bool:
        return token in self._service_loading

    def _finish(self, token: str, seq: int) -> bool:
        if self._service_seq.get(token) != seq:
            return False  # stale: a newer call with this token was made since
        timer = self._service_timers.pop(token, None)
        if timer is not None:
            timer.stop()
        widget = self._service_loading.pop(token, None)
        if widget is not None and widget.loading:
            widget.loading = False
        return True

    def on_service_done(self, message: ServiceDone) -> None:
        message.stop()
        if not self._finish(message.token, message.seq):
            return
        self.service_elapsed[message.token] = message.elapsed
        handler = getattr(self, f"done_{message.token}", None)
        if handler is not None:
            handler(message.result)

    def on_service_failed(self, message: ServiceFailed) -> None:
        message.stop()
        if not self._finish(message.token, message.seq):
            return
        handler = getattr(self, f"failed_{message.token}", None)
        if handler is not None and handler(message.error):
            return
        self.staff_app.report_error(message.error)


class ServiceScreen(ServiceMixin, Screen):
    """Base of every full screen of the console."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_service()

    @property
    def session(self):
        return self.staff_app.session


class ServiceModal(ServiceMixin, ModalScreen):
    """Base of the dialogs (they may call services too)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_service()
