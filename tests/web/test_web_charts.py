"""Server-side SVG trend charts: scaled to the data, hover titles, escaped text, empty history."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fleetpatch.web.charts import HEIGHT, PAD_BOTTOM, PAD_TOP, Series, line_chart


def test_points_scale_to_the_plot() -> None:
    start = date(2026, 9, 1)
    points = tuple((start + timedelta(days=d), float(v)) for d, v in ((0, 10), (45, 40), (89, 20)))
    svg = line_chart(Series("Mean days behind", points, "t"))
    coords = re.search(r'<polyline class="line" points="([^"]+)"/>', svg)
    assert coords
    xs, ys = zip(*(map(float, p.split(",")) for p in coords.group(1).split()), strict=True)
    assert list(xs) == sorted(xs)
    assert min(ys) == PAD_TOP  # the maximum touches the top
    assert max(ys) < HEIGHT - PAD_BOTTOM
    assert "<title>2026-10-16: 40</title>" in svg
    assert ">2026-09-01<" in svg
    assert ">2026-11-29<" in svg


def test_text_is_escaped() -> None:
    svg = line_chart(Series("<b>&", ((date(2026, 1, 1), 1.0),), 'x"y'))
    assert "<b>" not in svg
    assert "&lt;b&gt;&amp;" in svg
    assert 'data-testid="x&quot;y"' in svg


def test_empty_history_says_so() -> None:
    svg = line_chart(Series("Pending reboot", (), "empty"))
    assert "no history yet" in svg
    assert "polyline" not in svg
