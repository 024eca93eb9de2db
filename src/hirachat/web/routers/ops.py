"""Operations: the UI's page, ``/healthz`` (store and database reachable), ``/metrics`` (Prometheus)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy import text

from hirachat.web import schemas as S
from hirachat.web.security import presented_token, user_for_token

router = APIRouter(tags=["ops"])
INDEX = Path(__file__).parent.parent / "static" / "index.html"


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    return FileResponse(INDEX, media_type="text/html; charset=utf-8")


@router.get("/healthz", response_model=S.Health, responses={503: {"model": S.Health}})
def healthz(request: Request) -> JSONResponse:
    state = request.app.state
    checks: dict[str, Any] = {}
    try:
        with state.db_engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # report, never raise: this is what a probe reads
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        with state.answerer.lock:
            checks["tables"] = len(state.answerer.svc.store.tables())
        checks["data_version"] = state.answerer.version
    except Exception as exc:
        checks["tables"] = f"error: {type(exc).__name__}"
    ok = checks["database"] == "ok" and isinstance(checks["tables"], int)
    return JSONResponse(
        {"status": "ok" if ok else "degraded", "models": state.answerer.models, **checks},
        status_code=200 if ok else 503,
    )


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus text; with ``serve.metrics_require_token`` only for an admin's bearer token."""
    if request.app.state.cfg.serve.metrics_require_token:
        with request.app.state.sessions() as db:
            user = user_for_token(db, presented_token(request))
        if user is None or user.role != "admin":
            return Response("admin token required\n", status_code=401, media_type="text/plain")
    return Response(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4")
