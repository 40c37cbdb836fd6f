"""How many credentials reach their last valid day in each of the next 12 months: a bar chart
(textual-plotext). Month labels are `YYYY-MM`; every count is written above its bar.

Only ASCII goes into the plot itself (plotext measures text in characters, not terminal cells,
so Korean inside the plot would misalign); the Korean title is the container's border title.
The chart is deterministic for the same counts and size (no colours from a random palette).
"""

from __future__ import annotations

from textual_plotext import PlotextPlot


class ExpiryChart(PlotextPlot):
    DEFAULT_CSS = """
    ExpiryChart {
        height: 1fr;
        min-height: 8;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.counts: list[tuple[str, int]] = []

    def show(self, counts: list[tuple[str, int]]) -> None:
        """`[("2026-11", 5), ("2026-12", 0), ...]`, the current month first."""
        self.counts = list(counts)
        self._draw()

    def on_resize(self) -> None:
        if self.counts:
            self._draw()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        # The theme first: a label's background is the canvas colour when it is drawn.
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        if self.counts:
            labels = [month for month, _ in self.counts]
            values = [n for _, n in self.counts]
            top = max(values)
            ceiling = max(top * 1.3, 2)
            plt.bar(labels, values, color="orange", width=0.6)
            plt.ylim(0, ceiling)
            # Explicit ticks: plotext's automatic ones depend on state left by earlier plots.
            plt.xticks(list(range(1, len(labels) + 1)), labels)
            plt.xlim(0.4, len(labels) + 0.6)
            step = max(1, -(-top // 4))
            plt.yticks(list(range(0, int(ceiling) + 1, step)))
            # Each count one text row above its bar (the plot area is the height less the
            # frame and the month labels).
            row = ceiling / max(self.size.height - 3, 3)
            for i, n in enumerate(values, start=1):
                plt.text(str(n), x=i, y=n + row * 1.2, alignment="center", color="orange",
                         style="bold")
            _sort_ticks(plt)
        plt.xlabel("")
        plt.ylabel("")
        self.refresh()


def _sort_ticks(plt) -> None:
    """plotext de-duplicates ticks through a set, so their order (and with it where the labels
    land) changes with Python's string hashing from one process to the next. Put them back in
    order so the same counts always draw the same chart."""
    monitor = getattr(plt, "monitor", None)
    if monitor is None:
        return
    for ticks_name, labels_name in (("xticks", "xlabels"), ("yticks", "ylabels")):
        ticks, labels = getattr(monitor, ticks_name, None), getattr(monitor, labels_name, None)
        if not ticks or not labels:
            continue
        for side in range(len(ticks)):
            if ticks[side] is None or labels[side] is None:
                continue
            pairs = sorted(zip(ticks[side], labels[side], strict=True))
            ticks[side] = [tick for tick, _ in pairs]
            labels[side] = [label for _, label in pairs]
