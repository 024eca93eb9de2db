"""Ratings and votes as flat rows (for CSV/JSONL export and for the evaluation report's human ratings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hirachat.atomic import write_jsonl
from hirachat.web.models import Battle, Campaign, CampaignItem, Rating, User


def rating_rows(db: Session) -> list[dict[str, Any]]:
    q = (
        select(Rating, User.username, CampaignItem.position, Campaign.name)
        .join(User, User.id == Rating.user_id)
        .outerjoin(CampaignItem, CampaignItem.id == Rating.item_id)
        .outerjoin(Campaign, Campaign.id == CampaignItem.campaign_id)
        .order_by(Rating.id)
    )
    return [
        {
            "id": r.id,
            "client_id": r.client_id,
            "evaluator": name,
            "campaign": campaign,
            "item_position": pos,
            "message_id": r.message_id,
            "question": r.question,
            "answer": r.answer,
            "engine": r.engine,
            "score": r.score,
            "factual": r.factual,
            "hallucination": r.hallucination,
            "comment": r.comment,
            "created_at": r.created_at.isoformat(),
        }
        for r, name, pos, campaign in db.execute(q)
    ]


def vote_rows(db: Session) -> list[dict[str, Any]]:
    q = select(Battle, User.username).join(User, User.id == Battle.user_id).order_by(Battle.created_at)
    return [
        {
            "battle_id": b.id,
            "evaluator": name,
            "question": b.question,
            "a": b.contestant_a,
            "b": b.contestant_b,
            "answer_a": b.answer_a,
            "answer_b": b.answer_b,
            "vote": b.vote,
            "created_at": b.created_at.isoformat(),
            "voted_at": b.voted_at.isoformat() if b.voted_at else None,
        }
        for b, name in db.execute(q)
    ]


def export_ratings(db: Session, folder: Path) -> Path:
    """All ratings to folder/ratings.jsonl (where ``hira-chat eval`` reports read human ratings)."""
    path = folder / "ratings.jsonl"
    write_jsonl(path, rating_rows(db))
    return path
