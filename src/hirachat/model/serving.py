"""Local models shared by the engines of one process: each base folder is loaded once per way of serving it.

``inference.adapter_mode``:
- ``merged``: the adapter is merged into the base weights (a plain model: the fastest decoding). One model
  per (base, adapter); the serving engine and an arena contestant naming the same adapter share it.
- ``unmerged``: one PEFT model per base holds every engine's adapter by name; each generation activates its
  own (no adapter: adapters disabled). Several fine-tuned variants for blind A/B then cost one base in
  memory, at some speed (the LoRA matrices run beside every adapted layer).
On a CUDA machine the model is moved to the GPU; each loaded model has one ``Generator`` (one worker thread).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from hirachat.config import InferenceConfig
from hirachat.model.generate import TEMPLATE_STOPS, Generator, Sampling

_LOADED: dict[tuple[Any, ...], Generator] = {}
_ADAPTERS: dict[int, dict[Path, str]] = {}  # id(generator) -> adapter folder -> its name in the PEFT model
_LOCK = threading.Lock()


def stops(cfg: InferenceConfig) -> tuple[str, ...]:
    return TEMPLATE_STOPS if cfg.stop is None else tuple(cfg.stop)


def sampling(
    cfg: InferenceConfig, temperature: float | None = None, max_new_tokens: int | None = None
) -> Sampling:
    """The inference section's generation settings, with per-request overrides."""
    return Sampling(
        max_new_tokens=cfg.max_new_tokens if max_new_tokens is None else max_new_tokens,
        temperature=cfg.temperature if temperature is None else temperature,
        top_p=cfg.top_p,
        stop=stops(cfg),
    )


def _load(base: Path, cfg: InferenceConfig, adapter: Path | None) -> Generator:
    import torch

    from hirachat.model.load import attach_adapter, load_model, load_tokenizer

    model = load_model(base)
    if torch.cuda.is_available():
        model = model.to("cuda")
    if adapter is not None:
        model = attach_adapter(model, adapter, merged=True)
    return Generator(model, load_tokenizer(base), static_cache=cfg.static_cache, compile=cfg.compile)


def local_model(base: Path, cfg: InferenceConfig) -> tuple[Generator, str | None]:
    """The generator for ``base`` with ``cfg.adapter``, and the adapter name to activate (unmerged mode)."""
    base = base.resolve()
    adapter = cfg.adapter.resolve() if cfg.adapter is not None else None
    opts = (cfg.static_cache, cfg.compile)
    with _LOCK:
        if cfg.adapter_mode == "merged":
            key: tuple[Any, ...] = (base, "merged", adapter, opts)
            if key not in _LOADED:
                _LOADED[key] = _load(base, cfg, adapter)
            return _LOADED[key], None
        key = (base, "unmerged", opts)
        if key not in _LOADED:
            _LOADED[key] = _load(base, cfg, None)
        gen = _LOADED[key]
        if adapter is None:
            return gen, None
        names = _ADAPTERS.setdefault(id(gen), {})
        if adapter not in names:
            names[adapter] = f"adapter{len(names)}"
            _add_adapter(gen, adapter, names[adapter])
        return gen, names[adapter]


def _add_adapter(gen: Generator, adapter: Path, name: str) -> None:
    from hirachat.model.load import attach_adapter

    model = gen.call(lambda: attach_adapter(gen.model, adapter, merged=False, name=name))
    gen.set_model(model)  # the first adapter wraps the base in a PEFT model; compiled graphs start over
