"""Data versions for admins: list the store's versions and switch answers to one without a restart.

Switching writes the store's CURRENT file (as ``hira-chat data rollback`` does), so every worker process
picks the version up at its next question; this process opens it before replying.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import anyio
from fastapi import APIRouter, HTTPException, Request

from hirachat.data import versions
from hirachat.errors import StoreError
from hirachat.web import schemas as S
from hirachat.web.security import AdminUser

router = APIRouter(prefix="/api/admin/data", tags=["admin"])


@router.get("/versions", response_model=S.Versions)
def list_versions(request: Request, admin: AdminUser) -> dict[str, Any]:
    answerer = request.app.state.answerer
    return {
        "serving": answerer.version,
        "current": versions.current(answerer.store_dir),
        "switch_error": answerer.switch_error,
        "versions": [asdict(v) for v in reversed(versions.versions(answerer.store_dir))],
    }


@router.post("/versions/{name}/activate", response_model=S.Serving)
async def activate(name: str, request: Request, admin: AdminUser) -> dict[str, Any]:
    answerer = request.app.state.answerer
    try:
        chosen = versions.activate(answerer.store_dir, name)
    except StoreError as exc:
        raise HTTPException(404, str(exc)) from exc
    await anyio.to_thread.run_sync(lambda: answerer.refresh(wait=True))
    if answerer.version != chosen:
        raise HTTPException(500, answerer.switch_error or f"version {chosen} could not be opened")
    return {"serving": answerer.version}
