"""Answer engines: who writes the final text.

``grounded``: the deterministic answer from the planner (always available; the default with no LLM).
``local``: the base model with a LoRA adapter (merged or not), loaded from local folders (transformers +
PEFT), generating through ``hirachat.model.generate`` (static KV cache, compiled decoding on CUDA).
``openai``: any OpenAI-compatible chat endpoint (vLLM serving SOLAR + LoRA, say; docs/serving.md), through
the official ``openai`` client, writes the answer from the retrieved facts only; the numeric grounding check then verifies every number it wrote, and on any
problem (an unsupported number, an error, a timeout) the grounded answer is used and the reason kept.
Abstentions are never handed to a model: "no data" stays exactly that.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from hirachat.config import InferenceConfig
from hirachat.errors import ConfigError, HiraChatError
from hirachat.grounding import missing_figures, ungrounded
from hirachat.numbers import format_number
from hirachat.prompt import chat_messages, solar_prompt
from hirachat.query.cards import fact_cards
from hirachat.query.model import Answer
from hirachat.query.reply import CITE, Reply, prose

MAX_CARDS = 40


@dataclass
class Written:
    text: str
    engine: str
    fallback_reason: str | None = None
    generated_tokens: int | None = None


@dataclass
class Generation:
    """A running generation: set ``cancel`` to stop it; ``tokens`` counts the tokens generated so far."""

    cancel: threading.Event = field(default_factory=threading.Event)
    tokens: int = 0
    temperature: float | None = None  # per-request settings over the inference section's
    max_new_tokens: int | None = None

    def settings(self, cfg: InferenceConfig) -> tuple[float, int]:
        t = cfg.temperature if self.temperature is None else self.temperature
        return t, cfg.max_new_tokens if self.max_new_tokens is None else self.max_new_tokens


class Engine(Protocol):
    name: str

    def write(self, ans: Answer, gen: Generation | None = None) -> Written: ...


@runtime_checkable
class StreamingEngine(Engine, Protocol):
    """An engine that can also release its text as it is generated (the local model, a streaming endpoint).
    Errors while streaming are the engine's exceptions; the caller falls back to the grounded answer."""

    def stream_text(self, ans: Answer, gen: Generation) -> Iterator[str]: ...


class GroundedEngine:
    name = "grounded"

    def write(self, ans: Answer, gen: Generation | None = None) -> Written:
        return Written(ans.answer, self.name)


def figure_cards(ans: Answer) -> list[str]:
    """The computed figures (sums, differences, rates) as cards, so a model can state them exactly."""
    names = {
        "sum": "합계",
        "diff": "차이",
        "ratio": "비율",
        "pct_change": "증감률(%)",
        "share": "비중(%)",
        "count": "개수",
    }
    return [f"계산값 | {names[d['op']]} {format_number(d['value'])}" for d in ans.derived if d["op"] in names]


class EndpointError(HiraChatError):
    """The model endpoint failed: unreachable, timed out, an HTTP error after retries, a malformed reply."""


# what a failing model endpoint raises: the client's errors (wrapped), a reply of an unexpected shape
ENDPOINT_ERRORS = (EndpointError, TimeoutError, OSError, KeyError, ValueError, IndexError)


class OpenAIEngine:
    """Any OpenAI-compatible server, through the official ``openai`` client (timeouts, retries with
    backoff, server-sent events). Closing a stream closes its connection: vLLM then stops generating."""

    name = "openai"

    def __init__(self, cfg: InferenceConfig) -> None:
        if not cfg.endpoint or not cfg.model:
            raise ConfigError("inference.endpoint and inference.model must be set to use the openai engine")
        from openai import OpenAI

        self.cfg = cfg
        self.client = OpenAI(
            base_url=cfg.endpoint.rstrip("/"),
            api_key=os.environ.get(cfg.api_key_env) or "none",  # servers without keys ignore it
            timeout=cfg.timeout_s,
            max_retries=cfg.max_retries,
        )

    def _params(self, ans: Answer, gen: Generation) -> dict[str, Any]:
        from hirachat.model.serving import stops

        temperature, max_tokens = gen.settings(self.cfg)
        cards = fact_cards(ans.facts)[:MAX_CARDS] + figure_cards(ans)
        params: dict[str, Any] = {
            "model": self.cfg.model,
            "messages": chat_messages(ans.question, cards),
            "temperature": temperature,
            "top_p": self.cfg.top_p,
            "max_tokens": max_tokens,
        }
        if stop := stops(self.cfg):
            params["stop"] = list(stop)
        return params

    def complete(self, ans: Answer, gen: Generation) -> tuple[str, int | None]:
        """The endpoint's text (unchecked) and its count of generated tokens."""
        import openai

        try:
            resp = self.client.chat.completions.create(**self._params(ans, gen))
        except openai.OpenAIError as exc:
            raise EndpointError(str(exc)) from exc
        if not resp.choices or resp.choices[0].message.content is None:
            raise EndpointError("the endpoint returned no text")
        return resp.choices[0].message.content, resp.usage.completion_tokens if resp.usage else None

    def stream_text(self, ans: Answer, gen: Generation) -> Iterator[str]:
        """The endpoint's answer as it streams. Setting ``gen.cancel`` (or closing this iterator) closes the
        connection; ``gen.tokens`` counts deltas, then takes the server's own count when it sends one."""
        import openai

        try:
            stream = self.client.chat.completions.create(
                **self._params(ans, gen), stream=True, stream_options={"include_usage": True}
            )
            with stream:
                for chunk in stream:
                    if gen.cancel.is_set():
                        return
                    if chunk.usage is not None and chunk.usage.completion_tokens:
                        gen.tokens = chunk.usage.completion_tokens
                    piece = chunk.choices[0].delta.content if chunk.choices else None
                    if piece:
                        gen.tokens += 1
                        yield piece
        except openai.OpenAIError as exc:
            raise EndpointError(str(exc)) from exc

    def write(self, ans: Answer, gen: Generation | None = None) -> Written:
        if not needs_model(ans):
            return Written(ans.answer, "grounded")
        try:
            text, tokens = self.complete(ans, gen or Generation())
        except ENDPOINT_ERRORS as exc:
            return Written(ans.answer, "grounded", f"model endpoint failed: {exc}")
        return checked(text, ans, self.name, tokens)


