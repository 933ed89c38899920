"""`/api/v1/runs` and the andon cord over HTTP.

Reads (`GET /api/v1/runs`, `GET /api/v1/runs/{id}`, `GET /api/v1/halt`) need the read
permission; actions (`POST /api/v1/runs`, `…/cancel`, `…/resume`, `POST /api/v1/halt`,
`DELETE /api/v1/halt`) need an operator token in the `Authorization` header, and the audit log
names that token as the actor. The documents are those of `fleetpatch run show --format json`
and `fleetpatch runs --format json`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from fleetpatch.app.tokens import Caller
from fleetpatch.orchestrate import service
from fleetpatch.web.auth import operator, reader
from fleetpatch.web.context import context_of

router = APIRouter(prefix="/api/v1", tags=["runs"])
Reader = Annotated[Caller, Depends(reader)]
Operator = Annotated[Caller, Depends(operator)]


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bucket: str = Field(max_length=64)
    executor: str | None = Field(default=None, max_length=32)
    hosts: list[str] | None = Field(default=None, max_length=100_000)
    dry_run: bool = False
    override_window: bool = False
    reason: str = Field(default="", max_length=2000)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


def _actor(caller: Caller) -> str:
    return f"token:{caller.name}"


@router.get("/runs")
def get_runs(request: Request, _: Reader, bucket: str | None = None) -> list[dict[str, Any]]:
    context = context_of(request)
    return service.list_runs(context.store, bucket=bucket, policy=context.policy)


@router.get("/runs/{run_id}")
def get_run(run_id: str, request: Request, _: Reader) -> dict[str, Any]:
    return service.show_run(context_of(request).store, run_id)


@router.post("/runs", status_code=201)
async def post_run(body: RunIn, request: Request, caller: Operator) -> dict[str, Any]:
    context = context_of(request)

    def start() -> dict[str, Any]:
        with context.writing():
            made = service.start_run(
                context.store,
                context.policy,
                body.bucket,
                now=context.clock(),
                actor=_actor(caller),
                executor=body.executor,
                hosts=body.hosts,
                dry_run=body.dry_run,
                override_window=body.override_window,
                reason=body.reason,
            )
        return {
            "id": made.id,
            "bucket": made.bucket,
            "executor": made.executor,
            "hosts": [h.host for h in made.hosts],
            "target": made.target,
        }

    return await run_in_threadpool(start)


@router.post("/runs/{run_id}/cancel")
def post_cancel(run_id: str, body: ReasonIn, request: Request, caller: Operator) -> dict[str, Any]:
    context = context_of(request)
    with context.writing():
        service.cancel_run(
            context.store,
            run_id,
            now=context.clock(),
            actor=_actor(caller),
            reason=body.reason,
            policy=context.policy,
        )
    return service.show_run(context.store, run_id)


@router.post("/runs/{run_id}/resume")
def post_resume(run_id: str, body: ReasonIn, request: Request, caller: Operator) -> dict[str, Any]:
    context = context_of(request)
    with context.writing():
        service.resume_run(
            context.store, run_id, now=context.clock(), actor=_actor(caller), reason=body.reason
        )
    return service.show_run(context.store, run_id)


@router.get("/halt")
def get_halt(request: Request, _: Reader) -> dict[str, Any]:
    found = service.halt_state(context_of(request).store)
    return {"halted": found is not None, **(found or {})}


@router.post("/halt")
def post_halt(body: ReasonIn, request: Request, caller: Operator) -> dict[str, Any]:
    context = context_of(request)
    with context.writing():
        service.halt(context.store, now=context.clock(), actor=_actor(caller), reason=body.reason)
    return get_halt(request, caller)


@router.delete("/halt")
def delete_halt(request: Request, caller: Operator) -> dict[str, Any]:
    context = context_of(request)
    with context.writing():
        service.unhalt(context.store, now=context.clock(), actor=_actor(caller))
    return get_halt(request, caller)
