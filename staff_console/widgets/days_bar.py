"""Days left of a credential's validity as a bar: `████████░░░░ 812일`."""

from __future__ import annotations

from datetime import date

from rich.text import Text

from ..i18n import t

WARN_DAYS = 90
DANGER_DAYS = 30


def days_bar(days_left: int | None, activated: date | None, valid_until: date | None,
             *, width: int = 16) -> Text:
    """The bar: the share of the validity period still left, then the days in words."""
    if days_left is None or valid_until is None:
        return Text("-")
    total = (valid_until - activated).days if activated else 0
    total = max(total, 1)
    share = min(max(days_left / total, 0.0), 1.0)
    filled = round(share * width)
    if days_left < 0:
        style = "bold red"
        label = t("days.expired")
    else:
        style = "red" if days_left <= DANGER_DAYS else "yellow" if days_left <= WARN_DAYS else "green"
        label = t("days.left", days=days_left)
    bar = Text("█" * filled, style=style)
    bar.append("░" * (width - filled), style="dim")
    bar.append(" ")
    bar.append(label, style=style)
    return bar