class LocalEngine:
    """SOLAR (or the tiny stand-in) with a LoRA adapter, from local folders: static-cache generation,
    compiled on CUDA (``hirachat.model.generate``); the base is shared with other local engines."""

    name = "local"

    def __init__(self, cfg: InferenceConfig, base: Path) -> None:
        from hirachat.model.serving import local_model

        self.cfg = cfg
        self.generator, self.adapter = local_model(base, cfg)
        self.tokenizer = self.generator.tokenizer

    def generate_batch(
        self, prompts: list[str], temperature: float | None = None
    ) -> tuple[list[tuple[str, int]], float]:
        """Generate for several prompts at once (left-padded): [(text, generated tokens)], ms to the first token."""
        from hirachat.model.serving import sampling

        res = self.generator.generate(prompts, sampling(self.cfg, temperature), adapter=self.adapter)
        return [(o.text.strip(), o.tokens) for o in res.outputs], res.ttft_ms

    def generate_timed(self, prompt: str) -> tuple[str, int, float]:
        """(text, generated tokens, milliseconds to the first token) for one prompt."""
        ((text, n),), ttft = self.generate_batch([prompt])
        return text, n, ttft

    def generate(self, prompt: str) -> tuple[str, int]:
        text, tokens, _ = self.generate_timed(prompt)
        return text, tokens

    def stream(self, prompt: str, gen: Generation) -> Iterator[str]:
        """The generated text as it is produced; ``gen.cancel`` stops generation, ``gen.tokens`` counts."""
        from hirachat.model.serving import sampling

        def count(n: int) -> None:
            gen.tokens = n

        settings = sampling(self.cfg, *gen.settings(self.cfg))
        yield from self.generator.stream(prompt, settings, gen.cancel, self.adapter, count)

    def stream_text(self, ans: Answer, gen: Generation) -> Iterator[str]:
        return self.stream(engine_prompt(ans), gen)

    def write(self, ans: Answer, gen: Generation | None = None) -> Written:
        if not needs_model(ans):
            return Written(ans.answer, "grounded")
        if gen is not None:  # per-request settings: the streaming path, collected
            text = "".join(self.stream(engine_prompt(ans), gen)).strip()
            return checked(text, ans, self.name, gen.tokens)
        text, tokens = self.generate(engine_prompt(ans))
        return checked(text, ans, self.name, tokens)


def needs_model(ans: Answer) -> bool:
    """Whether a model phrases this answer: not an abstention, not an answer without facts (a definition,
    a master lookup), which are the planner's own text on every engine."""
    return not ans.abstained and bool(ans.facts)


def guarded(text: str, ans: Answer, engine: str, tokens: int | None) -> Written:
    """What a model's text for ``ans`` becomes on every surface (serving, streaming, evaluation): the
    planner's text where no model phrases it, else the model's text if it passes the grounding check."""
    if not needs_model(ans):
        return Written(ans.answer, "grounded")
    return checked(text, ans, engine, tokens)


def engine_prompt(ans: Answer) -> str:
    """The SOLAR prompt for an answer: the question with its fact cards and computed figures."""
    return solar_prompt(ans.question, fact_cards(ans.facts)[:MAX_CARDS] + figure_cards(ans))


def ungrounded_in(text: str, ans: Answer) -> str | None:
    """The first number in a model's text (before its source line) that the answer's facts do not hold."""
    return ungrounded(prose(text), ans.facts, ans.derived, ans.extra, ans.strip)


def checked(text: str, ans: Answer, engine: str, tokens: int | None) -> Written:
    """A model's text if every number in it is grounded; otherwise the grounded answer, with the reason."""
    problem = ungrounded_in(text, ans)
    missing = missing_figures(text, ans.reply.headline, ans.facts, ans.strip)
    if problem or missing:
        why = problem or f"it leaves out {', '.join(missing)}"
        return Written(ans.answer, "grounded", f"model answer failed the grounding check: {why}", tokens)
    if CITE not in text:  # the model wrote no source line: the answer's own citation follows its prose
        text = Reply(text.strip(), citation=ans.reply.citation).render()
    return Written(text.strip(), engine, None, tokens)


def make_engine(name: str, cfg: InferenceConfig, base: Path | None = None) -> Engine:
    if name == "grounded":
        return GroundedEngine()
    if name == "openai":
        return OpenAIEngine(cfg)
    if name == "local":
        if base is None:
            raise ConfigError("the local engine needs paths.base_model")
        return LocalEngine(cfg, base)
    raise ConfigError(f"unknown engine {name!r} (grounded, local or openai)")
