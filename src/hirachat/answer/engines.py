"""Answer engines: who writes the final text.

``grounded``: the deterministic answer from the planner (always available; the default with no LLM).
``openai``: any OpenAI-compatible chat endpoint (vLLM serving SOLAR + LoRA, say) writes the answer from
the retrieved facts only; the numeric grounding check then verifies every number it wrote, and on any
problem (an unsupported number, an error, a timeout) the grounded answer is used and the reason kept.
Abstentions are never handed to a model: "no data" stays exactly that.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from hirachat.answer.cards import fact_cards
from hirachat.answer.query import Answer
from hirachat.config import InferenceConfig
from hirachat.errors import ConfigError
from hirachat.grounding import ungrounded
from hirachat.numbers import format_number
from hirachat.prompt import chat_messages

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
        body = text.split("출처:")[0]
        problem = ungrounded(body, ans.facts, ans.derived, ans.extra, ans.strip)
        if problem:
            return Written(
                ans.answer, "grounded", f"model answer failed the grounding check: {problem}", tokens
            )
        if "출처" not in text:
            text = text.rstrip() + "\n" + ans.answer.split("\n")[-1]
        return Written(text.strip(), self.name, None, tokens)


def make_engine(name: str, cfg: InferenceConfig) -> Engine:
    if name == "grounded":
        return GroundedEngine()
    if name == "openai":
        return OpenAIEngine(cfg)
    raise ConfigError(f"unknown engine {name!r} (grounded or openai)")
