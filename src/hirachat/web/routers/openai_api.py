"""OpenAI-compatible API: ``GET /v1/models`` and ``POST /v1/chat/completions`` (``stream: true`` as
server-sent events), so the official ``openai`` client and tools built on it work unchanged.

The question is the last user message; the answer comes from the same grounded pipeline as the web chat
(sources and abstention in an extra ``hirachat`` field). Errors use OpenAI's ``{"error": {...}}`` shape.
Token counts are the model's own; for the grounded engine they are whitespace pieces (approximate).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from hirachat.answer.stream import Replace
from hirachat.web import schemas as S
from hirachat.web.models import User
from hirachat.web.routers.common import clean_question, drain, generation, sse
from hirachat.web.security import DB, presented_token, user_for_token

router = APIRouter(prefix="/v1", tags=["openai"])
log = logging.getLogger("hirachat.web")
REPLACED = "\n\n[검증 결과 자료 기반 답변으로 대체합니다]\n"


class TextPart(BaseModel):
    type: Literal["text"]
    text: str = Field(..., max_length=20000)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None


class StreamOptions(BaseModel):
    include_usage: bool = False


class CompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # other OpenAI parameters are accepted and ignored
    model: str = Field(..., min_length=1, max_length=64)
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=100)
    stream: bool = False
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    n: int = Field(1, ge=1, le=1, description="Only one choice is supported.")
    stream_options: StreamOptions | None = None


def api_user(request: Request, db: DB) -> User | None:
    user = user_for_token(db, presented_token(request))
    if user is None and request.app.state.cfg.serve.api_requires_token:
        raise HTTPException(401, "a valid API key is required (Authorization: Bearer <token>)")
    if user is not None:
        request.state.user = user.username
    return user


def _question(messages: list[ChatMessage]) -> str:
    for m in reversed(messages):
        if m.role == "user" and m.content:
            return m.content if isinstance(m.content, str) else "".join(p.text for p in m.content)
    raise HTTPException(400, "messages must contain a user message with text content")


def _history(messages: list[ChatMessage]) -> list[str]:
    """The user's earlier questions: a follow-up ("그럼 부산은?") is read against them."""
    users = [m for m in messages if m.role == "user" and m.content]
    return [
        m.content if isinstance(m.content, str) else "".join(p.text for p in m.content or [])
        for m in users[:-1]
    ]


def _pieces(text: str) -> int:
    return len(text.split())


ApiUser = Annotated[User | None, Depends(api_user)]


@router.get("/models", response_model=S.ModelList)
def models(request: Request, user: ApiUser) -> dict[str, Any]:
    created = request.app.state.started
    return {
        "object": "list",
        "data": [
            {"id": m, "object": "model", "created": created, "owned_by": "hira-chat"}
            for m in request.app.state.answerer.models
        ],
    }


@router.post(
    "/chat/completions",
    response_model=None,
    responses={
        200: {"model": S.ChatCompletion, "description": "the answer (`stream`: text/event-stream chunks)"}
    },
)
async def completions(
    body: CompletionRequest, request: Request, user: ApiUser
) -> dict[str, Any] | StreamingResponse:
    state = request.app.state
    if body.model not in state.answerer.engines:
        raise HTTPException(
            404, f"model {body.model!r} not found; available: {', '.join(state.answerer.models)}"
        )
    question = clean_question(_question(body.messages), state.cfg.serve)
    history = _history(body.messages)
    gen = generation(state.cfg.serve, body.temperature, body.max_completion_tokens or body.max_tokens)
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    head = {"id": cid, "created": created, "model": body.model}
    if not body.stream:
        res = await anyio.to_thread.run_sync(state.answerer.answer, question, body.model, gen, history)
        state.metrics.answered(res, "api")
        state.question_log.record(res, "api", user.id if user else None)
        return head | {
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": res["answer"]},
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(question, res),
            "hirachat": _extra(res),
        }

    def chunk(delta: dict[str, Any], finish: str | None = None, **more: Any) -> str:
        c = {"index": 0, "delta": delta, "finish_reason": finish}
        return sse(head | {"object": "chat.completion.chunk", "choices": [c]} | more)

    async def events() -> AsyncIterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        shown = ""
        try:
            async for ev in drain(request, state.answerer.stream(question, body.model, gen, history), gen):
                if isinstance(ev, Replace):
                    yield chunk({"content": REPLACED + ev.text})
                    shown += REPLACED + ev.text
                elif isinstance(ev, str):
                    shown += ev
                    yield chunk({"content": ev})
                else:
                    yield from_result(ev, shown)
                    if body.stream_options and body.stream_options.include_usage:
                        usage = {
                            "object": "chat.completion.chunk",
                            "choices": [],
                            "usage": _usage(question, ev),
                        }
                        yield sse(head | usage)
        except Exception as exc:  # the stream has started: report in-band, in OpenAI's error shape
            log.exception("completion stream failed")
            yield sse({"error": {"message": f"answer failed: {type(exc).__name__}", "type": "server_error"}})
        yield "data: [DONE]\n\n"

    def from_result(ev: dict[str, Any], shown: str) -> str:
        """The last content (hints appended after a "no data") and the finishing chunk with sources."""
        state.metrics.answered(ev, "api")
        state.question_log.record(ev, "api", user.id if user else None)
        rest = ev["answer"][len(shown) :] if ev["answer"].startswith(shown) else ""
        return (chunk({"content": rest}) if rest else "") + chunk({}, "stop", hirachat=_extra(ev))

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


def _usage(question: str, res: dict[str, Any]) -> dict[str, int]:
    out = int(res.get("generated_tokens") or _pieces(res["answer"]))
    inp = _pieces(question)
    return {"prompt_tokens": inp, "completion_tokens": out, "total_tokens": inp + out}


def _extra(res: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "abstained",
        "kind",
        "interpretation",
        "notes",
        "figures",
        "engine",
        "table",
        "sources",
        "reason",
        "fallback_reason",
        "latency_ms",
        "data_version",
    )
    out = {k: res.get(k) for k in keys if res.get(k) is not None}
    if res.get("choices"):
        out["clarify"] = res["choices"]  # the choices of a question back; the message text lists them too
    return out
