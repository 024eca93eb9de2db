"""Helpers the routers share: request limits, server-sent events, running a stream off the event loop."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import HTTPException, Request
from fastapi import Path as PathParam

from hirachat.answer.engines import Generation
from hirachat.config import ServeConfig

T = TypeVar("T")
MAX_ID = 2**31 - 1  # ids fit a 32-bit INTEGER column on every database
RowId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
CLIENT_ID = r"^[A-Za-z0-9_.:-]{8,64}$"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_END = object()


def clean_question(text: str, serve: ServeConfig) -> str:
    """NFC, control characters removed, length checked (422 with the limit)."""
    q = _CONTROL.sub("", unicodedata.normalize("NFC", text)).strip()
    if not q:
        raise HTTPException(422, "question is empty")
    if len(q) > serve.max_question_chars:
        raise HTTPException(422, f"question is {len(q)} characters; the limit is {serve.max_question_chars}")
    return q


def generation(serve: ServeConfig, temperature: float | None, max_tokens: int | None) -> Generation:
    """Per-request settings, max_tokens capped at serve.max_tokens_cap."""
    cap = serve.max_tokens_cap
    return Generation(temperature=temperature, max_new_tokens=min(max_tokens, cap) if max_tokens else None)


def sse(data: Any, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data, ensure_ascii=False)}\n\n"


async def drain(request: Request, it: Iterator[T], gen: Generation) -> AsyncIterator[T]:
    """Items of a blocking iterator, each fetched in a worker thread. If the client goes away (the
    response is cancelled) the generation is told to stop."""
    finished = False
    try:
        while True:
            item = await anyio.to_thread.run_sync(next, it, _END)
            if item is _END:
                finished = True
                return
            yield item  # type: ignore[misc]
            if await request.is_disconnected():
                return
    finally:
        if not finished:
            gen.cancel.set()
            request.app.state.metrics.cancelled.inc()
