"""What the CLI prints for times: UTC with a Z, to the second, in every format."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from fleetpatch.cli.render import render_rows

AT = datetime(2026, 12, 3, 3, 10, 42, 123456, tzinfo=UTC)


def test_times_never_show_microseconds() -> None:
    rows = [{"host": "db-01", "seen": AT, "day": date(2026, 12, 3)}]
    for fmt in ("table", "json", "csv"):
        text = render_rows(rows, ["host", "seen", "day"], fmt)
        assert "2026-12-03T03:10:42Z" in text, fmt
        assert "123456" not in text, fmt
    assert json.loads(render_rows(rows, ["host", "seen", "day"], "json"))[0]["day"] == "2026-12-03"
