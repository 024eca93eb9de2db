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
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from hirachat.answer.cards import fact_cards
from hirachat.answer.query import Answer
from hirachat.config import InferenceConfig
from hirachat.errors import ConfigError
from hirachat.grounding import missing_figures, ungrounded
from hirachat.numbers import format_number
from hirachat.prompt import chat_messages, solar_prompt

MAX_CARDS = 40


@dataclass
class Written:
    text: str
    engine: str
    fallback_reason: str | None = None
    generated_tokens: int | None = None


class Engine(Protocol):
    name: str

    def write(self, ans: Answer) -> Written: ...


class GroundedEngine:
    name = "grounded"

    def write(self, ans: Answer) -> Written:
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

    def _complete(self, messages: list[dict[str, str]]) -> tuple[str, int | None]:
        body = json.dumps(
            {
                "model": self.cfg.model,
                "messages": messages,
                "temperature": self.cfg.temperature,
                "top_p": self.cfg.top_p,
                "max_tokens": self.cfg.max_new_tokens,
            }
        ).encode("utf-8")
        req = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
        key = os.environ.get(self.cfg.api_key_env)
        if key:
            req.add_header("Authorization", f"Bearer {key}")
        with urllib.request.urlopen(req, timeout=self.cfg.timeout_s) as resp:
            data = json.loads(resp.read().decode("utf-8"))
        usage = data.get("usage") or {}
        return str(data["choices"][0]["message"]["content"]), usage.get("completion_tokens")

    def write(self, ans: Answer) -> Written:
        if ans.abstained or not ans.facts:
            return Written(ans.answer, "grounded")
        cards = fact_cards(ans.facts)[:MAX_CARDS] + figure_cards(ans)
        try:
            text, tokens = self._complete(chat_messages(ans.question, cards))
        except (urllib.error.URLError, TimeoutError, OSError, KeyError, ValueError) as exc:
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
        self.tokenizer.padding_side = "left"  # generation continues from the right end of every row
        ids = self.tokenizer(prompts, return_tensors="pt", padding=True).to(self.model.device)
        sample = self.cfg.temperature > 0
        t0 = time.perf_counter()
        with torch.no_grad():
            out = self.model.generate(
                **ids,
                max_new_tokens=self.cfg.max_new_tokens,
                do_sample=sample,
                temperature=self.cfg.temperature if sample else None,
                top_p=self.cfg.top_p if sample else None,
                pad_token_id=self.tokenizer.pad_token_id,
                eos_token_id=self.tokenizer.eos_token_id,
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

    def write(self, ans: Answer) -> Written:
        if ans.abstained or not ans.facts:
            return Written(ans.answer, "grounded")
        text, tokens = self.generate(
            solar_prompt(ans.question, fact_cards(ans.facts)[:MAX_CARDS] + figure_cards(ans))
        )
        return checked(text, ans, self.name, tokens)


def checked(text: str, ans: Answer, engine: str, tokens: int | None) -> Written:
    """A model's text if every number in it is grounded; otherwise the grounded answer, with the reason."""
    problem = ungrounded(text.split("출처:")[0], ans.facts, ans.derived, ans.extra, ans.strip)
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
