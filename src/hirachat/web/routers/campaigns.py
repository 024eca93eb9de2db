"""Evaluation campaigns: an admin loads fixed items (a dataset split or a list), each answered once by a
chosen model, and assigns evaluators; evaluators work through their items; admins see progress and the
agreement between evaluators (Krippendorff's alpha over the items rated by two or more)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hirachat.web import schemas as S
from hirachat.web.answers import SERVING
from hirachat.web.models import Assignment, Campaign, CampaignItem, Rating, User
from hirachat.web.routers.common import MAX_ID, RowId
from hirachat.web.security import DB, AdminUser, CurrentUser
from hirachat.web.services import is_assigned, own_rating, rating_view, split_items
from hirachat.web.stats import krippendorff_alpha

router = APIRouter(prefix="/api", tags=["campaigns"])
Position = Annotated[int, PathParam(ge=0, le=MAX_ID)]  # an item's place in its campaign, from 0
MAX_ITEMS = 2000


class ItemIn(BaseModel):
    question: str = Field(..., min_length=1, max_length=2000)
    reference: str | None = Field(None, max_length=20000)


class CampaignIn(BaseModel):
    name: str = Field(..., min_length=1, max_length=128)
    description: str = Field("", max_length=5000)
    split: Literal["train", "val", "test"] | None = Field(None, description="Load items from this split.")
    items: list[ItemIn] | None = Field(None, max_length=MAX_ITEMS)
    limit: int = Field(100, ge=1, le=MAX_ITEMS, description="Items taken (stratified by question type).")
    model: str = Field(SERVING, max_length=64, description="Which model answers the items.")
    evaluators: list[str] = Field(default_factory=list, max_length=500)
    reference_shown: Literal["after_rating", "always", "never"] = Field(
        "after_rating",
        description="When evaluators see the reference answer: after they rated the item (no anchoring), "
        "always, or never.",
    )

    @model_validator(mode="after")
    def _source(self) -> CampaignIn:
        if (self.split is None) == (self.items is None):
            raise ValueError("give exactly one of split or items")
        return self


class AssignIn(BaseModel):
    evaluators: list[str] = Field(..., min_length=1, max_length=500)


def _items(request: Request, body: CampaignIn) -> list[dict[str, Any]]:
    if body.items is not None:
        return [{"question": i.question, "reference": i.reference, "metadata": {}} for i in body.items]
    path = request.app.state.workspace.cleaned / f"{body.split}.jsonl"
    if not path.exists():
        raise HTTPException(404, f"{path} not found: build the dataset first (hira-chat data build)")
    return split_items(path, body.limit)


def _assign(db: Session, campaign_id: int, names: list[str]) -> list[str]:
    users = {u.username: u for u in db.scalars(select(User).where(User.username.in_(names)))}
    missing = sorted(set(names) - set(users))
    if missing:
        raise HTTPException(404, f"unknown users: {', '.join(missing)}")
    have = set(db.scalars(select(Assignment.user_id).where(Assignment.campaign_id == campaign_id)))
    for u in users.values():
        if u.id not in have:
            db.add(Assignment(campaign_id=campaign_id, user_id=u.id))
    return sorted(users)


@router.post("/admin/campaigns", status_code=201, response_model=S.CampaignCreated)
async def create_campaign(body: CampaignIn, request: Request, admin: AdminUser, db: DB) -> dict[str, Any]:
    answerer = request.app.state.answerer
    if body.model not in answerer.engines:
        raise HTTPException(404, f"unknown model {body.model!r}; available: {', '.join(answerer.models)}")
    if db.scalar(select(Campaign.id).where(Campaign.name == body.name)) is not None:
        raise HTTPException(409, f"a campaign named {body.name!r} exists")
    items = _items(request, body)

    def answer_all() -> list[dict[str, Any]]:
        return [answerer.answer(it["question"], body.model) for it in items]

    answers = await anyio.to_thread.run_sync(answer_all)
    for res in answers:
        request.app.state.metrics.answered(res, "campaign")
        request.app.state.question_log.record(res, "campaign", admin.id)
    campaign = Campaign(
        name=body.name,
        description=body.description,
        engine=body.model,
        created_by=admin.id,
        reference_shown=body.reference_shown,
    )
    db.add(campaign)
    try:
        db.flush()
        for pos, (it, res) in enumerate(zip(items, answers, strict=True)):
            meta = {
                "engine": res["engine"],
                "model": body.model,
                "sources": res["sources"],
                "abstained": res["abstained"],
                "item": it["metadata"],
            }
            db.add(
                CampaignItem(
                    campaign_id=campaign.id,
                    position=pos,
                    question=it["question"],
                    reference=it["reference"],
                    answer=res["answer"],
                    meta=meta,
                )
            )
        assigned = _assign(db, campaign.id, body.evaluators)
        db.commit()
    except IntegrityError:
        db.rollback()
        raise HTTPException(409, f"a campaign named {body.name!r} exists") from None
    return {"id": campaign.id, "name": campaign.name, "items": len(items), "evaluators": assigned}


@router.post("/admin/campaigns/{campaign_id}/assign", response_model=S.Assigned)
def assign(campaign_id: RowId, body: AssignIn, admin: AdminUser, db: DB) -> dict[str, Any]:
    if db.get(Campaign, campaign_id) is None:
        raise HTTPException(404, f"campaign {campaign_id} not found")
    names = _assign(db, campaign_id, body.evaluators)
    db.commit()
    return {"campaign_id": campaign_id, "assigned": names}


def _rated(db: Session, campaign_id: int) -> dict[int, int]:
    """Ratings given in the campaign, per evaluator id."""
    rows = db.execute(
        select(Rating.user_id, func.count(Rating.id))
        .join(CampaignItem, CampaignItem.id == Rating.item_id)
        .where(CampaignItem.campaign_id == campaign_id)
        .group_by(Rating.user_id)
    ).all()
    return {int(uid): int(n) for uid, n in rows}


def _progress(db: Session, campaign_id: int) -> list[dict[str, Any]]:
    rated = _rated(db, campaign_id)
    users = db.execute(
        select(User.id, User.username)
        .join(Assignment, Assignment.user_id == User.id)
        .where(Assignment.campaign_id == campaign_id)
        .order_by(User.username)
    ).all()
    return [{"username": name, "rated": rated.get(uid, 0)} for uid, name in users]


def _count(db: Session, campaign_id: int) -> int:
    return int(
        db.scalar(select(func.count(CampaignItem.id)).where(CampaignItem.campaign_id == campaign_id)) or 0
    )


@router.get("/admin/campaigns", response_model=list[S.CampaignAdmin])
def list_campaigns(admin: AdminUser, db: DB) -> list[dict[str, Any]]:
    out = []
    for c in db.scalars(select(Campaign).order_by(Campaign.id)):
        out.append(
            {
                "id": c.id,
                "name": c.name,
                "model": c.engine,
                "items": _count(db, c.id),
                "progress": _progress(db, c.id),
            }
        )
    return out


@router.get("/admin/campaigns/{campaign_id}/agreement", response_model=S.Agreement)
def agreement(campaign_id: RowId, admin: AdminUser, db: DB) -> dict[str, Any]:
    if db.get(Campaign, campaign_id) is None:
        raise HTTPException(404, f"campaign {campaign_id} not found")
    rows = db.scalars(
        select(Rating)
        .join(CampaignItem, CampaignItem.id == Rating.item_id)
        .where(CampaignItem.campaign_id == campaign_id)
    ).all()
    by_item: dict[int, list[Rating]] = {}
    for r in rows:
        by_item.setdefault(int(r.item_id or 0), []).append(r)
    shared = {k: v for k, v in by_item.items() if len(v) >= 2}

    def alpha(field: str, level: Literal["nominal", "ordinal", "interval"]) -> float | None:
        a = krippendorff_alpha({k: [getattr(r, field) for r in v] for k, v in shared.items()}, level)
        return None if a is None else round(a, 4)

    return {
        "campaign_id": campaign_id,
        "items_rated_by_two_or_more": len(shared),
        "raters": len({r.user_id for r in rows}),
        "score_alpha_ordinal": alpha("score", "ordinal"),
        "score_alpha_interval": alpha("score", "interval"),
        "factual_alpha_nominal": alpha("factual", "nominal"),
        "hallucination_alpha_nominal": alpha("hallucination", "nominal"),
    }


@router.get("/campaigns", response_model=list[S.CampaignMine])
def my_campaigns(user: CurrentUser, db: DB) -> list[dict[str, Any]]:
    out = []
    mine = db.scalars(
        select(Campaign)
        .join(Assignment, Assignment.campaign_id == Campaign.id)
        .where(Assignment.user_id == user.id)
    )
    for c in mine:
        out.append(
            {
                "id": c.id,
                "name": c.name,
                "description": c.description,
                "items": _count(db, c.id),
                "rated": _rated(db, c.id).get(user.id, 0),
            }
        )
    return out


def _item_view(db: Session, c: Campaign, item: CampaignItem, user: User) -> dict[str, Any]:
    """An item as an evaluator sees it: the model's identity hidden, the reference only as the campaign
    allows (by default after this evaluator rated the item), and their own rating to revise."""
    mine = own_rating(db, user.id, None, item.id)
    show = c.reference_shown == "always" or (c.reference_shown == "after_rating" and mine is not None)
    return {
        "id": item.id,
        "position": item.position,
        "question": item.question,
        "answer": item.answer,
        "reference": item.reference if show else None,
        "reference_hidden": item.reference is not None and not show,
        "sources": item.meta.get("sources") or [],
        "abstained": bool(item.meta.get("abstained")),
        "rating": rating_view(mine) if mine else None,
    }


def _mine(db: Session, campaign_id: int, user: User) -> Campaign:
    c = db.get(Campaign, campaign_id)
    if c is None or not is_assigned(db, campaign_id, user.id):
        raise HTTPException(404, f"campaign {campaign_id} is not assigned to you")
    return c


@router.get("/campaigns/{campaign_id}/next", response_model=S.ItemAt)
def next_item(campaign_id: RowId, user: CurrentUser, db: DB) -> dict[str, Any]:
    """The evaluator's first unrated item (``item: null`` when done). The model's identity is not shown."""
    c = _mine(db, campaign_id, user)
    rated = select(Rating.item_id).where(Rating.user_id == user.id, Rating.item_id.is_not(None))
    item = db.scalar(
        select(CampaignItem)
        .where(CampaignItem.campaign_id == campaign_id, CampaignItem.id.not_in(rated))
        .order_by(CampaignItem.position)
        .limit(1)
    )
    total = _count(db, campaign_id)
    return {"item": _item_view(db, c, item, user) if item else None, "total": total}


@router.get("/campaigns/{campaign_id}/items/{position}", response_model=S.ItemAt)
def item_at(campaign_id: RowId, position: Position, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Any item by position: an evaluator goes back to revise a rating (and then sees the reference)."""
    c = _mine(db, campaign_id, user)
    item = db.scalar(
        select(CampaignItem).where(CampaignItem.campaign_id == campaign_id, CampaignItem.position == position)
    )
    if item is None:
        raise HTTPException(404, f"campaign {campaign_id} has no item {position}")
    return {"item": _item_view(db, c, item, user), "total": _count(db, campaign_id)}


