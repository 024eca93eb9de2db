"""Answer engines: who writes the final text.

``grounded``: the deterministic answer from the planner (always available; the default with no LLM).
``local``: the base model with a LoRA adapter, loaded from local folders (transformers + PEFT).
``openai``: any OpenAI-compatible chat endpoint (vLLM serving SOLAR + LoRA, say) writes the answer from
the retrieved facts only; the numeric grounding check then verifies every number it wrote, and on any
problem (an unsupported number, an error, a timeout) the grounded answer is used and the reason kept.
Abstentions are never handed to a model: "no data" stays exactly that.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from hirachat.config import InferenceConfig
from hirachat.errors import ConfigError
from hirachat.grounding import missing_figures, ungrounded
from hirachat.numbers import format_number
from hirachat.prompt import chat_messages, solar_prompt
from hirachat.query.cards import fact_cards
from hirachat.query.model import Answer

MAX_CARDS = 40
# what a failing model endpoint raises (network, timeout, a malformed reply)
ENDPOINT_ERRORS = (urllib.error.URLError, TimeoutError, OSError, KeyError, ValueError, IndexError)


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


class OpenAIEngine:
    name = "openai"

    def __init__(self, cfg: InferenceConfig) -> None:
        if not cfg.endpoint or not cfg.model:
            raise ConfigError("inference.endpoint and inference.model must be set to use the openai engine")
        self.url = cfg.endpoint.rstrip("/") + "/chat/completions"
        self.cfg = cfg

    def _request(self, ans: Answer, gen: Generation, stream: bool) -> urllib.request.Request:
        temperature, max_tokens = gen.settings(self.cfg)
        cards = fact_cards(ans.facts)[:MAX_CARDS] + figure_cards(ans)
        payload: dict[str, Any] = {
            "model": self.cfg.model,
            "messages": chat_messages(ans.question, cards),
            "temperature": temperature,
            "top_p": self.cfg.top_p,
            "max_tokens": max_tokens,
        }
        if stream:
            payload["stream"] = True
        body = json.dumps(payload).encode("utf-8")
        req = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
        key = os.environ.get(self.cfg.api_key_env)
        if key:
            req.add_header("Authorization", f"Bearer {key}")
        return req

    def _complete(self, ans: Answer, gen: Generation) -> tuple[str, int | None]:
        with urllib.request.urlopen(self._request(ans, gen, False), timeout=self.cfg.timeout_s) as resp:
            data = json.loads(resp.read().decode("utf-8"))
        usage = data.get("usage") or {}
        return str(data["choices"][0]["message"]["content"]), usage.get("completion_tokens")

    def stream_text(self, ans: Answer, gen: Generation) -> Iterator[str]:
        """The endpoint's answer as it streams (server-sent events). Setting ``gen.cancel`` closes the
        connection, which stops generation on servers such as vLLM."""
        with urllib.request.urlopen(self._request(ans, gen, True), timeout=self.cfg.timeout_s) as resp:
            for raw in resp:
                if gen.cancel.is_set():
                    return
                line = raw.decode("utf-8").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                choices = json.loads(data).get("choices") or []
                piece = choices[0].get("delta", {}).get("content") if choices else None
                if piece:
                    gen.tokens += 1
                    yield piece

    def write(self, ans: Answer, gen: Generation | None = None) -> Written:
        if ans.abstained or not ans.facts:
            return Written(ans.answer, "grounded")
        try:
            text, tokens = self._complete(ans, gen or Generation())
        except ENDPOINT_ERRORS as exc:
            return Written(ans.answer, "grounded", f"model endpoint failed: {exc}")
        return checked(text, ans, self.name, tokens)


class LocalEngine:
    """SOLAR (or the tiny stand-in) with a LoRA adapter, loaded from local folders, writes the answer."""

    name = "local"

    def __init__(self, cfg: InferenceConfig, base: Path) -> None:
        from peft import PeftModel

        from hirachat.model.load import load_model, load_tokenizer

        self.cfg = cfg
        self.tokenizer = load_tokenizer(base)
        model = load_model(base)
        if cfg.adapter is not None:
            model = PeftModel.from_pretrained(model, str(cfg.adapter), local_files_only=True)
        self.model = model.eval()
        self.lock = threading.Lock()

    def _sampling(self, temperature: float, max_new_tokens: int) -> dict[str, Any]:
        """generate() arguments: greedy at temperature 0, else sampling with top-p."""
        sample = temperature > 0
        return {
            "max_new_tokens": max_new_tokens,
            "do_sample": sample,
            "temperature": temperature if sample else None,
            "top_p": self.cfg.top_p if sample else None,
            "pad_token_id": self.tokenizer.pad_token_id,
            "eos_token_id": self.tokenizer.eos_token_id,
        }

    def generate_batch(self, prompts: list[str]) -> tuple[list[tuple[str, int]], float]:
        """Generate for several prompts at once (left-padded): [(text, generated tokens)], ms to the first token."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        class FirstToken(StoppingCriteria):
            def __init__(self) -> None:
                self.at: float | None = None

            def __call__(self, input_ids: Any, scores: Any, **kw: Any) -> Any:
                self.at = self.at or time.perf_counter()
                return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

        first = FirstToken()
        # one generation at a time per model (the tokenizer's padding side is shared)
        with self.lock, torch.no_grad():
            self.tokenizer.padding_side = "left"  # generation continues from the right end of every row
            ids = self.tokenizer(prompts, return_tensors="pt", padding=True).to(self.model.device)
            t0 = time.perf_counter()
            out = self.model.generate(
                **ids,
                **self._sampling(self.cfg.temperature, self.cfg.max_new_tokens),
                stopping_criteria=StoppingCriteriaList([first]),
            )
        ttft = ((first.at or time.perf_counter()) - t0) * 1000
        results = []
        for row in out[:, ids["input_ids"].shape[1] :]:
            eos = (row == self.tokenizer.eos_token_id).nonzero()
            n = int(eos[0, 0]) + 1 if len(eos) else int(row.shape[0])
            results.append((self.tokenizer.decode(row[:n], skip_special_tokens=True).strip(), n))
        return results, ttft

    def generate_timed(self, prompt: str) -> tuple[str, int, float]:
        """(text, generated tokens, milliseconds to the first token) for one prompt."""
        ((text, n),), ttft = self.generate_batch([prompt])
        return text, n, ttft

    def generate(self, prompt: str) -> tuple[str, int]:
        text, tokens, _ = self.generate_timed(prompt)
        return text, tokens

    def stream(self, prompt: str, gen: Generation) -> Iterator[str]:
        """The generated text as it is produced; ``gen.cancel`` stops generation, ``gen.tokens`` counts."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        class Cancelled(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kw: Any) -> Any:
                gen.tokens += 1
                done = gen.cancel.is_set()
                return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)

        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        ids = self.tokenizer([prompt], return_tensors="pt").to(self.model.device)
        kwargs = dict(
            **ids,
            **self._sampling(*gen.settings(self.cfg)),
            stopping_criteria=StoppingCriteriaList([Cancelled()]),
            streamer=streamer,
        )

        def run() -> None:
            with self.lock, torch.no_grad():
                self.model.generate(**kwargs)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        try:
            yield from streamer
        finally:
            gen.cancel.set()
            worker.join()

    def stream_text(self, ans: Answer, gen: Generation) -> Iterator[str]:
        return self.stream(engine_prompt(ans), gen)

    def write(self, ans: Answer, gen: Generation | None = None) -> Written:
        if ans.abstained or not ans.facts:
            return Written(ans.answer, "grounded")
        if gen is not None:  # per-request settings: the streaming path, collected
            text = "".join(self.stream(engine_prompt(ans), gen)).strip()
            return checked(text, ans, self.name, gen.tokens)
        text, tokens = self.generate(engine_prompt(ans))
        return checked(text, ans, self.name, tokens)


def engine_prompt(ans: Answer) -> str:
    """The SOLAR prompt for an answer: the question with its fact cards and computed figures."""
    return solar_prompt(ans.question, fact_cards(ans.facts)[:MAX_CARDS] + figure_cards(ans))


def ungrounded_in(text: str, ans: Answer) -> str | None:
    """The first number in a model's text (before its source line) that the answer's facts do not hold."""
    return ungrounded(text.split("출처:")[0], ans.facts, ans.derived, ans.extra, ans.strip)


def checked(text: str, ans: Answer, engine: str, tokens: int | None) -> Written:
    """A model's text if every number in it is grounded; otherwise the grounded answer, with the reason."""
    problem = ungrounded_in(text, ans)
    missing = missing_figures(text, ans.answer.split("\n")[0], ans.facts, ans.strip)
    if problem or missing:
        why = problem or f"it leaves out {', '.join(missing)}"
        return Written(ans.answer, "grounded", f"model answer failed the grounding check: {why}", tokens)
    if "출처" not in text:
        text = text.rstrip() + "\n" + ans.answer.split("\n")[-1]
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
