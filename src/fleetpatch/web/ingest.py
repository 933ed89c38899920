"""`POST /api/v1/reports`: read a bounded body, ingest it, re-evaluate the hosts it moved.

The body is read with a size cap before anything is parsed. Ingestion and re-evaluation run in a
worker thread (they block on the store); each is its own transaction, so a report is stored even
if its host's re-evaluation fails (the next `fleetpatch evaluate` catches up) — that failure is
logged, never hidden behind a 201 for a report that was not stored.
"""

from __future__ import annotations

import logging

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from fleetpatch.app.evaluate import evaluate_host_now
from fleetpatch.app.ingest import IngestSummary, Source, ingest
from fleetpatch.store import ReportRepository
from fleetpatch.web.context import WebContext, context_of
from fleetpatch.web.schemas import IngestOut

log = logging.getLogger(__name__)


async def ingest_body(request: Request) -> tuple[IngestOut, int]:
    context = context_of(request)
    body = await _read_capped(request, context.max_report_bytes)
    if not body.strip():
        raise HTTPException(400, "empty body: send a fleetpatch.report/v1 JSON document")
    return await run_in_threadpool(_ingest, context, body)


async def _read_capped(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise HTTPException(413, f"report body over {cap} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise HTTPException(413, f"report body over {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _ingest(context: WebContext, body: bytes) -> tuple[IngestOut, int]:
    now = context.clock()
    with context.writing():
        summary = ingest(context.store, [Source.from_bytes("request", body)], now=now)
    hosts = _hostnames(context, summary)
    context.forget_figures()
    for hostname, ecosystem in hosts:
        upstream = context.upstream(ecosystem)
        try:
            with context.writing():
                evaluate_host_now(
                    context.store, context.policy, hostname, now=now, upstream=upstream
                )
        except Exception:  # the report is stored: the client must hear so, whatever failed here
            log.exception(
                "stored a report of %s but could not re-evaluate it; the next "
                "`fleetpatch evaluate` will",
                hostname,
                extra={"host": hostname},
            )
    context.forget_figures()
    out = IngestOut(
        stored=summary.stored,
        duplicates=summary.duplicates,
        rejected=[str(r) for r in summary.rejected],
        hosts=[name for name, _ in hosts],
    )
    if summary.stored:
        return out, 201
    return out, 422 if summary.rejected else 200


def _hostnames(context: WebContext, summary: IngestSummary) -> list[tuple[str, str]]:
    """(hostname, ecosystem) of each host a stored report belongs to."""
    if not summary.report_ids:
        return []
    with context.store.session() as session:
        reports = ReportRepository(session)
        headers = [reports.header(i) for i in summary.report_ids]
    return sorted({(h.hostname, h.ecosystem) for h in headers})
