"""Small dialogs: confirm, a required note, the revocation form, a pick list."""

from __future__ import annotations

import sys
from pathlib import Path

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, OptionList, RadioButton, RadioSet, Static
from textual.widgets.option_list import Option

from ..i18n import t
from ..widgets import format as fmt
from ..widgets.text_field import TextField
from .base import ConsoleModal

MODALS_TCSS = Path(__file__).with_name("modals.tcss")  # every dialog's box
REVOCATION_REASONS = ("lost_device", "customer_request", "incident", "death", "other")
REVOCABLE = "revocable"  # a channel's state in the revocation form (else why not: pending, none)


class DialogButtons(Horizontal):
    """A dialog's row of buttons, docked at the bottom of its box (modals.tcss: the box scrolls
    between its title and this row, so the buttons stay in sight at 80x24). Textual orders the
    focus by position, and a docked row sits above the fields scrolled below it: this row
    comes last in the focus order whatever the scroll, as it comes last in the dialog."""

    DEFAULT_CLASSES = "dialog-buttons"

    @property
    def _focus_sort_key(self) -> tuple[int, int]:
        return (sys.maxsize, 0)


class ConfirmModal(ConsoleModal):
    """Yes or no. `y`/Enter confirms, `n`/Esc cancels."""

    CSS_PATH = [MODALS_TCSS]
    BINDINGS = [
        Binding("y", "answer(True)", "keys.yes", id="confirm.yes"),
        Binding("n", "answer(False)", "keys.no", id="confirm.no"),
        Binding("escape", "answer(False)", "keys.cancel", id="confirm.cancel"),
    ]

    def __init__(self, question: str, *, title: str | None = None) -> None:
        super().__init__()
        self.question = question
        self.title_text = title or t("confirm.title")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            # May quote data (escaped); the catalog's questions have lines of their own.
            yield Static(fmt.plain(self.question, multiline=True), classes="dialog-body")
            with DialogButtons():
                yield Button(t("confirm.yes"), id="yes", variant="primary")
                yield Button(t("confirm.no"), id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class FormModal(ConsoleModal):
    """A dialog of inputs with OK and Cancel: Enter or OK submits (`_submit` checks the fields
    and dismisses with the result), Esc or Cancel dismisses with None."""

    CSS_PATH = [MODALS_TCSS]
    BINDINGS = [Binding("escape", "cancel", "keys.cancel", id="form.cancel")]

    def _submit(self) -> None:
        raise NotImplementedError

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class NoteModal(FormModal):
    """A note, required or not (a rejection needs one). Enter submits, Esc cancels."""


    def __init__(self, title: str, prompt: str, *, required: bool) -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt
        self.required = required

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Label(self.prompt)
            yield TextField(id="note", max_length=500,
                            placeholder=t("note.required") if self.required else t("note.optional"))
            yield Static("", id="note-message", classes="dialog-error")
            with DialogButtons():
                yield Button(t("confirm.ok"), id="ok", variant="primary")
                yield Button(t("confirm.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#note", Input).focus()

    def _submit(self) -> None:
        note = self.query_one("#note", Input).value.strip()
        if self.required and not note:
            self.query_one("#note-message", Static).update(t("note.missing"))
            return
        self.dismiss(note)



class ChoiceSet(RadioSet):
    """A form's choices where Enter files the form (as in the form's text field), unless the
    cursor is on a choice other than the one picked: then Enter picks it, as Space does, and a
    second Enter files. So Enter never files a choice other than the one the cursor shows."""

    BINDINGS = [Binding("enter", "enter", show=False)]

    class Submitted(Message):
        """Enter on the picked choice: the form is to be filed."""

    def action_enter(self) -> None:
        if not self.cursor_on_pick():
            self.action_toggle_button()
            return
        self.post_message(self.Submitted())

    def cursor_on_pick(self) -> bool:
        """The cursor (the highlighted choice) is on the picked one, or on none."""
        if self._selected is None:
            return True
        return self._nodes[self._selected] is self.pressed_button


class RevokeModal(FormModal):
    """Which channel, the reason and a note (required for `other`). Returns
    `(channel, reason, note)` or None.

    The same fields in the same order whatever can be revoked (issue 15.4): both channels are
    listed, one that cannot be revoked disabled with why (`pending`: its revocation is pending;
    `none`: no current credential), and the focus starts on the channels. So `Tab`, `Tab`
    reaches the note in every case, and a character typed while the focus is on a choice or a
    button goes into the note (never dropped).

    The form is the confirmation (issue 15.10): Enter files the request at once, from the note,
    the submit button or a choice (`ChoiceSet`: on a choice other than the picked one Enter
    picks it first). A request is not a decision: it waits for a checker and its maker can
    withdraw it (결재함, `w`, with a confirmation)."""

    BINDINGS = [
        # Priority: the focus moves as the app takes Tab off its queue, before the keys typed
        # after it are passed on (typed ahead, SSH lag): `r` Tab Tab note Enter in one burst
        # puts the note in the note and submits (like the sign-in screen, issue 15.2).
        Binding("tab", "next_field", show=False, priority=True, id="revoke.next_field"),
        Binding("shift+tab", "previous_field", show=False, priority=True,
                id="revoke.previous_field"),
    ]

    def __init__(self, customer_name: str, channels: dict[str, str]) -> None:
        super().__init__()
        self.customer_name = customer_name
        # keys that arrive before the form is mounted, replayed by on_mount (then None)
        self._early: list[tuple[str, str | None]] | None = []
        # channel -> REVOCABLE or why not; both channels, MTS first
        self.channels = {ch: channels.get(ch, "none") for ch in ("mts", "web")}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="revoke-dialog"):
            yield Static(fmt.plain(t("revoke.title", name=self.customer_name)),
                         classes="dialog-title")
            yield Label(t("revoke.channel"))
            first = next(ch for ch, state in self.channels.items() if state == REVOCABLE)
            with ChoiceSet(id="revoke-channel"):
                for channel, state in self.channels.items():
                    label = t(f"channel.{channel}.long")
                    if state != REVOCABLE:
                        label = t("revoke.channel_unavailable", channel=label,
                                  why=t(f"revoke.channel_{state}"))
                    yield RadioButton(label, value=channel == first,
                                      disabled=state != REVOCABLE, id=f"channel-{channel}")
            yield Label(t("revoke.reason"))
            with ChoiceSet(id="revoke-reason"):
                for i, reason in enumerate(REVOCATION_REASONS):
                    yield RadioButton(t(f"reason.{reason}"), value=i == 0, id=f"reason-{reason}")
            yield Label(t("revoke.note"))
            yield TextField(id="revoke-note", max_length=500, placeholder=t("revoke.note_hint"))
            yield Static("", id="revoke-message", classes="dialog-error")
            with DialogButtons():
                yield Button(t("revoke.submit"), id="ok", variant="error")
                yield Button(t("confirm.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#revoke-channel", RadioSet))
        # Coming back to the note never selects it: a key typed then would replace it.
        self.query_one("#revoke-note", Input).select_on_focus = False
        # Keys that arrived before the form was on screen (typed ahead after `r`), in order.
        early, self._early = self._early, None
        for key, character in early or []:
            if self._replay(key, character):
                break

    def _replay(self, key: str, character: str | None) -> bool:
        """One key typed before the form was mounted, as it would have acted; True when it
        closed the form (what follows belongs to the next dialog: dropped)."""
        focused = self.focused
        note = self.query_one("#revoke-note", Input)
        if key == "tab":
            self.focus_next()
        elif key == "shift+tab":
            self.focus_previous()
        elif key == "escape":
            self.dismiss(None)
            return True
        elif key == "backspace":
            if isinstance(focused, Input):
                focused.action_delete_left()
        elif key == "enter":
            if isinstance(focused, ChoiceSet) and not focused.cursor_on_pick():
                focused.action_toggle_button()  # picks the choice under the cursor
                return False
            if isinstance(focused, Button) and focused.id == "cancel":
                self.dismiss(None)
                return True
            self._submit()
            return True
        elif character is not None and character.isprintable():
            if isinstance(focused, Input):
                focused.insert_text_at_cursor(character)
            elif character.isspace() and not note.value and isinstance(focused, RadioSet):
                focused.action_toggle_button()
            else:
                self.set_focus(note)
                note.insert_text_at_cursor(character)
        return False

    def restrict(self, channels: dict[str, str]) -> None:
        """The store says less can be revoked than when the form opened: disable those
        channels (with why), the choice moving to one still revocable."""
        for channel, state in channels.items():
            if state == REVOCABLE or self.channels.get(channel) != REVOCABLE:
                continue
            self.channels[channel] = state
            button = self.query_one(f"#channel-{channel}", RadioButton)
            button.label = t("revoke.channel_unavailable", channel=t(f"channel.{channel}.long"),
                             why=t(f"revoke.channel_{state}"))
            if button.value:  # the choice moves to a channel still revocable
                first = next(ch for ch, s in self.channels.items() if s == REVOCABLE)
                other = self.query_one(f"#channel-{first}", RadioButton)
                radio_set = self.query_one("#revoke-channel", RadioSet)
                with radio_set.prevent(RadioButton.Changed):
                    button.value = False
                    other.value = True
                radio_set._pressed_button = other  # the set's own record of its choice
                radio_set._selected = list(radio_set.query(RadioButton)).index(other)
            button.disabled = True

    def action_next_field(self) -> None:
        if self._early is not None:  # not on screen yet: kept for on_mount
            self._early.append(("tab", None))
            return
        self.focus_next()

    def action_previous_field(self) -> None:
        if self._early is not None:
            self._early.append(("shift+tab", None))
            return
        self.focus_previous()

    def on_key(self, event: events.Key) -> None:
        """A character typed while the focus is on a choice or a button is the note's: the
        focus moves to the note and the character is kept. A printable key that arrives here
        did not go through the note (the note takes them all), though the note may have the
        focus by now: in a burst the next keys were already on their way to a choice. A space
        still picks a choice until a note is being typed."""
        if self._early is not None:  # not on screen yet: kept, in order, for on_mount
            self._early.append((event.key, event.character))
            event.stop()
            event.prevent_default()
            return
        note = self.query_one("#revoke-note", Input)
        if event.key == "backspace" and note.value:
            # Typed ahead after characters that reached the form on a choice: the note's.
            event.stop()
            event.prevent_default()
            self.set_focus(note)
            note.action_delete_left()
            return
        if event.character is None or not event.is_printable:
            return
        if event.character.isspace() and not note.value:
            return
        event.stop()
        event.prevent_default()
        # At once, not after the keys already queued (`focus()` waits for them): in a burst
        # (typed ahead, SSH lag) the next key, a space too, must already find the note.
        self.set_focus(note)
        note.insert_text_at_cursor(event.character)

    def on_choice_set_submitted(self, event: ChoiceSet.Submitted) -> None:
        event.stop()
        self._submit()

    def _chosen(self, set_id: str, prefix: str) -> str | None:
        pressed = self.query_one(set_id, RadioSet).pressed_button
        return pressed.id.removeprefix(prefix) if pressed is not None and pressed.id else None

    def _submit(self) -> None:
        channel = self._chosen("#revoke-channel", "channel-")
        if self.channels.get(channel or "") != REVOCABLE:  # never sent: the form's own guard
            return
        reason = self._chosen("#revoke-reason", "reason-")
        note = self.query_one("#revoke-note", Input).value.strip()
        if reason == "other" and not note:
            self.query_one("#revoke-message", Static).update(t("revoke.note_needed"))
            self.query_one("#revoke-note", Input).focus()
            return
        self.dismiss((channel, reason, note or None))



class PickModal(ConsoleModal):
    """Choose one of several items (e.g. which pending request). Returns its id or None."""

    CSS_PATH = [MODALS_TCSS]
    BINDINGS = [Binding("escape", "cancel", "keys.cancel", id="pick.cancel")]

    def __init__(self, title: str, items: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.items = items

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield OptionList(*[Option(label, id=key) for key, label in self.items], id="pick")

    def on_mount(self) -> None:
        self.query_one("#pick", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
