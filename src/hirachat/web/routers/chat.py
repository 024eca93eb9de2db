"""Chat: ask in Korean, the answer streams in (server-sent events) with its sources; conversation history.

Events: ``meta`` (conversation id), ``delta`` (text to append), ``replace`` (text that replaces everything
shown: a model answer withdrawn for the grounded one), ``done`` (the answer with sources, stored message
id), ``error``. Everything is stored when the answer is complete.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from hirachat.answer.stream import Replace
from hirachat.web import schemas as S
from hirachat.web.answers import SERVING
from hirachat.web.models import Conversation, Message, Rating, User
from hirachat.web.routers.common import clean_question, drain, generation, sse
from hirachat.web.security import DB, CurrentUser
from hirachat.web.services import rating_view

router = APIRouter(prefix="/api", tags=["chat"])
log = logging.getLogger("hirachat.web")


class ChatRequest(BaseModel):
    question: str = Field(..., min_length=1, max_length=20000)
    conversation_id: str | None = Field(None, max_length=36)
    model: str = Field(SERVING, max_length=64)
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1, le=1_000_000)


def _conversation(db: Session, user: User, cid: str | None, question: str) -> Conversation:
    if cid:
        conv = db.get(Conversation, cid)
        if conv is None or conv.user_id != user.id:
            raise HTTPException(404, f"conversation {cid} not found")
        return conv
    conv = Conversation(id=str(uuid.uuid4()), user_id=user.id, title=question[:200])
    db.add(conv)
    db.commit()
    return conv


def store_message(
    request: Request, conv_id: str, result: dict[str, Any], body: ChatRequest, max_tokens: int | None
) -> int:
    meta = {
        k: result.get(k)
        for k in (
            "sources",
            "interpretation",
            "notes",
            "figures",
            "kind",
            "context",
            "data_version",
            "display",
            "table",
            "qtype",
            "query",
            "reason",
            "fallback_reason",
            "latency_ms",
            "generated_tokens",
            "similar",
            "choices",
            "model",
        )
    }
    with request.app.state.sessions() as db:
        msg = Message(
            conversation_id=conv_id,
            question=result["question"],
            answer=result["answer"],
            engine=result["engine"],
            abstained=bool(result["abstained"]),
            meta=meta,
            temperature=body.temperature,
            max_tokens=max_tokens,
        )
        db.add(msg)
        db.commit()
        return msg.id


@router.post("/chat", response_class=StreamingResponse)
def chat(body: ChatRequest, request: Request, user: CurrentUser, db: DB) -> StreamingResponse:
    state = request.app.state
    question = clean_question(body.question, state.cfg.serve)
    if body.model not in state.answerer.engines:
        raise HTTPException(
            404, f"unknown model {body.model!r}; available: {', '.join(state.answerer.models)}"
        )
    conv = _conversation(db, user, body.conversation_id, question)
    gen = generation(state.cfg.serve, body.temperature, body.max_tokens)
    last = db.scalar(
        select(Message).where(Message.conversation_id == conv.id).order_by(Message.id.desc()).limit(1)
    )
    context = (last.meta or {}).get("context") if last is not None else None  # where the conversation stands
    history = (
        list(
            db.scalars(
                select(Message.question).where(Message.conversation_id == conv.id).order_by(Message.id)
            )
        )
        if last is not None and context is None  # a conversation stored before turns kept their context
        else []
    )

    async def events() -> AsyncIterator[str]:
        yield sse({"conversation_id": conv.id}, "meta")
        try:
            async for ev in drain(
                request, state.answerer.stream(question, body.model, gen, history, context), gen
            ):
                if isinstance(ev, Replace):
                    yield sse({"text": ev.text}, "replace")
                elif isinstance(ev, str):
                    yield sse({"text": ev}, "delta")
                else:
                    state.metrics.answered(ev, "chat")
                    ev["message_id"] = await anyio.to_thread.run_sync(
                        store_message, request, conv.id, ev, body, gen.max_new_tokens
                    )
                    state.question_log.record(ev, "chat", user.id, ev["message_id"])
                    ev["conversation_id"] = conv.id
                    yield sse(ev, "done")
        except Exception as exc:  # the stream has started: report in-band
            log.exception("chat answer failed")
            yield sse({"detail": f"answer failed: {type(exc).__name__}"}, "error")

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


@router.get("/models", response_model=list[S.ChatModel])
def models(request: Request, user: CurrentUser) -> list[dict[str, Any]]:
    """The models the chat can use and their engine (the UI hides sampling controls for ``grounded``)."""
    engines = request.app.state.answerer.engines
    return [{"id": name, "engine": getattr(e, "name", "grounded")} for name, e in engines.items()]


@router.get("/conversations", response_model=list[S.ConversationOut])
def conversations(user: CurrentUser, db: DB) -> list[dict[str, Any]]:
    rows = db.scalars(
        select(Conversation)
        .where(Conversation.user_id == user.id)
        .order_by(Conversation.created_at.desc())
        .limit(100)
    )
    return [{"id": c.id, "title": c.title, "created_at": c.created_at.isoformat()} for c in rows]


@router.get("/conversations/{cid}", response_model=S.ConversationDetail)
def conversation(cid: str, user: CurrentUser, db: DB) -> dict[str, Any]:
    conv = db.get(Conversation, cid)
    if conv is None or conv.user_id != user.id:
        raise HTTPException(404, f"conversation {cid} not found")
    msgs = list(db.scalars(select(Message).where(Message.conversation_id == cid).order_by(Message.id)))
    mine = {
        r.message_id: rating_view(r)
        for r in db.scalars(
            select(Rating).where(Rating.user_id == user.id, Rating.message_id.in_([m.id for m in msgs]))
        )
    }
    return {
        "id": conv.id,
        "title": conv.title,
        "messages": [
            {
                "id": m.id,
                "question": m.question,
                "answer": m.answer,
                "engine": m.engine,
                "abstained": m.abstained,
                "sources": m.meta.get("sources") or [],
                "interpretation": m.meta.get("interpretation") or "",
                "notes": m.meta.get("notes") or [],
                "data_version": m.meta.get("data_version"),
                "display": m.meta.get("display"),
                "choices": m.meta.get("choices") or [],
                "rating": mine.get(m.id),  # the evaluator's own rating: shown, revised, never doubled
                "created_at": m.created_at.isoformat(),
            }
            for m in msgs
        ],
    }
