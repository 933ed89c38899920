"""Shared helpers of the browser tests: the served dashboard and screenshots as artifacts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.request import urlopen

if TYPE_CHECKING:
    from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@dataclass(frozen=True)
class Server:
    """A running dashboard: its base URL, and the API's JSON for comparison."""

    url: str

    def api(self, path: str) -> Any:
        with urlopen(f"{self.url}/api/v1{path}", timeout=30) as response:
            return json.load(response)


def screenshot(page: Page, name: str) -> Path:
    """Keep a full-page screenshot as a test artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    return target
