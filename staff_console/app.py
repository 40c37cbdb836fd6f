"""The Textual app: the shell every screen runs in.

Start-up paints the sign-in screen first; the database layer (SQLAlchemy, the store, the
services) is imported and opened afterwards in a thread worker. The screens reach it through one
typed facade, `app.api` (`staff_console.api.Console`; here `api.local.LocalConsole` over the
opened backend), called in thread workers (see `screens/base.py`); every refusal goes through
`report_error`, the one place that turns a `ConsoleError` into a notification in the selected
language.

The app holds the settings, the clock, the console (once the store is open) and the signed-in
session. Sections (search, 결재함, ...) come from `screens/registry.py`: each is a Textual mode
with a function key and a command in the palette (Ctrl+P); its screen is made on first use and
forgotten at sign-out (the mode is removed and added again).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App, ScreenStackError
from textual.binding import Binding
from textual.command import CommandPalette, Provider
from textual.message import Message
from textual.screen import Screen

from .domain.clock import FixedClock, SystemClock, seoul_date
from .domain.errors import ConsoleError
from .domain.policy import DEFAULT_IDLE_LOCK_MINUTES
from .i18n import refusal, set_language, t
from .screens.base import translate_bindings
from .screens.live import LiveApprovals, LiveEvent, PendingCounted
from .screens.registry import SECTIONS, section, visible_sections
from .screens.signin import SignInScreen

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from .api import Console
    from .domain.policy import Policy
    from .screens.session import StaffSession
    from .services.views import RequestView
    from .settings import Settings

BACKEND_WAIT_SECONDS = 300.0

SIGN_IN_MODE = "signin"  # the sign-in screen's mode; each section is a mode of its own
# Actions that need a signed-in, unlocked session.
SESSION_ACTIONS = frozenset({"command_palette", "lock", "sign_out", "section"})


class BackendOpened(Message):
    """The database layer is open (or failed to open)."""

    def __init__(self, error: BaseException | None, demo_hint: str | None) -> None:
        super().__init__()
        self.error = error
        self.demo_hint = demo_hint


def _terminal() -> str:
    try:
        host = socket.gethostname()
    except OSError:  # pragma: no cover
        host = "?"
    return f"tui@{host}"[:64]


def _navigation_commands() -> type[Provider]:
    from .screens.commands import NavigationCommands

    return NavigationCommands


def _customer_commands() -> type[Provider]:
    from .screens.commands import CustomerCommands

    return CustomerCommands


class StaffConsoleApp(App):
    # Absolute (subclasses live elsewhere). The sign-in screen's styles are its own CSS_PATH
    # too: read with the app's, the first screen's mode does not parse every stylesheet again
    # to add them (tests/ui/test_first_frame.py).
    CSS_PATH = [Path(__file__).with_name("app.tcss"), SignInScreen.CSS_PATH]
    TITLE = "staff-console"
    # The palette opens only after sign-in: its providers are imported then.
    COMMANDS = {_navigation_commands, _customer_commands}
    # The sign-in screen is the app's default screen (`get_default_screen`), its mode added
    # once it is up (`on_mount`): a mode's first screen makes Textual parse every stylesheet
    # again, a default screen does not (tests/ui/test_first_frame.py).
    DEFAULT_MODE = SIGN_IN_MODE
    MODES = {s.name: s.factory for s in SECTIONS}
    BINDINGS = [
        Binding("f1", "help", "keys.help", id="app.help"),
        Binding("ctrl+p", "command_palette", "keys.palette", priority=True, id="app.palette"),
        *[Binding(s.key, f"section('{s.name}')", f"keys.section.{s.name}",
                  show=s.footer, id=f"app.section.{s.name}") for s in SECTIONS],
        Binding("ctrl+l", "lock", "keys.lock", priority=True, id="app.lock"),
        # Priority: sign-out works from a dialog too (it forgets the dialog with the rest).
        Binding("f10", "sign_out", "keys.sign_out", priority=True, id="app.sign_out"),
        Binding("ctrl+q", "quit", "keys.quit", priority=True, show=False, id="app.quit"),
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Any = None,
        backend: Any = None,
        console: Console | None = None,
        demo: bool = False,
        idle_seconds: float | None = None,
    ) -> None:
        set_language(getattr(settings, "language", "ko"))
        super().__init__()
        from .screens.keys import check_keymap

        # The keymap setting, checked against every screen's bindings (INVALID_SETTING), then
        # applied with the 한글-mode twins where the bindings are prepared (screens/keys.py).
        self.keymap = check_keymap(getattr(settings, "keymap", None) or {}, type(self))
        translate_bindings(self)
        self.title = t("app.title")
        self.settings = settings
        # A backend passed in runs on its own clock (its owner chose it).
        self.clock = clock or (backend.clock if backend is not None else SystemClock())
        # A fixed clock asked for; the store accepts it only if it is a training store
        # (checked when the app opens the store; a backend passed in was opened by its owner).
        self._requested_clock = clock
        self.training_mark: str | None = None
        self.demo = demo
        self.backend = backend
        self._console = console
        if console is None and backend is not None:
            from .api.local import LocalConsole

            self._console = LocalConsole(backend)
        self.terminal = _terminal()
        self.session: StaffSession | None = None
        self.policy: Policy | None = None  # the store's, read at sign-in and when it changes
        # Set while a sign-out is being recorded: the next sign-in waits for it (one console,
        # one person at a time).
        self.signed_out = threading.Event()
        self.signed_out.set()
        self.locked = False
        self._locked_in: str | None = None  # the section the lock was pressed in
        # Counts the times the screens were forgotten (sign-out, lock): a screen made before
        # drops what its workers still answer (screens/base.py).
        self.generation = 0
        self.demo_hint: str | None = None
        # The live 결재함 (screens/live.py): the requests this person may decide now, None for
        # someone who decides nothing; shown by every SessionBar.
        self.pending_count: int | None = None
        self.live = LiveApprovals(self)
        # The idle lock is the store's policy, read at each sign-in (`policy_changed`); until
        # then the domain's default. `idle_seconds` fixes it (tests).
        self._idle_fixed = idle_seconds
        self.idle_seconds = (idle_seconds if idle_seconds is not None
                             else DEFAULT_IDLE_LOCK_MINUTES * 60.0)
        self._last_activity = time.monotonic()
        self._backend_ready = threading.Event()
        self._backend_error: BaseException | None = None
        self._owns_backend = False
        if self._console is not None:
            self._backend_ready.set()

    # ------------------------------------------------------------------ start-up

    def get_default_screen(self) -> Screen:
        return self._sign_in_screen()

    def _sign_in_screen(self) -> SignInScreen:
        return SignInScreen(id="signin")

    def on_mount(self) -> None:
        self.add_mode(SIGN_IN_MODE, self._sign_in_screen)  # for switch_mode after sign-out

    def on_ready(self) -> None:
        """The sign-in screen is painted: now open the database layer."""
        check = min(1.0, max(0.05, self.idle_seconds / 10))
        self.set_interval(check, self._check_idle, name="idle-lock")
        if self._console is None:
            self.run_worker(self._open_backend, name="backend", group="backend", thread=True,
                            exit_on_error=False)
        else:
            from .app_start import demo_hint

            self.post_message(BackendOpened(None, demo_hint() if self.demo else None))

    def _open_backend(self) -> None:
        error: BaseException | None = None
        hint = None
        try:
            if self.settings.server and not self.demo:
                self._open_remote()
            else:
                hint = self._open_local()
        except Exception as exc:  # noqa: BLE001 - shown on the sign-in screen
            error = exc
            self._backend_error = exc
        finally:
            self._backend_ready.set()
        self.post_message(BackendOpened(error, hint))

    def _open_local(self) -> str | None:
        """Embedded mode: the store on this PC (SQLite: one terminal, the demo, training).
        Returns the demo's hint, if any."""
        from .api.local import LocalConsole
        from .app_start import prepare_demo, training_mark
        from .services.backend import open_backend
        from .services.database import init_backend

        # A terminal runs use cases all day: its audit events are chained in batches by a
        # background sealer (store/sealer.py); closed when the app exits. The store checks
        # the key and accepts a fixed clock only if it is a training store; the demo
        # creates (or reuses) a training store.
        if self.demo:
            backend = init_backend(self.settings, mode="training",
                                   clock=self._requested_clock, background_seal=True)
        else:
            backend = open_backend(self.settings, clock=self._requested_clock,
                                   background_seal=True)
        self._owns_backend = True
        self.clock = backend.clock
        self.training_mark = training_mark(backend)
        hint = prepare_demo(backend, self.clock) if self.demo else None
        self.backend = backend
        self._console = LocalConsole(backend)
        return hint

    def _open_remote(self) -> None:
        """A terminal of a console server: no store, no key, no database code in this process
        (api/remote.py); the server keeps the clock and enforces every rule."""
        from .api.remote import RemoteConsole

        assert self.settings.server is not None
        console = RemoteConsole(self.settings.server, ca_file=self.settings.server_ca_file)
        self._console = console
        self._owns_backend = True

    def on_backend_opened(self, message: BackendOpened) -> None:
        self.demo_hint = message.demo_hint
        signin = self.signin_screen
        if signin is not None:
            signin.backend_opened(message.error)

    def on_unmount(self) -> None:
        self.live.stop()  # the app is closing: no watch outlives it

    def on_live_event(self, message: LiveEvent) -> None:
        self.live.on_event(message)

    def on_pending_counted(self, message: PendingCounted) -> None:
        self.live.on_counted(message)

    def close_backend(self) -> None:
        """After the app exits: chain the last audit events and close the connections (only a
        backend this app opened; a test's backend belongs to the test)."""
        self.live.stop(wait=2.0)
        if self._owns_backend and self.backend is not None:
            self.backend.store.dispose()
        elif self._owns_backend and self._console is not None:
            self._console.close()

    @property
    def api(self) -> Console:
        """The facade every screen calls. In a worker thread only: it waits for the store to
        open (STORE_UNAVAILABLE, or the store's own refusal, if it did not)."""
        self.wait_for_backend()
        assert self._console is not None
        return self._console

    def wait_for_backend(self):
        """In a worker thread: the backend, once open (None for a console given ready-made)."""
        if not self._backend_ready.wait(BACKEND_WAIT_SECONDS):
            raise ConsoleError("STORE_UNAVAILABLE", "the database did not open in time")
        if isinstance(self._backend_error, ConsoleError):  # KEY_MISMATCH, CLOCK_FIXED_REFUSED...
            raise self._backend_error
        if self._backend_error is not None:
            raise ConsoleError("STORE_UNAVAILABLE", "the database could not be opened")
        return self.backend

    @property
    def signin_screen(self) -> SignInScreen | None:
        stack = self.get_screen_stack(SIGN_IN_MODE) if self.is_running else self.screen_stack
        return stack[0] if stack and isinstance(stack[0], SignInScreen) else None

    @property
    def actor(self):
        """The signed-in person (a domain Actor), or None."""
        return self.session.actor if self.session is not None else None

    # ------------------------------------------------------------------ time

    def now(self):
        return self.clock.now()

    def today(self):
        return seoul_date(self.clock.now())

    # ------------------------------------------------------------------ session

    def start_session(self, actor, delegations=(), policy: Policy | None = None) -> None:
        """Signed in: open the first section this person may see."""
        from .screens.session import StaffSession

        self.session = StaffSession(actor)
        self.session.set_delegations(delegations)
        self.live.start()  # the count and its notifications from now on (screens/live.py)
        if self.backend is None and self._console is not None and self._console.training:
            # A console server says whether its store is a training store at sign-in.
            self.training_mark = t("app.training")
        self.locked = False
        self._touch()
        self.refresh_bindings()
        if policy is not None:
            self._apply_policy(policy)
        else:
            self.policy_changed()
        self._land(self.session)

    def _land(self, session: StaffSession) -> None:
        """The first section after sign-in, by role (screens/registry.py `landing_section`):
        for someone who decides requests, 결재함 if it holds any (asked in a worker; the
        search if the question fails), else at once."""
        from .screens.registry import decides, landing_section

        if not decides(session, self.now()):
            self.open_section(landing_section(session, self.now()))
            return

        def ask() -> None:
            try:
                # A count, no customer data: not an access event (list_approvals is one).
                pending = self.api.count_approvals() or 0
            except Exception:  # noqa: BLE001 - the search then; the error shows on 결재함
                log.warning("approvals not counted at sign-in", exc_info=True)
                pending = 0
            self.call_from_thread(self._landed, session, pending)

        self.run_worker(ask, name="landing", group="landing", thread=True, exit_on_error=False)

    def _landed(self, session: StaffSession, pending: int) -> None:
        from .screens.registry import landing_section

        if self.session is session and not self.locked and self.current_mode == SIGN_IN_MODE:
            self.open_section(landing_section(session, self.now(), pending=pending))

    def open_section(self, name: str) -> None:
        if self.session is None or self.locked:
            return
        if not section(name).allowed(self.session):
            return
        if self.current_mode == name:
            while len(self.screen_stack) > 1:  # back to the section itself, as before
                self.pop_screen()
            # Its key pressed while in it is never silent: the section's own start (the
            # search: the query, selected; 결재함: read again), else its first field.
            again = getattr(self.screen, "section_reentered", None)
            if again is not None:
                again()
            elif self.screen.AUTO_FOCUS:
                for widget in self.screen.query(self.screen.AUTO_FOCUS):
                    if widget.focusable:
                        widget.focus()
                        break
            return
        if self.current_mode != SIGN_IN_MODE:
            while len(self.screen_stack) > 1:  # leave the section as its own screen
                self.pop_screen()
        self.switch_mode(name)
        # Opened by its key from elsewhere: its own start too, once it exists (F2: the query).
        start = getattr(self.screen, "focus_start", None)
        if start is not None and self.screen.is_mounted:
            start()

    def open_customer(self, customer_no: str, *, came_for: RequestView | None = None) -> None:
        """The customer's screen; `came_for`: the pending request it was opened for (결재함),
        the one its `a`/`x` decide."""
        if self.session is None or self.locked or not self.session.may_view_customers():
            return
        from .screens.customer import CustomerScreen

        if self.current_mode == SIGN_IN_MODE:
            self.open_section(visible_sections(self.session)[0].name)
        self.push_screen(CustomerScreen(customer_no, came_for=came_for))

    def sign_out(self, *, reason: str = "sign_out") -> None:
        if self.session is None:
            return
        self.session = None
        self.live.clear()  # no more events or count of this person
        self.locked = False
        self.signed_out.clear()
        self.run_worker(lambda: self._record_sign_out(reason), name="sign-out", thread=True,
                        exit_on_error=False)
        self.switch_mode(SIGN_IN_MODE)
        self._forget_screens()
        signin = self.signin_screen
        if signin is not None:
            signin.reset()
        self.refresh_bindings()

    def _forget_screens(self) -> None:
        """Privacy at the counter (issue 15.9), at sign-out and at the lock: every toast goes,
        and every screen that showed customer data (search, customer, 결재함, their dialogs,
        the palette): each section's mode is removed with its stack and added again, fresh.
        Answers still on their way to a forgotten screen are dropped (`generation`,
        screens/base.py). Call it with the sign-in mode current."""
        self.generation += 1
        for entry in SECTIONS:
            self.remove_mode(entry.name)
            self.add_mode(entry.name, entry.factory)
        self.clear_notifications()

    def _record_sign_out(self, reason: str) -> None:
        try:
            self.api.sign_out(reason=reason)
        except ConsoleError as exc:
            if exc.code in ("SESSION_ENDED", "SESSION_LOCKED"):
                # The console server ended the session first (its lifetime, an admin's lock,
                # a sign-out elsewhere) and recorded that end itself.
                log.info("sign-out: the server had already ended the session (%s)", exc.code)
            else:
                log.warning("sign-out event not recorded: %s", exc.code)
        except Exception:  # noqa: BLE001 - signing out must not fail on the audit line
            log.warning("sign-out event not recorded", exc_info=True)
        finally:
            self.signed_out.set()

    # ------------------------------------------------------------------ idle lock

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.MouseScrollDown
                      | events.MouseScrollUp | events.MouseMove | events.Paste):
            self._touch()
        await super().on_event(event)

    def _touch(self) -> None:
        self._last_activity = time.monotonic()

    def idle_for(self) -> float:
        return time.monotonic() - self._last_activity

    def _check_idle(self) -> None:
        if self.session is not None and not self.locked and self.idle_for() >= self.idle_seconds:
            self.lock(idle=True)

    def lock(self, *, idle: bool = False) -> None:
        if self.session is None or self.locked:
            return
        from .screens.lock import LockScreen

        self.locked = True
        self.live.stop()  # a locked console learns nothing; the unlock starts it again
        # The lock forgets what the screens showed, like a sign-out (issue 15.9): the lock
        # screen goes over the sign-in screen, and the unlock opens the section the person
        # was in, fresh.
        self._locked_in = self.current_mode if self.current_mode != SIGN_IN_MODE else None
        try:
            self.switch_mode(SIGN_IN_MODE)
        except ScreenStackError:  # the app is closing (the idle timer's last tick)
            return
        self._forget_screens()
        self.refresh_bindings()
        self.push_screen(LockScreen(idle=idle), callback=self._unlocked)

    def _unlocked(self, result: str | None) -> None:
        self.locked = False
        self._touch()
        self.refresh_bindings()
        if result == "sign_out":
            self.sign_out(reason="sign_out")
        elif self.session is not None:
            self.policy_changed()
            self.live.start()  # what happened while locked: `ready` reads the count again
            back = self._locked_in
            if back is None or not section(back).allowed(self.session):
                back = visible_sections(self.session)[0].name
            self.open_section(back)

    def policy_changed(self) -> None:
        """Re-read the store's policy (after an unlock, after an admin changed it on the
        policy screen): the idle lock follows it, never the terminal's settings."""

        def read() -> None:
            try:
                policy = self.api.current_policy()
            except Exception:  # noqa: BLE001 - keep the last value; a store error shows elsewhere
                log.warning("policy not read; the idle lock keeps its last value",
                            exc_info=True)
                return
            self.call_from_thread(self._apply_policy, policy)

        self.run_worker(read, name="policy", group="policy", thread=True, exit_on_error=False)

    def _apply_policy(self, policy: Policy) -> None:
        self.policy = policy
        if self._idle_fixed is None:
            self.idle_seconds = policy.idle_lock_minutes * 60.0

    # ------------------------------------------------------------------ this terminal's files

    def new_export_path(self, stem: str) -> Path:
        """A new file name for an export under `<home>/exports/` (the console writes it)."""
        from .files import new_export_path
        from .widgets.export_file import export_dir

        return new_export_path(export_dir(self.settings.home), stem, self.now())

    def anchor_file(self) -> Path | None:
        """The audit anchor file of the `audit_anchor_path` setting, if set."""
        from .services.anchors import default_anchor_path

        return default_anchor_path(self.settings)

    def read_anchors(self) -> list[str]:
        """The anchor file's lines (none when it is not set or not there yet)."""
        from .services.anchors import read_anchor_file

        path = self.anchor_file()
        return read_anchor_file(path) if path is not None and path.exists() else []

    def append_anchor(self, line: str) -> bool:
        """Append a signed head to the anchor file; False when none is set."""
        from .services.anchors import append_anchor

        path = self.anchor_file()
        if path is None:
            return False
        append_anchor(path, line)
        return True

    # ------------------------------------------------------------------ errors

    def notify(self, message: str, *, title: str = "", severity="information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every toast is plain text: the catalogs hold no markup, and a message may quote
        data or what was typed (a name, an unknown customer number), shown escaped."""
        from .domain.text import display_safe

        super().notify(display_safe(message, multiline=True), title=display_safe(title),
                       severity=severity, timeout=timeout, markup=False)

    def report_error(self, error: BaseException) -> None:
        """The one error handler: a refusal in the selected language (i18n.refusal)."""
        if isinstance(error, ConsoleError):
            # The catalog's words for the code and the service's detail in the selected
            # language (i18n.refusal); the English message goes to the log only.
            log.info("refused %s: %s", error.code, error.message)
            words, detail = refusal(error.code, error.detail, error.values, error.field)
            self.notify(f"{words}\n{detail}" if detail else words,
                        title=t("errors.title", code=error.code), severity="error", timeout=8)
        else:
            # Never a traceback on screen: the trace goes to the operations log (logs.py).
            log.error("unexpected error", exc_info=error)
            self.notify(t("errors.UNEXPECTED"), title=t("errors.title_unexpected"),
                        severity="error", timeout=8)

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in SESSION_ACTIONS:
            if self.session is None or self.locked:
                return False
            if action == "section":
                entry = section(str(parameters[0]))
                return entry.allowed(self.session)
        return True

    def action_section(self, name: str) -> None:
        self.open_section(name)

    def action_lock(self) -> None:
        self.lock(idle=False)

    def action_sign_out(self) -> None:
        self.sign_out()

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_command_palette(self) -> None:
        if self.session is None or self.locked:
            return
        if not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette",
                                            placeholder=t("palette.placeholder")))


def run_app(settings: Settings, *, demo: bool, clock=None) -> None:
    """Run the console in this terminal (the CLI's `staff-console` and `staff-console demo`).
    `clock`: a FixedClock when `--now`/STAFF_CONSOLE_NOW is set (training stores only), else None
    (the store's clock)."""
    from textual.logging import TextualHandler

    from .logs import configure

    configure(settings.home, settings.log_level, extra=(TextualHandler(),))
    if demo:
        from .app_start import demo_settings

        settings = demo_settings(settings)
    log.info("console started%s (pid %d)", " (demo)" if demo else "", os.getpid())
    app = StaffConsoleApp(settings, clock=clock, demo=demo)
    try:
        app.run()
    finally:
        app.close_backend()
        log.info("console stopped")


__all__ = ["FixedClock", "StaffConsoleApp", "run_app"]
