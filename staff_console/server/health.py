"""Health for a load balancer or systemd: `/healthz` (the process answers: liveness) and
`/readyz` (it can use the store: readiness). Neither needs a session nor says anything about
the store beyond ready or not (the reason stays in the server's log)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..domain.errors import ConsoleError
from ..services.policy import current_policy
from .deps import backend_of

log = logging.getLogger(__name__)


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: the store answers a read (the store's policy)")
    async def readyz(request: Request) -> JSONResponse:
        backend = backend_of(request)
        try:
            # The read every call starts from (the store's policy): schema and rows usable.
            await run_in_threadpool(current_policy, backend)
        except ConsoleError as exc:
            log.warning("not ready: %s", exc)
            return JSONResponse({"status": "unavailable", "code": exc.code}, status_code=503)
        except Exception:
            log.exception("not ready")
            return JSONResponse({"status": "unavailable", "code": "UNEXPECTED"}, status_code=503)
        return JSONResponse({"status": "ready", "store": backend.store.dialect})

    return router
