"""One channel's credential (MTS or mobile web) on the customer screen."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ..i18n import t
from . import format as fmt
from .days_bar import days_bar

STATUS_STYLE = {
    "active": "bold green",
    "pending": "yellow",
    "locked": "bold red",
    "expired": "red",
    "revoked": "red",
    "replaced": "dim",
    "rejected": "dim",
}


class CredentialPanel(Static):
    """Status, device or browser, methods, activated, last valid day with days left as a bar,
    last use, pending requests. `show(credential, pending)` fills it."""

    DEFAULT_CSS = """
    CredentialPanel {
        border: round $primary;
        border-title-style: bold;
        padding: 0 1;
        height: auto;
        min-height: 8;
    }
    """

    def __init__(self, channel: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.channel = channel
        self.border_title = t(f"channel.{channel}.long")

    def show(self, credential, pending: list, *, ended=None) -> None:
        """`credential` is the current one (or None); `ended` the latest ended one, if any."""
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        device_label = t("panel.device") if self.channel == "mts" else t("panel.browser")
        if credential is None:
            text = Text(t("panel.none"), style="dim")
            if ended is not None:
                text.append("\n")
                text.append(t("panel.last_ended", status=fmt.status(ended.status),
                              when=fmt.when(ended.ended_at)), style="dim")
            grid.add_row(t("panel.status"), text)
        else:
            c = credential
            grid.add_row(t("panel.status"),
                         Text(fmt.status(c.status), style=STATUS_STYLE.get(c.status, "")))
            device = c.device_model or "-"
            grid.add_row(device_label, Text(f"{device}  ({c.device_id})", overflow="ellipsis"))
            grid.add_row(t("panel.methods"), fmt.methods(c.methods))
            grid.add_row(t("panel.activated"), fmt.when(c.activated_at))
            activated = c.activated_at.astimezone(fmt.SEOUL).date() if c.activated_at else None
            until = Text(f"{fmt.day(c.valid_until)}  ")
            until.append_text(days_bar(c.days_left, activated, c.valid_until))
            grid.add_row(t("panel.valid_until"), until)
            grid.add_row(t("panel.last_used"), fmt.when(c.last_used_at))
            if c.failed_logins:
                grid.add_row(t("panel.failed_logins"), str(c.failed_logins))
        lines = [
            Text(t("panel.pending_item", id=r.id, kind=fmt.kind(r.kind),
                   who=r.maker_name or fmt.origin(r.origin),
                   reason=fmt.reason(r.reason) if r.reason else "",
                   when=fmt.when(r.created_at)).rstrip(" ·"), style="yellow")
            for r in pending
        ]
        grid.add_row(t("panel.pending"),
                     Group(*lines) if lines else Text(t("panel.pending_none"), style="dim"))
        self.update(grid)
