"""Services the routers share (one place each): views of users, tokens and ratings, an evaluator's own
rating, campaign assignment, a campaign's items from a dataset split. Routers import this module, never
each other nor the evaluation runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hirachat.web.models import Assignment, Rating, Token, User

RATING_FIELDS = ("score", "factual", "hallucination", "comment")


def user_view(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "role": user.role}


def token_view(t: Token) -> dict[str, Any]:
    """A token as listed: never the token itself (only its hash is stored)."""
    return {
        "id": t.id,
        "kind": t.kind,
        "name": t.name,
        "created_at": t.created_at.isoformat() if t.created_at else None,
        "expires_at": t.expires_at.isoformat() if t.expires_at else None,
    }


def rating_view(r: Rating, duplicate: bool = False) -> dict[str, Any]:
    return {
        "id": r.id,
        "client_id": r.client_id,
        "message_id": r.message_id,
        "item_id": r.item_id,
        **{f: getattr(r, f) for f in RATING_FIELDS},
        "duplicate": duplicate,
    }


def own_rating(db: Session, user_id: int, message_id: int | None, item_id: int | None) -> Rating | None:
    """The evaluator's rating of this chat answer or campaign item, if any."""
    target = Rating.message_id == message_id if message_id is not None else Rating.item_id == item_id
    return db.scalar(select(Rating).where(Rating.user_id == user_id, target))


def is_assigned(db: Session, campaign_id: int, user_id: int) -> bool:
    q = select(Assignment.id).where(Assignment.campaign_id == campaign_id, Assignment.user_id == user_id)
    return db.scalar(q) is not None


def split_items(path: Path, limit: int) -> list[dict[str, Any]]:
    """A campaign's items from a cleaned dataset split: ``limit`` records stratified by question type."""
    from hirachat.atomic import read_jsonl
    from hirachat.eval.run import stratified

    recs = [r for r in read_jsonl(path) if r.get("instruction")]
    return [
        {"question": r["instruction"], "reference": r.get("output"), "metadata": r.get("metadata", {})}
        for r in stratified(recs, limit)
    ]
