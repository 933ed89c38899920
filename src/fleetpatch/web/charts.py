"""Trend charts as inline SVG, drawn on the server (no JavaScript, no chart library needed).

`line_chart` takes dated values and returns an SVG fragment: a polyline over the days, the first
and last day on the x axis, zero and the maximum on the y axis, and a `<title>` per point so a
hover shows the exact figure. Every text that reaches the SVG is escaped; numbers are formatted
here, so the fragment is safe to embed as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

WIDTH = 360
HEIGHT = 120
PAD_LEFT = 40
PAD_BOTTOM = 20
PAD_TOP = 10
PAD_RIGHT = 10


@dataclass(frozen=True, slots=True)
class Series:
    title: str
    points: tuple[tuple[date, float], ...]
    test_id: str


def line_chart(series: Series) -> str:
    """The SVG for one series; an empty series says so instead of drawing an empty frame."""
    label = escape(series.title)
    head = (
        f'<svg class="chart" data-testid="{escape(series.test_id)}" role="img" '
        f'aria-label="{label}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{label}</title>'
    )
    if not series.points:
        middle = (
            f'<text x="{WIDTH // 2}" y="{HEIGHT // 2}" text-anchor="middle">no history yet</text>'
        )
        return head + middle + "</svg>"
    return head + _axes(series.points) + _line(series.points) + "</svg>"


def _scale(points: Sequence[tuple[date, float]]) -> tuple[date, int, float]:
    first = points[0][0]
    span = max((points[-1][0] - first).days, 1)
    top = max(max(v for _, v in points), 1.0)
    return first, span, top


def _xy(points: Sequence[tuple[date, float]], day: date, value: float) -> tuple[float, float]:
    first, span, top = _scale(points)
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    x = PAD_LEFT + plot_w * (day - first).days / span
    y = PAD_TOP + plot_h * (1 - value / top)
    return round(x, 1), round(y, 1)


def _axes(points: Sequence[tuple[date, float]]) -> str:
    _, _, top = _scale(points)
    base = HEIGHT - PAD_BOTTOM
    return (
        f'<line class="axis" x1="{PAD_LEFT}" y1="{base}" x2="{WIDTH - PAD_RIGHT}" y2="{base}"/>'
        f'<line class="axis" x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{base}"/>'
        f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + 4}" text-anchor="end">{_num(top)}</text>'
        f'<text x="{PAD_LEFT - 4}" y="{base}" text-anchor="end">0</text>'
        f'<text x="{PAD_LEFT}" y="{HEIGHT - 4}">{points[0][0].isoformat()}</text>'
        f'<text x="{WIDTH - PAD_RIGHT}" y="{HEIGHT - 4}" text-anchor="end">'
        f"{points[-1][0].isoformat()}</text>"
    )


def _line(points: Sequence[tuple[date, float]]) -> str:
    coords = [_xy(points, d, v) for d, v in points]
    path = " ".join(f"{x},{y}" for x, y in coords)
    dots = "".join(
        f'<circle cx="{x}" cy="{y}" r="2"><title>{d.isoformat()}: {_num(v)}</title></circle>'
        for (x, y), (d, v) in zip(coords, points, strict=True)
    )
    return f'<polyline class="line" points="{path}"/>{dots}'


def _num(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 or value == int(value) else f"{value:,.1f}"
