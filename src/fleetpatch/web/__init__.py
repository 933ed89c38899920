"""The dashboard, JSON API and Prometheus metrics: a FastAPI app over the store.

`create_app(settings, store, policy, clock)` (in `app.py`) builds it; nothing is created at import
time. Modules: `pages.py` and `oncall.py` (server-rendered pages), `api.py`, `ingest.py` and
`oncall.py` (`/api/v1`), `schemas*.py` (the JSON contract), `metrics.py` (the scrape-time
collector), `auth.py` (token roles), `security.py` (headers, bind rule), `errors.py` (one message,
the right status), `context.py` (what handlers share), `charts.py` (SVG trends).
"""

from __future__ import annotations

from fleetpatch.web.app import create_app

__all__ = ["create_app"]