@router.get("/admin/campaigns/{campaign_id}/items", response_model=S.CampaignBrowse)
def browse(campaign_id: RowId, admin: AdminUser, db: DB) -> dict[str, Any]:
    """Every item with the model's answer, the reference and each evaluator's rating of it."""
    c = db.get(Campaign, campaign_id)
    if c is None:
        raise HTTPException(404, f"campaign {campaign_id} not found")
    items = db.scalars(
        select(CampaignItem).where(CampaignItem.campaign_id == campaign_id).order_by(CampaignItem.position)
    ).all()
    names = dict(db.execute(select(User.id, User.username)).all())
    ratings: dict[int, list[dict[str, Any]]] = {}
    for r in db.scalars(select(Rating).where(Rating.item_id.in_([i.id for i in items]))):
        ratings.setdefault(int(r.item_id or 0), []).append(
            {"evaluator": names.get(r.user_id), **rating_view(r)}
        )
    return {
        "campaign_id": c.id,
        "name": c.name,
        "model": c.engine,
        "reference_shown": c.reference_shown,
        "items": [
            {
                "id": i.id,
                "position": i.position,
                "question": i.question,
                "answer": i.answer,
                "reference": i.reference,
                "ratings": ratings.get(i.id, []),
            }
            for i in items
        ],
    }
