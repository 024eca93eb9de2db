"""Load a causal LM from a local directory only: verify it first, then load with the right dtype.

Nothing here reaches a hub: ``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE`` are set and every call passes
``local_files_only=True``. ``verify_model_dir`` lists exactly what a directory lacks (config, tokenizer,
weights or the shards its index names) before anything heavy runs. SOLAR has no pad token: the
tokenizer gets ``<unk>`` as pad (not ``</s>``, whose loss must stay in the labels).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hirachat.model.manifest import ModelDirError, check_before_load

TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model")
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
INDEX_FILES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")


def offline() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


def verify_model_dir(path: Path) -> None:
    """Raise ModelDirError naming every missing or unreadable file."""
    if not path.is_dir():
        raise ModelDirError(
            f"{path}: model directory not found (set paths.base_model to a local copy of the model)"
        )
    problems = []
    cfg = path / "config.json"
    if not cfg.exists():
        problems.append("config.json")
    else:
        try:
            json.loads(cfg.read_text(encoding="utf-8"))
        except ValueError as exc:
            problems.append(f"config.json (not valid JSON: {exc})")
    if not any((path / f).exists() for f in TOKENIZER_FILES):
        problems.append(f"a tokenizer ({' or '.join(TOKENIZER_FILES)})")
    if not (path / "tokenizer_config.json").exists():
        problems.append("tokenizer_config.json")
    index = next((path / f for f in INDEX_FILES if (path / f).exists()), None)
    if index is not None:
        try:
            shards = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
        except (ValueError, KeyError) as exc:
            problems.append(f"{index.name} (unreadable: {exc})")
            shards = []
        problems += [f"weight shard {s} (named in {index.name})" for s in shards if not (path / s).exists()]
    elif not any((path / f).exists() for f in WEIGHT_FILES):
        problems.append(f"weights ({' or '.join(WEIGHT_FILES)}, or a sharded index)")
    if problems:
        raise ModelDirError(f"{path}: cannot load the model; missing: " + "; ".join(problems))


def pick_dtype(device: str | None = None) -> Any:
    import torch

    if (device or ("cuda" if torch.cuda.is_available() else "cpu")) == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def load_tokenizer(path: Path) -> Any:
    from transformers import AutoTokenizer

    offline()
    tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    if tok.pad_token is None:
        tok.pad_token = tok.unk_token or tok.eos_token
    return tok


def load_model(
    path: Path, *, qlora_4bit: bool = False, gradient_checkpointing: bool = False, dtype: Any = None
) -> Any:
    """The base model, verified, offline, in bf16 where supported (4-bit for QLoRA)."""
    import torch
    from transformers import AutoModelForCausalLM

    verify_model_dir(path)
    check_before_load(path)  # sizes always, sha256 on first load (model/manifest.py)
    offline()
    kwargs: dict[str, Any] = {"local_files_only": True, "dtype": dtype or pick_dtype()}
    if qlora_4bit:
        if not torch.cuda.is_available():
            raise ModelDirError(
                "lora.qlora_4bit needs a CUDA GPU (bitsandbytes 4-bit); set lora.qlora_4bit=false on CPU"
            )
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_compute_dtype=torch.bfloat16,
            bnb_4bit_use_double_quant=True,
        )
    try:
        model = AutoModelForCausalLM.from_pretrained(str(path), **kwargs)
    except (OSError, ValueError) as exc:
        raise ModelDirError(f"{path}: the files are there but do not load: {exc}") from exc
    if gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    return model


def attach_adapter(model: Any, adapter: Path, *, merged: bool, name: str = "default") -> Any:
    """A LoRA adapter on ``model``: merged into the weights (a plain model, fastest to serve) or kept
    as a named PEFT adapter (several adapters share one base; a PEFT model gains another by name)."""
    from peft import PeftModel

    if not (adapter / "adapter_config.json").exists():
        raise ModelDirError(f"{adapter}: not a LoRA adapter folder (adapter_config.json is missing)")
    offline()
    if isinstance(model, PeftModel):
        model.load_adapter(str(adapter), adapter_name=name, local_files_only=True)
        return model
    peft = PeftModel.from_pretrained(model, str(adapter), adapter_name=name, local_files_only=True)
    return peft.merge_and_unload() if merged else peft


def prepare_for_training(model: Any) -> Any:
    """No KV cache while training. With a cache, transformers skips packed-sequence detection and packed
    samples would attend to each other under SDPA/eager attention (only FlashAttention would be safe)."""
    model.config.use_cache = False
    return model
