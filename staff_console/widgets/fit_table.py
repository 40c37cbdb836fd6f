"""A DataTable that keeps its essential columns at any width and drops the others in a stated
order when the terminal is narrow (issue 15 item 3: 80x24 must be usable).

A screen makes `FitTable(drop_order=("branch", "type"), ...)` and adds its columns and rows
exactly as on a DataTable, every row with a cell for every column. The table shows the columns
that fit its width: when they do not all fit, it leaves out the first key of `drop_order`, then
the next, until the rest fit or nothing more may be dropped (a column not named in `drop_order`
is essential: always shown, the table scrolls sideways if even those do not fit). When its width
changes it shows the columns again, cursor row kept.

The data stays whole: `row_data` (every cell of a row, in the order the columns were added),
`get_column` and `get_cell` answer over every column, shown or not, so what a screen (or a
test) reads by column key does not depend on the terminal's width. `get_row` is DataTable's
own: the cells shown, the ones it draws. A column of no fixed width counts as wide as its
widest cell or label.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowKey


@dataclass
class _Spec:
    key: str
    label: Any
    width: int | None
    default: Any


def _cell_width(value: Any) -> int:
    if isinstance(value, Text):
        return max((cell_len(line) for line in value.plain.splitlines()), default=0)
    return max((cell_len(line) for line in str(value).splitlines()), default=0)


class FitTable(DataTable):
    """See the module docstring. `drop_order`: column keys, the first dropped first."""

    def __init__(self, *args: Any, drop_order: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.drop_order = tuple(drop_order)
        self._specs: list[_Spec] = []
        self._full: dict[RowKey, tuple[list[Any], int, Any]] = {}
        self._shown: tuple[str, ...] | None = None  # None: every column (no width known yet)
        self._refit_pending = False

    # ------------------------------------------------------------------ which columns

    def _spec_width(self, index: int, spec: _Spec) -> int:
        if spec.width is not None:
            return spec.width
        widest = _cell_width(spec.label)
        for cells, _height, _label in self._full.values():
            if index < len(cells):
                widest = max(widest, _cell_width(cells[index]))
        return widest

    def fitting(self, width: int) -> tuple[str, ...]:
        """The keys of the columns shown at `width` cells (the table's own width)."""
        room = width - self.styles.scrollbar_size_vertical
        widths = {spec.key: self._spec_width(i, spec) + 2 * self.cell_padding
                  for i, spec in enumerate(self._specs)}
        shown = [spec.key for spec in self._specs]
        for key in self.drop_order:
            if sum(widths[k] for k in shown) <= room:
                break
            if key in shown:
                shown.remove(key)
        return tuple(shown)

    @property
    def shown_columns(self) -> tuple[str, ...]:
        """The keys of the columns shown now."""
        return tuple(spec.key for spec in self._specs if self._is_shown(spec.key))

    def _is_shown(self, key: str) -> bool:
        return self._shown is None or key in self._shown

    def _visible(self, cells: Sequence[Any]) -> list[Any]:
        return [cell for spec, cell in zip(self._specs, cells, strict=False)
                if self._is_shown(spec.key)]

    def _on_resize(self, event: events.Resize) -> None:
        super()._on_resize(event)
        self.refit()

    def refit(self) -> None:
        """Show the columns that fit the table's width now (after a resize or new rows)."""
        width = self.size.width
        if width <= 0 or not self._specs:
            return  # not laid out yet (a hidden tab): keep what is shown
        shown = self.fitting(width)
        if shown != self.shown_columns:
            self._rebuild(shown)

    def _rebuild(self, shown: tuple[str, ...]) -> None:
        cursor = self.cursor_coordinate
        rows = [(key, *self._full[key]) for key in (r.key for r in self.ordered_rows)
                if key in self._full]
        super().clear(columns=True)
        self._full.clear()
        self._shown = shown
        for spec in self._specs:
            if spec.key in shown:
                super().add_column(spec.label, width=spec.width, key=spec.key,
                                   default=spec.default)
        for key, cells, height, label in rows:
            self.add_row(*cells, height=height, key=key.value, label=label, _refit=False)
        if self.row_count:
            self.move_cursor(row=min(cursor.row, self.row_count - 1),
                             column=min(cursor.column, max(len(self.columns) - 1, 0)))

    # ------------------------------------------------------------------ DataTable's API

    def add_column(self, label: Any, *, width: int | None = None, key: str | None = None,
                   default: Any = None) -> ColumnKey:
        spec_key = key if key is not None else f"column-{len(self._specs)}"
        self._specs.append(_Spec(spec_key, label, width, default))
        if self._shown is not None:
            self._shown = (*self._shown, spec_key)
        self._schedule_refit()
        return super().add_column(label, width=width, key=spec_key, default=default)

    def add_row(self, *cells: Any, height: int | None = 1, key: str | None = None,
                label: Any = None, _refit: bool = True) -> RowKey:
        row_key = super().add_row(*self._visible(cells), height=height, key=key, label=label)
        self._full[row_key] = (list(cells), height or 1, label)
        if _refit:
            self._schedule_refit()
        return row_key

    def _schedule_refit(self) -> None:
        if self.is_mounted and not self._refit_pending:
            self._refit_pending = True
            self.call_after_refresh(self._pending_refit)

    def _pending_refit(self) -> None:
        self._refit_pending = False
        self.refit()

    def remove_row(self, row_key: RowKey | str) -> None:
        super().remove_row(row_key)
        self._full.pop(RowKey(row_key) if isinstance(row_key, str) else row_key, None)

    def clear(self, columns: bool = False) -> FitTable:
        super().clear(columns)
        self._full.clear()
        if columns:
            self._specs.clear()
            self._shown = None
        return self

    def update_cell(self, row_key: RowKey | str, column_key: ColumnKey | str, value: Any, *,
                    update_width: bool = False) -> None:
        row = RowKey(row_key) if isinstance(row_key, str) else row_key
        column = column_key.value if isinstance(column_key, ColumnKey) else column_key
        index = self._index_of(column)
        if row in self._full and index is not None:
            self._full[row][0][index] = value
        if self._is_shown(column or ""):
            super().update_cell(row_key, column_key, value, update_width=update_width)

    def _index_of(self, column: str | None) -> int | None:
        for i, spec in enumerate(self._specs):
            if spec.key == column:
                return i
        return None

    def row_data(self, row_key: RowKey | str) -> list[Any]:
        """Every column's cell of the row, shown or not, in the order they were added.
        (`get_row` stays DataTable's: the shown cells, the ones it draws.)"""
        row = RowKey(row_key) if isinstance(row_key, str) else row_key
        if row not in self._full:
            return self.get_row(row_key)
        return list(self._full[row][0])

    def get_column(self, column_key: ColumnKey | str) -> Iterable[Any]:
        """Every row's cell of the column, shown or not."""
        column = column_key.value if isinstance(column_key, ColumnKey) else column_key
        index = self._index_of(column)
        if index is None:
            yield from super().get_column(column_key)
            return
        for row in self.ordered_rows:
            if row.key in self._full:
                yield self._full[row.key][0][index]

    def get_cell(self, row_key: RowKey | str, column_key: ColumnKey | str) -> Any:
        row = RowKey(row_key) if isinstance(row_key, str) else row_key
        column = column_key.value if isinstance(column_key, ColumnKey) else column_key
        index = self._index_of(column)
        if row in self._full and index is not None:
            return self._full[row][0][index]
        try:
            return super().get_cell(row_key, column_key)
        except KeyError:
            raise CellDoesNotExist(f"No cell exists for row_key={row_key!r}, "
                                   f"column_key={column_key!r}.") from None
