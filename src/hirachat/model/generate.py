"""Fast generation for the local engine: static KV cache, compiled decoding on CUDA, batches, streaming, stops.

Batch-1 decoding of a 10.7B model is bound by memory bandwidth: every token reads every weight once. What
keeps a plain ``model.generate`` far from that ceiling is per-token overhead (a growing cache reallocated,
hundreds of kernel launches from Python). Here the prompt is run once (eager), then each token is one call
of the model's forward on a preallocated ``StaticCache`` with fixed shapes, so on CUDA it is compiled with
``torch.compile(mode="reduce-overhead")``: one CUDA-graph replay per token. On the CPU the same loop runs
eagerly (no compiler needed). Shapes are bucketed (batch to a power of two, cache length to 256) so that a
handful of graphs serve every request.

One worker thread per loaded model runs every generation: CUDA graphs belong to the thread that recorded
them, and one model generates one batch at a time. Callers submit jobs and read results (or streamed text)
from a queue. Generation ends at end-of-sequence, at a stop string (by default the prompt template's turn
headers, which a model writes when it starts inventing the next turn), at ``max_new_tokens``, or when the
caller's ``cancel`` event is set.
"""

from __future__ import annotations

import inspect
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from hirachat.model.stops import TEMPLATE_STOPS, Output, Row, Sampling

__all__ = ["TEMPLATE_STOPS", "Generator", "Output", "Result", "Sampling"]

CACHE_BUCKET = 256  # compiled: static cache lengths are multiples of this (a few graphs serve all lengths)
EAGER_BUCKET = 32  # eager: close to the length needed (attention reads the whole cache every token)
MAX_CACHES = 4  # static caches kept for reuse (fixed addresses let CUDA graphs replay)
_END = object()
T = TypeVar("T")


@dataclass
class Result:
    outputs: list[Output]
    ttft_ms: float  # until the first token of every row was known
    total_ms: float


@dataclass
class _Job:
    prompts: list[list[int]]
    sampling: Sampling
    cancel: threading.Event
    adapter: str | None = None
    on_text: Callable[[str], None] | None = None  # row 0's releasable text, as it comes (streaming)
    on_tokens: Callable[[int], None] | None = None  # row 0's token count so far
    sync_every: int = 8


