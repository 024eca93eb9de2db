"""What generation writes: its settings, its outputs, stop strings, and the text a row may show so far.

Stop strings default to the prompt template's turn headers (``### User:`` ...): a model that goes on past
its answer starts writing the next turn, and nothing from there on is part of the answer. While streaming,
text is held back when it ends in an incomplete character or in what may become a stop string.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hirachat.prompt import solar_prompt

# the template's turn headers ("### User:" ...): text after one of them is a turn the model should not write
TEMPLATE_STOPS: tuple[str, ...] = tuple(dict.fromkeys(re.findall(r"^### \w+:", solar_prompt(""), re.M)))


@dataclass(frozen=True)
class Sampling:
    """How to generate: greedy at temperature 0, else sampling with top-p."""

    max_new_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    stop: tuple[str, ...] = TEMPLATE_STOPS
    ignore_eos: bool = False  # benchmarks: always generate max_new_tokens


@dataclass
class Output:
    text: str  # the generated text, cut before a stop string, special tokens removed
    tokens: int  # tokens generated (the end-of-sequence token counted)
    finish: str  # eos | stop | length | cancelled


def releasable(text: str, stops: Sequence[str]) -> int:
    """How much of ``text`` can be shown: not a trailing partial character, nor the start of a stop string."""
    head = text.rstrip("\ufffd")  # an incomplete multi-byte character decodes as U+FFFD
    hold = max((k for s in stops for k in range(1, len(s)) if head.endswith(s[:k])), default=0)
    return len(head) - hold


def cut_at_stop(text: str, stops: Sequence[str]) -> int | None:
    """Where the first stop string begins in ``text``, if any."""
    found = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return min(found) if found else None


class Row:
    """One sequence's generated tokens and text; decides when it is finished."""

    def __init__(self, tokenizer: Any, sampling: Sampling, eos: int | None) -> None:
        self.tok, self.s, self.eos = tokenizer, sampling, eos
        self.ids: list[int] = []
        self.text = ""
        self.finish: str | None = None
        self.released = 0

    def add(self, new: list[int]) -> None:
        before = len(self.ids)
        for t in new:
            if self.finish is not None:
                break
            self.ids.append(t)
            if t == self.eos and not self.s.ignore_eos:
                self.finish = "eos"
            elif len(self.ids) >= self.s.max_new_tokens:
                self.finish = "length"
        self.text = self._decode(len(self.ids))
        if cut_at_stop(self.text, self.s.stop) is None:
            return
        # several tokens may have come at once: count only up to the one that completed the stop string
        n = next(
            n
            for n in range(before + 1, len(self.ids) + 1)
            if cut_at_stop(self._decode(n), self.s.stop) is not None
        )
        del self.ids[n:]
        text = self._decode(n)
        self.text, self.finish = text[: cut_at_stop(text, self.s.stop)], "stop"

    def _decode(self, n: int) -> str:
        return str(self.tok.decode(self.ids[:n], skip_special_tokens=True))

    def release(self, final: bool) -> str:
        """The text not yet released that can be now (all of it once the row is finished)."""
        end = len(self.text) if final else releasable(self.text, self.s.stop)
        out = self.text[self.released : end] if end > self.released else ""
        self.released = max(self.released, end)
        return out
