"""Chart geometry for inline SVG: pure functions from numbers to coordinates.

Charts are drawn by the server (no JavaScript library, no CDN): a template macro turns a Chart
into <svg> elements. Keeping the arithmetic here makes it testable and the template dumb.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Series:
    css: str
    path: str
    area: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    css: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    label: str


@dataclass(frozen=True)
class Grid:
    y: float
    label: str


@dataclass(frozen=True)
class Legend:
    css: str
    label: str


@dataclass
class Chart:
    width: int = 640
    height: int = 220
    left: int = 40
    right: int = 10
    top: int = 10
    bottom: int = 24
    grid: list[Grid] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    xlabels: list[Label] = field(default_factory=list)
    legend: list[Legend] = field(default_factory=list)

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom


def nice_max(value: float) -> float:
    """A round axis maximum >= value (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for m in (1, 2, 5, 10):
        top = m * 10**exp
        if top >= value:
            return float(top)
    return float(10 ** (exp + 1))


def whole_max(value: float) -> float:
    """An axis maximum for counts of people: four equal whole steps (1, 2, 5 × 10^n each), so no
    grid line reads 0.25 of a person. 1 -> 4 (0, 1, 2, 3, 4); 37 -> 40; 100 -> 100."""
    exp = 0
    while True:
        for m in (1, 2, 2.5, 5):
            step = m * 10**exp
            if step == int(step) and 4 * step >= value:
                return float(4 * step)
        exp += 1


def _y_axis(chart: Chart, top: float, fmt: str = "{:g}") -> None:
    for i in range(5):
        v = top * i / 4
        y = chart.top + chart.plot_h * (1 - i / 4)
        chart.grid.append(Grid(round(y, 1), fmt.format(v)))


def line_chart(
    xs: Sequence[float],
    ys: Sequence[float],
    *,
    x_range: tuple[float, float],
    x_labels: Sequence[tuple[float, str]],
    titles: Sequence[str],
    css: str = "s1",
    whole: bool = False,
) -> Chart:
    """One step-free line with a filled area, e.g. headcount over the day (`whole`: the values
    count people, so the axis steps are whole numbers)."""
    chart = Chart()
    top = (whole_max if whole else nice_max)(max(ys, default=0))
    _y_axis(chart, top)
    x0, x1 = x_range
    span = (x1 - x0) or 1.0

    def px(x: float) -> float:
        return round(chart.left + chart.plot_w * (x - x0) / span, 1)

    def py(y: float) -> float:
        return round(chart.top + chart.plot_h * (1 - y / top), 1)

    pts = tuple(Point(px(x), py(y), t) for x, y, t in zip(xs, ys, titles, strict=True))
    if pts:
        path = "M" + " L".join(f"{p.x},{p.y}" for p in pts)
        base = chart.top + chart.plot_h
        area = f"{path} L{pts[-1].x},{base} L{pts[0].x},{base} Z"
        chart.series.append(Series(css, path, area, pts))
    chart.xlabels = [Label(px(x), label) for x, label in x_labels]
    return chart


def paired_bars(
    labels: Sequence[str],
    first: Sequence[float],
    second: Sequence[float],
    *,
    legend: tuple[str, str],
    titles: Sequence[tuple[str, str]],
) -> Chart:
    """Two bars per category (e.g. expected vs. paid per worker), scaled to one axis."""
    chart = Chart(height=240, bottom=40)
    top = nice_max(max([*first, *second], default=0))
    _y_axis(chart, top, "{:,.0f}")
    n = max(len(labels), 1)
    slot = chart.plot_w / n
    w = max(min(slot * 0.38, 18.0), 1.0)
    for i, label in enumerate(labels):
        cx = chart.left + slot * (i + 0.5)
        for j, (vals, css) in enumerate(((first, "s1"), (second, "s2"))):
            h = chart.plot_h * (vals[i] / top)
            x = cx - w + j * w
            y = chart.top + chart.plot_h - h
            chart.bars.append(
                Bar(round(x, 1), round(y, 1), round(w, 1), round(h, 1), css, titles[i][j])
            )
        if n <= 40:
            chart.xlabels.append(Label(round(cx, 1), label[:3]))
    chart.legend = [Legend("s1", legend[0]), Legend("s2", legend[1])]
    return chart