class Generator:
    """Generation for one loaded model (a base, a merged model, or a PEFT model holding named adapters)."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        static_cache: bool = True,
        compile: bool = True,
        compile_cpu: bool = False,
    ) -> None:
        """``compile`` applies on CUDA (CUDA graphs); ``compile_cpu`` compiles on the CPU too (inductor, a
        C++ compiler, a minute per shape: for tests of the compiled path on machines without a GPU)."""
        import torch

        self.model, self.tokenizer = model.eval(), tokenizer
        self.device = next(model.parameters()).device
        self.static_cache = static_cache
        on_device = self.device.type == "cuda" or compile_cpu
        self.compiled = compile and static_cache and on_device
        self.eos = tokenizer.eos_token_id
        self.pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (self.eos or 0)
        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        params = inspect.signature(base.forward).parameters
        self._cache_kw = "cache" if "cache" in params else "past_key_values"  # transformers 5.x / 4.x
        self._cache_position = "cache_position" in params
        self._mode = "reduce-overhead" if self.device.type == "cuda" else "default"  # CUDA graphs on CUDA
        self._config = base.config
        self._caches: dict[tuple[int, int], Any] = {}
        self._forward: Any = None
        self._jobs: queue.Queue[Callable[[], None]] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._start_lock = threading.Lock()
        if self.compiled:
            torch._dynamo.config.cache_size_limit = max(torch._dynamo.config.cache_size_limit, 64)

    # ---- the worker thread -------------------------------------------------------------------------
    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the worker thread (after the jobs before it) and return its result."""
        box: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)

        def run() -> None:
            try:
                box.put((True, fn()))
            except BaseException as exc:  # handed to the caller, who raises it
                box.put((False, exc))

        self._submit(run)
        ok, value = box.get()
        if not ok:
            raise value
        return value

    def _submit(self, run: Callable[[], None]) -> None:
        with self._start_lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._serve, name="hirachat-generate", daemon=True)
                self._worker.start()
        self._jobs.put(run)

    def _serve(self) -> None:
        while True:
            self._jobs.get()()

    def set_model(self, model: Any) -> None:
        """Replace the model (a PEFT wrapper gained an adapter): compiled graphs are rebuilt."""

        def swap() -> None:
            self.model, self._forward = model.eval(), None

        self.call(swap)

    # ---- public calls --------------------------------------------------------------------------------
    def encode(self, prompts: Sequence[str]) -> list[list[int]]:
        return [list(x) for x in self.tokenizer(list(prompts))["input_ids"]]

    def generate(
        self,
        prompts: Sequence[str],
        sampling: Sampling,
        cancel: threading.Event | None = None,
        adapter: str | None = None,
    ) -> Result:
        """Every prompt at once (one batch, left-padded)."""
        job = _Job(self.encode(prompts), sampling, cancel or threading.Event(), adapter)
        return self.call(partial(self._run, job))

    def generate_sorted(
        self, prompts: Sequence[str], sampling: Sampling, batch_size: int, adapter: str | None = None
    ) -> list[Output]:
        """Many prompts in batches of similar length (less padding), answers in the original order."""
        ids = self.encode(prompts)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out: list[Output | None] = [None] * len(ids)
        for k in range(0, len(order), batch_size):
            part = order[k : k + batch_size]
            job = _Job([ids[i] for i in part], sampling, threading.Event(), adapter)
            res = self.call(partial(self._run, job))
            for i, o in zip(part, res.outputs, strict=True):
                out[i] = o
        return [o for o in out if o is not None]

    def stream(
        self,
        prompt: str,
        sampling: Sampling,
        cancel: threading.Event | None = None,
        adapter: str | None = None,
        on_tokens: Callable[[int], None] | None = None,
    ) -> Iterator[str]:
        """The text as it is generated (never a partial character or a stop string). Closing the iterator
        or setting ``cancel`` stops generation at the next token."""
        cancel = cancel or threading.Event()
        pieces: queue.Queue[Any] = queue.Queue(maxsize=4)  # a slow reader holds the model back

        def put(item: Any) -> None:
            while not cancel.is_set():
                try:
                    pieces.put(item, timeout=0.05)
                    return
                except queue.Full:
                    continue

        def run() -> None:
            try:
                self._run(job)
            except Exception as exc:
                put(exc)
            put(_END)

        job = _Job(self.encode([prompt]), sampling, cancel, adapter, put, on_tokens, sync_every=1)
        self._submit(run)
        try:
            while True:
                try:
                    item = pieces.get(timeout=0.05)
                except queue.Empty:
                    if cancel.is_set():
                        return
                    continue
                if item is _END:
                    return
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            cancel.set()

    # ---- the generation loop (worker thread only) ---------------------------------------------------
    def _run(self, job: _Job) -> Result:
        import torch

        peft_module = sys.modules.get("peft")  # only a model with adapters has imported PEFT
        peft = peft_module is not None and isinstance(self.model, peft_module.PeftModel)
        if peft and job.adapter is not None:
            self.model.set_adapter(job.adapter)
        ctx = self.model.disable_adapter() if peft and job.adapter is None else nullcontext()
        with torch.no_grad(), ctx:
            return self._loop(job)

    def _loop(self, job: _Job) -> Result:
        import torch

        t0 = time.perf_counter()
        s, dev = job.sampling, self.device
        real = len(job.prompts)
        rows = [Row(self.tokenizer, s, self.eos) for _ in range(real)]
        batch = 1 << (real - 1).bit_length() if self.compiled else real  # fewer shapes to compile
        prompts = job.prompts + [job.prompts[0]] * (batch - real)
        width = max(len(p) for p in prompts)
        ids = torch.full((batch, width), self.pad, dtype=torch.long)
        mask = torch.zeros((batch, width), dtype=torch.long)
        for i, p in enumerate(prompts):
            ids[i, width - len(p) :] = torch.tensor(p, dtype=torch.long)
            mask[i, width - len(p) :] = 1
        ids, mask = ids.to(dev), mask.to(dev)
        pos = (mask.cumsum(-1) - 1).clamp(min=0)
        done = torch.zeros(batch, dtype=torch.bool, device=dev)
        done[real:] = True

        cache: Any = None
        if self.static_cache:
            bucket = CACHE_BUCKET if self.compiled else EAGER_BUCKET
            length = -(-(width + s.max_new_tokens) // bucket) * bucket
            cache = self._cache(batch, length)
            full = torch.ones((batch, length), dtype=torch.long, device=dev)
            full[:, :width] = mask  # later positions: hidden by causality until they are written
            mask = full
        logits, cache = self._step(ids, mask, pos, cache, 0, prefill=True)
        nxt = pos[:, -1:] + 1
        written = width
        ttft: float | None = None
        chunk: list[Any] = []
        for step in range(s.max_new_tokens):
            tok = self._select(logits, s).masked_fill(done, self.pad)
            if not s.ignore_eos and self.eos is not None:
                done |= tok == self.eos
            chunk.append(tok)
            last = step == s.max_new_tokens - 1
            if step == 0 or len(chunk) >= job.sync_every or last:
                new = torch.stack(chunk, 1).tolist()  # the one synchronisation point
                chunk = []
                ttft = ttft if ttft is not None else time.perf_counter()
                for i, r in enumerate(rows):
                    if r.finish is None:
                        r.add(new[i])
                        if r.finish is not None:
                            done[i] = True
                if job.on_text is not None and (piece := rows[0].release(rows[0].finish is not None)):
                    job.on_text(piece)
                if job.on_tokens is not None:
                    job.on_tokens(len(rows[0].ids))
                if all(r.finish is not None for r in rows) or job.cancel.is_set():
                    break
            if last:
                break
            if not self.static_cache:
                mask = torch.cat([mask, torch.ones_like(mask[:, :1])], 1)
            logits, cache = self._step(tok[:, None], mask, nxt, cache, written)
            nxt, written = nxt + 1, written + 1
        for r in rows:
            r.finish = r.finish or ("cancelled" if job.cancel.is_set() else "length")
        if job.on_text is not None and (piece := rows[0].release(True)):
            job.on_text(piece)
        end = time.perf_counter()
        return Result(
            [Output(r.text, len(r.ids), r.finish or "length") for r in rows],
            ((ttft or end) - t0) * 1000,
            (end - t0) * 1000,
        )

    def _cache(self, batch: int, length: int) -> Any:
        """A static cache of this shape, reused (its fixed addresses are what CUDA graphs replay on)."""
        from transformers import StaticCache

        key = (batch, length)
        cache = self._caches.pop(key, None)
        if cache is None:
            while len(self._caches) >= MAX_CACHES:
                self._caches.pop(next(iter(self._caches)))
            cache = StaticCache(config=self._config, max_cache_len=length)
        else:
            cache.reset()
        self._caches[key] = cache  # most recently used last
        return cache

    def _step(self, ids: Any, mask: Any, pos: Any, cache: Any, start: int, prefill: bool = False) -> Any:
        """One forward: the whole prompt (eager), or one token per row (compiled on CUDA)."""
        import torch

        kwargs: dict[str, Any] = {
            "input_ids": ids,
            "attention_mask": mask,
            "position_ids": pos,
            self._cache_kw: cache,
            "use_cache": True,
        }
        if self._cache_position:  # transformers 4.x writes the static cache at explicit positions
            kwargs["cache_position"] = torch.arange(start, start + ids.shape[1], device=ids.device)
        if prefill:
            kwargs["logits_to_keep"] = 1
            fn = self.model
        else:
            fn = self._decoder()
            if self.compiled and self.device.type == "cuda":
                torch.compiler.cudagraph_mark_step_begin()
        out = fn(**kwargs)
        returned = getattr(out, "cache", None)
        returned = returned if returned is not None else getattr(out, "past_key_values", None)
        cache = returned if returned is not None else cache
        return out.logits[:, -1].float(), cache

    def _decoder(self) -> Any:
        import torch

        if self._forward is None:
            # dynamic=None: the first shape compiles static; a second batch size or cache length recompiles
            # once with that dimension symbolic, and later shapes reuse it (CUDA graphs record per shape)
            self._forward = (
                torch.compile(self.model, mode=self._mode, fullgraph=False, dynamic=None)
                if self.compiled
                else self.model
            )
        return self._forward

    @staticmethod
    def _select(logits: Any, s: Sampling) -> Any:
        import torch

        if s.temperature <= 0:
            return logits.argmax(-1)
        probs = torch.softmax(logits / s.temperature, -1)
        if s.top_p < 1:
            sorted_p, index = probs.sort(-1, descending=True)
            drop = sorted_p.cumsum(-1) - sorted_p > s.top_p  # keep the smallest set reaching top_p
            probs = probs.scatter(-1, index, sorted_p.masked_fill(drop, 0))
        return torch.multinomial(probs, 1).squeeze(-1)
