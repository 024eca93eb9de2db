"""Blind A/B: two contestants answer the same question anonymously; the evaluator votes A / B / tie /
both bad; identities are revealed only in the vote's reply. The leaderboard gives win rates and
Bradley-Terry scores with bootstrap intervals. Votes are idempotent by ``client_id``. A side whose answer
failed the grounding check shows the grounded text with a fallback badge, and votes on such battles are
excluded from the leaderboard (counted in ``excluded_fallback``)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

import anyio
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from hirachat.web import schemas as S
from hirachat.web.models import Battle
from hirachat.web.routers.common import CLIENT_ID, clean_question
from hirachat.web.security import DB, CurrentUser
from hirachat.web.stats import leaderboard

router = APIRouter(prefix="/api/arena", tags=["arena"])
SCORE = {"a": 1.0, "b": 0.0, "tie": 0.5, "both_bad": 0.5}


class BattleIn(BaseModel):
    question: str = Field(..., min_length=1, max_length=20000)


class VoteIn(BaseModel):
    client_id: str = Field(..., pattern=CLIENT_ID)
    vote: Literal["a", "b", "tie", "both_bad"]


def _side(res: dict[str, Any]) -> dict[str, Any]:
    """One side as the evaluator sees it; ``fallback``: the contestant's own answer failed the grounding
    check and this is the grounded text instead (shown with a badge, not the contestant's answer)."""
    return {
        "answer": res["answer"],
        "abstained": res["abstained"],
        "sources": res["sources"],
        "fallback": bool(res.get("fallback_reason")),
    }


@router.get("", response_model=S.ArenaInfo)
def arena(request: Request, user: CurrentUser) -> dict[str, Any]:
    n = len(request.app.state.answerer.arena)
    return {"enabled": n >= 2, "contestants": n}


@router.post("/battles", status_code=201, response_model=S.Battle)
async def battle(body: BattleIn, request: Request, user: CurrentUser, db: DB) -> dict[str, Any]:
    state = request.app.state
    question = clean_question(body.question, state.cfg.serve)
    names = state.answerer.arena
    if len(names) < 2:
        raise HTTPException(409, "blind A/B needs two contestants: configure serve.arena")
    a, b = random.sample(names, 2)
    ra, rb = [await anyio.to_thread.run_sync(state.answerer.answer, question, n) for n in (a, b)]
    for r in (ra, rb):
        state.metrics.answered(r, "arena")
        state.question_log.record(r, "arena", user.id)
    row = Battle(
        id=str(uuid.uuid4()),
        user_id=user.id,
        question=question,
        contestant_a=a,
        contestant_b=b,
        answer_a=ra["answer"],
        answer_b=rb["answer"],
        meta={
            "engine_a": ra["engine"],
            "engine_b": rb["engine"],
            "sources": ra["sources"],
            "fallback_a": ra.get("fallback_reason"),
            "fallback_b": rb.get("fallback_reason"),
        },
    )
    db.add(row)
    db.commit()
    return {"battle_id": row.id, "question": question, "a": _side(ra), "b": _side(rb)}


@router.post("/battles/{battle_id}/vote", response_model=S.Vote)
def vote(
    battle_id: str,
    body: VoteIn,
    request: Request,
    user: CurrentUser,
    db: DB,
) -> dict[str, Any]:
    row = db.get(Battle, battle_id)
    if row is None or row.user_id != user.id:
        raise HTTPException(404, f"battle {battle_id} not found")
    if row.vote is not None:
        if row.vote_client_id != body.client_id or row.vote != body.vote:
            raise HTTPException(409, "this battle already has a vote")
    else:
        row.vote, row.vote_client_id, row.voted_at = body.vote, body.client_id, datetime.now(UTC)
        db.commit()
        request.app.state.metrics.votes.labels(body.vote).inc()
    return {"battle_id": row.id, "vote": row.vote, "a": row.contestant_a, "b": row.contestant_b}


@router.get("/leaderboard", response_model=S.Leaderboard)
def board(request: Request, user: CurrentUser, db: DB) -> dict[str, Any]:
    rows = db.execute(
        select(Battle.contestant_a, Battle.contestant_b, Battle.vote, Battle.meta).where(
            Battle.vote.is_not(None)
        )
    ).all()
    fell_back = [bool(m and (m.get("fallback_a") or m.get("fallback_b"))) for *_, m in rows]
    games = [
        (a, b, SCORE[v]) for (a, b, v, _), fb in zip(rows, fell_back, strict=True) if v is not None and not fb
    ]
    players = sorted(set(request.app.state.answerer.arena) | {p for g in games for p in g[:2]})
    # a vote on a side that fell back judged the grounded text, not that contestant: not counted
    return {"votes": len(games), "excluded_fallback": sum(fell_back), "rows": leaderboard(players, games)}
