"""Streaming an answer: text is released as it is written, but never a number the facts do not hold.

The grounded engine writes the whole text first; it is then released in small pieces. A model's text (the
local model's tokens, a streaming endpoint's deltas) is released sentence by sentence: each sentence passes
the numeric grounding check before anyone sees it. When a sentence fails (or the finished text misses a headline figure), the
generation is stopped and a ``Replace`` carries the grounded answer instead. Setting ``gen.cancel`` (the
client went away) stops the model at its next token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from hirachat.answer.engines import (
    ENDPOINT_ERRORS,
    Engine,
    Generation,
    StreamingEngine,
    Written,
    checked,
    needs_model,
    ungrounded_in,
)
from hirachat.query.model import Answer
from hirachat.query.reply import CITE

_PIECE = re.compile(r"\S+\s*|\s+")
_BOUNDARY = re.compile(r"(?<=[.!?。])\s+|\n")


@dataclass
class Replace:
    """Everything released so far is withdrawn; this text (the grounded answer) stands instead."""

    text: str


Event = str | Replace | Written  # text delta, replacement, and finally what was written


def pieces(text: str) -> Iterator[str]:
    """A finished text in word-sized pieces (whitespace kept), so it can be streamed."""
    for m in _PIECE.finditer(text):
        yield m.group(0)


class SentenceGate:
    """Holds a model's text back until each sentence's numbers are grounded in the answer's facts."""

    def __init__(self, ans: Answer) -> None:
        self.ans = ans
        self.buffer = ""
        self.released = ""
        self.sources_started = False
        self.problem: str | None = None

    def feed(self, text: str) -> str:
        """Add generated text; return the newly releasable part ("" while a sentence is pending)."""
        self.buffer += text
        out = ""
        while self.problem is None:
            m = _BOUNDARY.search(self.buffer)
            if not m:
                break
            sentence, self.buffer = self.buffer[: m.end()], self.buffer[m.end() :]
            if not self.sources_started:  # the source line names years and table ids: not checked
                self.problem = ungrounded_in(sentence, self.ans)
                self.sources_started = CITE in sentence
                if self.problem:
                    break
            out += sentence
        self.released += out
        return out


def stream_answer(engine: Engine, ans: Answer, gen: Generation) -> Iterator[Event]:
    """Deltas (and at most one Replace) for the answer's text, then the Written it amounts to."""
    if not isinstance(engine, StreamingEngine) or not needs_model(ans):
        written = engine.write(ans, gen)
        for p in pieces(written.text):
            if gen.cancel.is_set():
                break
            yield p
        yield written
        return
    gate = SentenceGate(ans)
    text, failure = "", None
    try:
        for delta in engine.stream_text(ans, gen):
            text += delta
            out = gate.feed(delta)
            if out:
                yield out
            if gate.problem:
                gen.cancel.set()  # stop generating: the answer will be the grounded one
                break
    except ENDPOINT_ERRORS as exc:
        failure = f"model endpoint failed: {exc}"
    if gate.problem or failure:
        why = failure or f"model answer failed the grounding check: {gate.problem}"
        written = Written(ans.answer, "grounded", why, gen.tokens)
    else:
        written = checked(text, ans, engine.name, gen.tokens)
    if written.text.startswith(gate.released):
        rest = written.text[len(gate.released) :]
        if rest:
            yield rest
    else:
        yield Replace(written.text)
    yield written
