"""Monitoring for admins: ``GET /api/admin/monitor?days=30`` — the figures of the dashboard's 모니터링 tab
(questions, latency percentiles, abstention and fallback rates per day, ratings, most asked tables, the
questions that abstained most often, the latest answers with their ratings) from the question log."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request

from hirachat.query.wording import display_title
from hirachat.web import schemas as S
from hirachat.web.monitor import local_offset_minutes, overview
from hirachat.web.security import AdminUser

router = APIRouter(prefix="/api/admin", tags=["admin"])


def _titles(request: Request, ids: set[str]) -> dict[str, str]:
    """Korean titles of the tables, from the store being served (a table no longer in it keeps its id)."""
    if not ids:
        return {}
    answerer = request.app.state.answerer
    try:
        with answerer.lock:
            infos = answerer.svc.store.tables()
    except Exception:  # titles are a nicety: the figures do not depend on them
        return {}
    return {t.table_id: display_title(t) for t in infos if t.table_id in ids}


@router.get("/monitor", response_model=S.Monitor)
async def monitor(
    request: Request,
    admin: AdminUser,
    days: Annotated[int, Query(ge=1, le=366, description="Days shown, today included.")] = 30,
    tz: Annotated[
        int | None,
        Query(ge=-840, le=840, description="The viewer's UTC offset in minutes (default: the server's)."),
    ] = None,
) -> dict[str, Any]:
    state = request.app.state
    offset = local_offset_minutes() if tz is None else tz

    def read() -> dict[str, Any]:
        with state.sessions() as db:
            return overview(db, days, offset)

    out = await anyio.to_thread.run_sync(read)
    titles = _titles(request, {t["table"] for t in out["tables"]})
    for t in out["tables"]:
        t["title"] = titles.get(t["table"], t["table"])
    serve = state.cfg.serve
    out["settings"] = {
        "log_questions": serve.log_questions,
        "log_question_text": serve.log_question_text,
        "log_retention_days": serve.log_retention_days,
    }
    return out
