"""Inline SVG charts for the HTML report: line charts and sparklines, no library, no network.

Every string that reaches the markup goes through :func:`esc`; the values for
the hover read-out travel as escaped JSON in a ``data-`` attribute and are put
on the page by the report's script with ``textContent`` only.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

from leakguard._render.text import human

PALETTE = (
    "#d62728",
    "#1f77b4",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
)
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 12, 14, 26


def esc(text: object) -> str:
    """Escape anything for HTML text and attribute values."""
    return html.escape(str(text), quote=True)


@dataclass(frozen=True, slots=True)
class Line:
    """One series on a chart: a label, its levels (oldest first) and a colour."""

    label: str
    values: Sequence[float]
    color: str


def nice_ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    """Round axis values covering ``lo..hi``, about ``count`` of them."""
    if hi <= lo:
        lo, hi = lo - 1, hi + 1
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(lo / step) * step
    ticks = [first]
    while ticks[-1] < hi:
        ticks.append(ticks[-1] + step)
    return ticks


def _ticks(lo: float, hi: float, unit: str) -> list[float]:
    """Axis values; byte axes get round numbers of KiB, MiB or GiB, not of 1000s."""
    scale = 1.0
    if unit == "bytes":
        while hi / scale >= 1024 and scale < 1024**3:
            scale *= 1024
    return [t * scale for t in nice_ticks(lo / scale, hi / scale)]


def _path(values: Sequence[float], xs: Sequence[float], sx: Scale, sy: Scale) -> str:
    return "M" + "L".join(f"{sx(x):.1f},{sy(v):.1f}" for x, v in zip(xs, values, strict=True))


class Scale:
    """A linear map from data values to pixels."""

    def __init__(self, lo: float, hi: float, start: float, end: float) -> None:
        self.lo, self.span = lo, (hi - lo) or 1.0
        self.start, self.end = start, end

    def __call__(self, value: float) -> float:
        return self.start + (value - self.lo) / self.span * (self.end - self.start)


def line_chart(
    lines: Sequence[Line],
    xs: Sequence[float],
    x_labels: Sequence[str],
    *,
    title: str,
    unit: str,
    width: int = 560,
    height: int = 220,
) -> str:
    """An SVG line chart of ``lines`` over ``xs``, with a y axis, a legend and hover data.

    Args:
        lines: the series; each is right-aligned on ``xs`` when shorter.
        xs: x positions (seconds or sample numbers), oldest first.
        x_labels: the label of each x position, for the hover read-out.
        title: the chart's title.
        unit: the values' unit (``bytes`` formats as KiB/MiB).
    """
    lines = [ln for ln in lines if len(ln.values) >= 1]
    if not lines or not xs:
        return f'<p class="empty">{esc(title)}: no samples yet</p>'
    values = [v for ln in lines for v in ln.values]
    ticks = _ticks(min(values), max(values), unit)
    sx = Scale(xs[0], xs[-1], _LEFT, width - _RIGHT)
    sy = Scale(ticks[0], ticks[-1], height - _BOTTOM, _TOP)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{esc(title)}" data-left="{_LEFT}" data-right="{width - _RIGHT}" '
        f'data-points="{esc(_hover_data(lines, x_labels, unit))}">',
        f"<title>{esc(title)}</title>",
    ]
    for t in ticks:
        y = sy(t)
        parts.append(
            f'<line class="grid" x1="{_LEFT}" x2="{width - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{_LEFT - 6}" y="{y + 4:.1f}">{esc(human(t, unit))}</text>'
        )
    parts.append(
        f'<text class="xlabel" x="{_LEFT}" y="{height - 6}">{esc(x_labels[0])}</text>'
        f'<text class="xlabel end" x="{width - _RIGHT}" y="{height - 6}">{esc(x_labels[-1])}</text>'
    )
    for ln in reversed(lines):  # the first line (the top suspect) is drawn on top
        vals = ln.values[-len(xs) :]
        d = _path(vals, xs[len(xs) - len(vals) :], sx, sy)
        parts.append(
            f'<path class="series" d="{d}" stroke="{ln.color}" data-label="{esc(ln.label)}"/>'
        )
    parts.append(f'<line class="cursor" x1="0" x2="0" y1="{_TOP}" y2="{height - _BOTTOM}"/></svg>')
    return "".join(parts) + _legend(lines)


def _hover_data(lines: Sequence[Line], x_labels: Sequence[str], unit: str) -> str:
    n = len(x_labels)
    series = []
    for ln in lines:
        padded = [None] * (n - len(ln.values)) + [human(v, unit) for v in ln.values[-n:]]
        series.append({"label": ln.label, "color": ln.color, "values": padded})
    return json.dumps({"x": list(x_labels), "series": series})


def _legend(lines: Sequence[Line]) -> str:
    if len(lines) < 2:
        return ""
    items = "".join(
        f'<li><span class="swatch" style="background:{ln.color}"></span>{esc(ln.label)}</li>'
        for ln in lines
    )
    return f'<ul class="legend">{items}</ul>'


def sparkline(values: Sequence[float], color: str = PALETTE[0], width: int = 140) -> str:
    """A small trend line without axes, for a table cell."""
    height = 30
    if len(values) < 2:
        return ""
    sx = Scale(0, len(values) - 1, 2, width - 2)
    sy = Scale(min(values), max(values), height - 3, 3)
    d = _path(values, range(len(values)), sx, sy)
    return (
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f'<path class="series" d="{d}" stroke="{color}"/></svg>'
    )
