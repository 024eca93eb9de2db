"""Ratings: 1-5 quality, factual correctness, hallucination flag and comment, for a chat answer or a
campaign item. One rating per evaluator and answer: a second submission revises it (``revised: true``) and
the earlier version is kept in ``rating_history``. Idempotent by the client-generated ``client_id``: a retry
returns the stored rating (``duplicate: true``) and never counts twice; acknowledged after commit."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hirachat.web import schemas as S
from hirachat.web.models import CampaignItem, Conversation, Message, Rating, RatingHistory, User
from hirachat.web.routers.common import CLIENT_ID, MAX_ID
from hirachat.web.security import DB, CurrentUser
from hirachat.web.services import RATING_FIELDS as FIELDS
from hirachat.web.services import is_assigned, own_rating, rating_view

router = APIRouter(prefix="/api", tags=["ratings"])


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
    if prior is None:  # a retry of a version since revised: already applied, never applied again
        old = db.scalar(select(RatingHistory).where(RatingHistory.client_id == body.client_id))
        current = db.get(Rating, old.rating_id) if old is not None else None
        if old is None or current is None:
            return None
        same_target = (current.message_id, current.item_id) == (body.message_id, body.item_id)
        if (
            current.user_id != user.id
            or not same_target
            or any(old.previous.get(f) != getattr(body, f) for f in FIELDS)
        ):
            raise HTTPException(409, f"client_id {body.client_id} was already used for a different rating")
        return JSONResponse(rating_view(current, duplicate=True) | {"superseded": True}, status_code=200)
    if prior.user_id != user.id or not _same(prior, body):
        raise HTTPException(409, f"client_id {body.client_id} was already used for a different rating")
    return JSONResponse(rating_view(prior, duplicate=True), status_code=200)


@router.post(
    "/ratings",
    status_code=201,
    response_model=S.RatingOut,
    responses={200: {"model": S.RatingOut, "description": "a revision or a retried client_id"}},
)
def rate(body: RatingIn, request: Request, user: CurrentUser, db: DB) -> Any:
    for _ in range(20):  # a concurrent first rating or revision of the same answer: read again and redo
        replay = _replay(db, user, body)
        if replay is not None:
            return replay
        try:
            return _store(db, user, body, request)
        except IntegrityError:
            db.rollback()
    raise HTTPException(409, "rating conflicts with one stored concurrently; retry")


def _store(db: Session, user: User, body: RatingIn, request: Request) -> Any:
    """Revise the evaluator's rating of this answer (the old version kept), or store the first one."""
    question, answer, engine = _target(db, user, body)
    prior = own_rating(db, user.id, body.message_id, body.item_id)
    if prior is not None:
        previous = {"client_id": prior.client_id, **{f: getattr(prior, f) for f in FIELDS}}
        # only if nobody revised it since it was read (else read again): the winner writes the history
        done = db.execute(
            update(Rating)
            .where(Rating.id == prior.id, Rating.client_id == prior.client_id)
            .values(client_id=body.client_id, **{f: getattr(body, f) for f in FIELDS})
            .execution_options(synchronize_session=False)
        )
        if getattr(done, "rowcount", 0) != 1:
            raise IntegrityError("revised concurrently", None, Exception("stale"))
        db.add(RatingHistory(rating_id=prior.id, client_id=previous["client_id"], previous=previous))
        db.commit()
        db.refresh(prior)
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
    db.commit()  # unique (user, message) and (user, item): a concurrent first rating raises IntegrityError
    request.app.state.metrics.ratings.inc()
    return rating_view(rating)


@router.get("/ratings/mine", response_model=list[S.RatingOut])
def mine(user: CurrentUser, db: DB) -> list[dict[str, Any]]:
    rows = db.scalars(select(Rating).where(Rating.user_id == user.id).order_by(Rating.id.desc()).limit(500))
    return [rating_view(r) for r in rows]
