"""Display formats: instants in Korea time, dates, numbers, codes through the catalog.

Dates and times (docs/decisions.md, "Numbers and dates"): both languages show ISO 8601 in
Korea time, `2026-12-06` and `2026-12-06 10:00`: what staff type into every date field, one
fixed width in every table at 80 and 120 columns, sorts as it reads, one reading for Korean,
British and American readers, and the form Korean statements print. Counts are grouped by
three with a comma in both languages (`number`; i18n groups every whole-number field of a
text that is not an id: 1,234건, #12345). No Babel at run time: these few forms are written here."""

from __future__ import annotations

from datetime import date, datetime

from rich.text import Text

from ..domain.clock import SEOUL
from ..domain.states import EndReason
from ..domain.text import display_safe
from ..i18n import number as i18n_number
from ..i18n import t, t_opt

# Data from the store (names, device ids, notes, employee numbers, trail details) is shown as
# text: as a Text object (a DataTable cell, Static or Label never parses it as markup) and
# through domain.text.display_safe (control, bidi and zero-width characters as escapes, rows
# written before the input rule included).

def safe(value: object) -> str:
    """`value` with control, bidi and zero-width characters shown as escapes."""
    return display_safe(value)


def plain(value: object, style: str = "", *, multiline: bool = False) -> Text:
    """A literal Text for a widget: no markup, escapes for control characters (`multiline`
    keeps line feeds: a dialog's question of several lines)."""
    return Text(display_safe("" if value is None else value, multiline=multiline), style=style)


def cells(*values: object) -> list:
    """A DataTable row: strings become literal Text (a str cell is parsed as markup)."""
    return [plain(v) if isinstance(v, str) else v for v in values]


def when(instant: datetime | None) -> str:
    """`2026-11-24 10:00` in Korea time; `-` for none."""
    if instant is None:
        return "-"
    return instant.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M")


def day(value: date | None) -> str:
    """`2026-12-06` (a table cell, a form); `-` for none."""
    return value.isoformat() if value is not None else "-"


def number(value: int | None) -> str:
    """A count: `1,234` (both languages group by three with a comma)."""
    return "-" if value is None else i18n_number(value)


def status(value: str | None) -> str:
    return t_opt("status", value)


def request_status(value: str | None) -> str:
    return t_opt("request_status", value)


def channel(value: str | None) -> str:
    return t_opt("channel", value)


def kind(value: str | None) -> str:
    return t_opt("kind", value)


def reason(value: str | None) -> str:
    return t_opt("reason", value)


def authority(value: str | None) -> str:
    return t_opt("authority", value)


def role(value: str | None) -> str:
    return t_opt("role", value)


def methods(values: list[str]) -> str:
    return ", ".join(t_opt("method", m) for m in values) or "-"


def customer_kind(customer_type: str, nationality: str) -> str:
    return f"{t_opt('nationality', nationality)} · {t_opt('customer_type', customer_type)}"


def evidence(kind_: str) -> str:
    return t_opt("evidence", kind_)


def end_reason(value: str | None, replaced_by: int | None = None) -> str:
    """An end reason (domain.states.EndReason) in words; a replacement names its successor."""
    if not value:
        return "-"
    if value == EndReason.REPLACED:
        return t("end.replaced_by", id=replaced_by) if replaced_by else t("status.replaced")
    if value in (EndReason.REGISTRATION_REJECTED, EndReason.REQUEST_EXPIRED):
        return t(f"end.{value}")
    return t_opt("reason", value) if value != EndReason.EXPIRED else t("status.expired")


def origin(value: str | None) -> str:
    return t_opt("origin", value)





def width(minimum: int, *texts: object) -> int:
    """A column's width in the selected language: at least `minimum`, and as wide as its
    widest label or word (terminal cells: a Hangul syllable counts two), so no English label
    is cut ("Valid unti")."""
    from rich.cells import cell_len

    return max([minimum, *(cell_len(str(text)) for text in texts)])
