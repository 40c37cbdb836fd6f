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


ROWS = 7  # status, device, methods, activated, valid until, last use, pending


class CredentialPanel(Static):
    """Status, device or browser, methods, activated, last valid day with days left as a bar,
    last use, pending requests. `show(credential, pending)` fills it."""

    DEFAULT_CSS = """
    CredentialPanel {
        border: round $primary;
        border-title-style: bold;
        padding: 0 1;
        height: auto;
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
            if ended is not None:
                # The latest ended one: e.g. "revoked · 2026-11-24 10:00 · lost device".
                status = Text(fmt.status(ended.status), style=STATUS_STYLE.get(ended.status, ""))
                reason = fmt.end_reason(ended.end_reason, ended.replaced_by)
                status.append(f"  {fmt.when(ended.ended_at)}  {reason}", style="dim")
                grid.add_row(t("panel.status"), status)
                device = ended.device_model or ended.device_id
                grid.add_row(device_label, fmt.plain(device, style="dim"))
            grid.add_row("" if ended is not None else t("panel.status"),
                         Text(t("panel.none"), style="dim"))
        else:
            c = credential
            grid.add_row(t("panel.status"),
                         Text(fmt.status(c.status), style=STATUS_STYLE.get(c.status, "")))
            device = c.device_model or "-"
            grid.add_row(device_label, Text(fmt.safe(f"{device}  ({c.device_id})"),
                                            overflow="ellipsis"))
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
            fmt.plain(t("panel.pending_item", id=r.id, kind=fmt.kind(r.kind),
                        who=r.maker_name or fmt.origin(r.origin),
                        reason=fmt.reason(r.reason) if r.reason else "",
                        when=fmt.when(r.created_at)).rstrip(" ·"), style="yellow")
            for r in pending
        ]
        grid.add_row(t("panel.pending"),
                     Group(*lines) if lines else Text(t("panel.pending_none"), style="dim"))
        # Both panels the same height, side by side: pad to the rows of a current credential.
        for _ in range(grid.row_count, ROWS):
            grid.add_row("", "")
        self.update(grid)
