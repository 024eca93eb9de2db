"""Ratings: 1-5 quality, factual correctness, hallucination flag and comment, for a chat answer or a
campaign item. Idempotent by the client-generated ``client_id``: a retry returns the stored rating
(``duplicate: true``) and never counts twice; one transaction per rating, acknowledged after commit."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hirachat.web.models import CampaignItem, Conversation, Message, Rating, User
from hirachat.web.routers.campaigns import is_assigned
from hirachat.web.routers.common import CLIENT_ID, MAX_ID
from hirachat.web.security import DB, CurrentUser

router = APIRouter(prefix="/api", tags=["ratings"])
FIELDS = ("score", "factual", "hallucination", "comment")


class RatingIn(BaseModel):
    client_id: str = Field(..., pattern=CLIENT_ID, description="Client-generated id (retries reuse it).")
    message_id: int | None = Field(None, ge=1, le=MAX_ID)
    item_id: int | None = Field(None, ge=1, le=MAX_ID)
    score: int = Field(..., ge=1, le=5)
    factual: Literal["correct", "wrong", "unsure"]
    hallucination: bool
    comment: str = Field("", max_length=2000)

    @model_validator(mode="after")
    def _one_target(self) -> RatingIn:
        if (self.message_id is None) == (self.item_id is None):
            raise ValueError("give exactly one of message_id (a chat answer) or item_id (a campaign item)")
        return self


def rating_view(r: Rating, duplicate: bool = False) -> dict[str, Any]:
    return {
        "id": r.id,
        "client_id": r.client_id,
        "message_id": r.message_id,
        "item_id": r.item_id,
        **{f: getattr(r, f) for f in FIELDS},
        "duplicate": duplicate,
    }


def _target(db: Session, user: User, body: RatingIn) -> tuple[str, str, str]:
    """(question, answer, engine) of what is rated, after checking the user may rate it."""
    if body.message_id is not None:
        row = db.execute(
            select(Message, Conversation.user_id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.id == body.message_id)
        ).first()
        if row is None or (row[1] != user.id and user.role != "admin"):
            raise HTTPException(404, f"message {body.message_id} not found")
        return row[0].question, row[0].answer, row[0].engine
    item = db.get(CampaignItem, body.item_id)
    if item is None:
        raise HTTPException(404, f"campaign item {body.item_id} not found")
    if user.role != "admin" and not is_assigned(db, item.campaign_id, user.id):
        raise HTTPException(403, "this campaign is not assigned to you")
    return item.question, item.answer, str(item.meta.get("engine", ""))


def _same(r: Rating, body: RatingIn) -> bool:
    return all(getattr(r, f) == getattr(body, f) for f in FIELDS) and (r.message_id, r.item_id) == (
        body.message_id,
        body.item_id,
    )


def _replay(db: Session, user: User, body: RatingIn) -> JSONResponse | None:
    """The answer to a retry of an already stored client_id, or None if it is new."""
    prior = db.scalar(select(Rating).where(Rating.client_id == body.client_id))
    if prior is None:
        return None
    if prior.user_id != user.id or not _same(prior, body):
        raise HTTPException(409, f"client_id {body.client_id} was already used for a different rating")
    return JSONResponse(rating_view(prior, duplicate=True), status_code=200)


@router.post("/ratings", status_code=201)
def rate(body: RatingIn, request: Request, user: CurrentUser, db: DB) -> Any:
    replay = _replay(db, user, body)
    if replay is not None:
        return replay
    question, answer, engine = _target(db, user, body)
    if body.item_id is not None:  # one rating per evaluator and item: a new one revises it
        prior = db.scalar(select(Rating).where(Rating.user_id == user.id, Rating.item_id == body.item_id))
        if prior is not None:
            for f in FIELDS:
                setattr(prior, f, getattr(body, f))
            prior.client_id = body.client_id
            db.commit()
            return JSONResponse(rating_view(prior) | {"revised": True}, status_code=200)
    rating = Rating(
        client_id=body.client_id,
        user_id=user.id,
        message_id=body.message_id,
        item_id=body.item_id,
        question=question,
        answer=answer,
        engine=engine,
        **{f: getattr(body, f) for f in FIELDS},
    )
    db.add(rating)
    try:
        db.commit()
    except IntegrityError:  # a concurrent retry of the same client_id won the race
        db.rollback()
        replay = _replay(db, user, body)
        if replay is not None:
            return replay
        raise HTTPException(409, "rating conflicts with one stored concurrently; retry") from None
    request.app.state.metrics.ratings.inc()
    return rating_view(rating)


@router.get("/ratings/mine")
def mine(user: CurrentUser, db: DB) -> list[dict[str, Any]]:
    rows = db.scalars(select(Rating).where(Rating.user_id == user.id).order_by(Rating.id.desc()).limit(500))
    return [rating_view(r) for r in rows]
