"""The app factory: state (config, database, answerer, metrics), middleware, error handlers, routers.

Interactive API docs are off (they load scripts from a CDN, which a closed network cannot reach and the
CSP forbids); the OpenAPI schema is served at ``/openapi.json``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from hirachat.config import Config
from hirachat.paths import Workspace
from hirachat.web import schemas as S
from hirachat.web.answers import Answerer
from hirachat.web.db import default_url, make_engine, migrate, sessions
from hirachat.web.guard import Guard
from hirachat.web.metrics import Metrics
from hirachat.web.questionlog import QuestionLogWriter
from hirachat.web.ratelimit import SharedRateLimiter
from hirachat.web.routers import (
    admin,
    arena,
    auth,
    campaigns,
    chat,
    monitor,
    openai_api,
    ops,
    ratings,
    versions,
)

log = logging.getLogger("hirachat.web")
STATIC = Path(__file__).parent / "static"


def _openai_error(status: int, message: str, param: str | None = None) -> JSONResponse:
    kind = {401: "authentication_error", 404: "not_found_error", 429: "rate_limit_exceeded"}.get(
        status, "invalid_request_error"
    )
    return JSONResponse(
        {"error": {"message": message, "type": kind, "param": param, "code": None}}, status_code=status
    )


def _describe(exc: RequestValidationError) -> tuple[str, str | None]:
    parts, first = [], None
    for e in exc.errors():
        loc = [str(x) for x in e.get("loc", ()) if x != "body"] if e.get("type") != "json_invalid" else []
        where = ".".join(loc) or "body"
        first = first or where
        msg = "malformed JSON" if e.get("type") == "json_invalid" else e.get("msg", "invalid")
        parts.append(f"{where}: {msg}")
    return "; ".join(parts) or "invalid request", first


CONFIG_ENV = "HIRACHAT_SERVE_CONFIG"  # the validated config, as JSON, for worker processes


def worker_app() -> FastAPI:
    """The app of one ``serve --workers N`` process (uvicorn's factory): the parent validated the config and
    ran the migrations; each worker opens its own read-only store."""
    return create_app(Config.model_validate_json(os.environ[CONFIG_ENV]), run_migrations=False)


def create_app(cfg: Config, answerer: Answerer | None = None, run_migrations: bool = True) -> FastAPI:
    ws = Workspace.of(cfg.paths)
    engine = make_engine(cfg.serve.database_url or default_url(ws.root))
    if run_migrations:
        migrate(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.question_log.start()
        yield
        app.state.question_log.close()  # writes what is queued
        app.state.answerer.close()
        engine.dispose()

    app = FastAPI(
        title="hira-chat",
        version="0.1.0",
        description="HIRA 통계 챗봇: 채팅, 전문가 평가, OpenAI 호환 API",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.cfg = cfg
    app.state.workspace = ws
    app.state.db_engine = engine
    app.state.sessions = sessions(engine)
    app.state.answerer = answerer or Answerer(cfg)
    app.state.metrics = Metrics()
    app.state.metrics.watch_database(app.state.sessions)
    app.state.question_log = QuestionLogWriter(app.state.sessions, cfg.serve, app.state.metrics)
    app.state.started = int(time.time())

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        msg, param = _describe(exc)
        if request.url.path.startswith("/v1/"):
            return _openai_error(422 if "malformed" not in msg else 400, msg, param)
        return JSONResponse({"detail": msg, "errors": jsonable(exc.errors())}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if request.url.path.startswith("/v1/"):
            return _openai_error(exc.status_code, str(exc.detail))
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"detail": "internal error (logged on the server)"}, status_code=500)

    for module in (ops, auth, chat, ratings, campaigns, arena, admin, monitor, versions, openai_api):
        app.include_router(module.router, responses=S.OPENAI_INVALID if module is openai_api else S.INVALID)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(
        Guard,
        metrics=app.state.metrics,
        limiter=SharedRateLimiter(cfg.serve.rate_limit_per_minute, ws.rate_limit_db),
        max_body=cfg.serve.max_body_bytes,
    )
    return app


def jsonable(errors: Any) -> Any:
    """Validation errors without the raw input objects (which may not be JSON-serialisable)."""
    return [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in errors]
