"""Doctor rows for the hardware and the model: torch and its CUDA build, each GPU (memory, bf16),
bitsandbytes, the configured model directory against its manifest, and disk space for a training run.

The disk estimate is the LoRA arithmetic of the configured model (its ``config.json``, else SOLAR-10.7B's
shape): adapter parameters = layers x r x (in + out) over the adapted projections, kept in fp32; a
checkpoint holds them and AdamW's two moments; ``training.save_total_limit`` checkpoints plus
best_model/ and final_model/, plus the whole model when ``training.merge`` writes a merged copy.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import shutil
from pathlib import Path
from typing import Any

from hirachat.config import Config
from hirachat.model.load import verify_model_dir
from hirachat.model.manifest import MANIFEST, ManifestError, ModelDirError, verify
from hirachat.ops.checks import Check, Status, needs_training_stack, uses_model
from hirachat.paths import Workspace

CUDA_FIX = "the GPU server installs the CUDA variant (requirements/cuda.lock, docs/install.md)"
WEIGHT_SUFFIXES = (".safetensors", ".bin")


def _size(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


def torch_checks(cfg: Config) -> list[Check]:
    try:
        import torch
    except ImportError:
        status: Status = "fail" if needs_training_stack(cfg) else "warn"
        return [Check("torch", status, "not installed", f"pip install -e '.[train]'; {CUDA_FIX}")]
    cuda = torch.version.cuda
    value = f"{torch.__version__} ({f'CUDA {cuda} build' if cuda else 'CPU build'})"
    if cuda and not torch.cuda.is_available():
        return [
            Check(
                "torch",
                "warn",
                value + ", but CUDA is not usable",
                f"nvidia-smi must list the GPU and the driver must support CUDA {cuda}; "
                "check CUDA_VISIBLE_DEVICES",
            )
        ]
    rows = [Check("torch", "ok", value)]
    try:
        rows.append(Check("bitsandbytes", "ok", md.version("bitsandbytes")))
    except md.PackageNotFoundError:
        need = cfg.lora.qlora_4bit
        rows.append(
            Check(
                "bitsandbytes",
                "fail" if need else "ok",
                "not installed" + ("" if need else " (only lora.qlora_4bit=true needs it)"),
                f"pip install -e '.[qlora]' on the CUDA machine; {CUDA_FIX}",
            )
        )
    return rows


def gpu_checks(cfg: Config) -> list[Check]:
    try:
        import torch
    except ImportError:
        return []  # the torch row says so
    if not torch.cuda.is_available():
        if cfg.lora.qlora_4bit:
            fix = f"lora.qlora_4bit needs a CUDA GPU: train on the GPU server ({CUDA_FIX}) or set it to false"
            return [Check("gpu", "fail", "no CUDA GPU, and lora.qlora_4bit=true needs one", fix)]
        fix = f"fine-tuning SOLAR needs a CUDA GPU; {CUDA_FIX}. On the CPU only the tiny model trains"
        return [Check("gpu", "warn", "no CUDA GPU (CPU only)", fix)]
    rows = []
    for i in range(torch.cuda.device_count()):
        p = torch.cuda.get_device_properties(i)
        bf16 = (p.major, p.minor) >= (8, 0)
        value = (
            f"{p.name}, {_size(p.total_memory)}, compute {p.major}.{p.minor}, "
            f"bf16 {'yes' if bf16 else 'no (trains in fp16)'}"
        )
        fix = "" if bf16 else "bf16 needs compute capability 8.0+ (A100, L40S, H100); fp16 is less stable"
        rows.append(Check(f"gpu {i}", "ok" if bf16 else "warn", value, fix))
    return rows


def model_checks(cfg: Config, ws: Workspace, full: bool) -> list[Check]:
    """The base model directory: present, loadable file set, files matching the manifest."""
    path = ws.resolve(cfg.paths.base_model).absolute()
    needed = uses_model(cfg) or cfg.lora.qlora_4bit
    copy_fix = (
        f"copy the model folder (with its {MANIFEST}) to {path} or set paths.base_model; "
        f"then hira-chat model manifest {path} --verify"
    )
    if not path.is_dir():
        why = "" if needed else " (needed only for hira-chat train and the local engine)"
        return [Check("model", "fail" if needed else "warn", f"{path}: not found{why}", copy_fix)]
    try:
        verify_model_dir(path)
        v = verify(path, full=full)
    except (ModelDirError, ManifestError) as exc:
        return [Check("model", "fail", str(exc), copy_fix)]
    if v.manifest is None:
        return [Check("model", "warn", v.summary() + " (files not checked)", v.fix())]
    if v.problems:
        return [Check("model", "fail", v.summary(), v.fix())]
    how = "sizes and sha256" if full else "sizes; --full also hashes"
    value = (
        f"{path}: {len(v.manifest.files)} files, {_size(v.manifest.total_bytes)}, match {MANIFEST} ({how})"
    )
    return [Check("model", "ok", value), *adapter_checks(cfg)]


def adapter_checks(cfg: Config) -> list[Check]:
    adapter = cfg.inference.adapter
    if adapter is None or cfg.inference.engine != "local":
        return []
    if (adapter / "adapter_config.json").is_file():
        return [Check("adapter", "ok", str(adapter))]
    fix = "set inference.adapter to a run's best_model/ (workspace/models/RUN/best_model)"
    return [Check("adapter", "fail", f"{adapter}: not a LoRA adapter folder", fix)]


# ---- disk space for a training run ------------------------------------------------------------------
def _arch(model_dir: Path) -> dict[str, Any]:
    from hirachat.model.tiny import SOLAR_10_7B

    try:
        return {**SOLAR_10_7B, **json.loads((model_dir / "config.json").read_text(encoding="utf-8"))}
    except (OSError, ValueError):
        return dict(SOLAR_10_7B)


def _projections(a: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """(in, out) of each Llama linear layer."""
    h, i = int(a["hidden_size"]), int(a["intermediate_size"])
    hd = h // int(a["num_attention_heads"])
    q, kv = int(a["num_attention_heads"]) * hd, int(a["num_key_value_heads"]) * hd
    return {
        "q_proj": (h, q),
        "k_proj": (h, kv),
        "v_proj": (h, kv),
        "o_proj": (q, h),
        "gate_proj": (h, i),
        "up_proj": (h, i),
        "down_proj": (i, h),
    }


def training_disk_bytes(cfg: Config, model_dir: Path) -> tuple[int, int]:
    """(bytes a training run writes, bytes of one checkpoint) for the configured model and LoRA."""
    a = _arch(model_dir)
    proj = _projections(a)
    targets = cfg.lora.target_modules
    chosen = proj.values() if targets == "all-linear" else [v for k, v in proj.items() if k in targets]
    layers = int(a["num_hidden_layers"])
    adapter = 4 * layers * cfg.lora.r * sum(i + o for i, o in chosen)  # fp32 adapter weights
    checkpoint = 3 * adapter  # the adapter and AdamW's two moments
    need = cfg.training.save_total_limit * checkpoint + 2 * adapter  # + best_model/, final_model/
    if cfg.training.merge:
        weights = (
            [p for p in model_dir.glob("*") if p.suffix in WEIGHT_SUFFIXES] if model_dir.is_dir() else []
        )
        if weights:
            need += sum(p.stat().st_size for p in weights)
        else:  # bf16: embeddings and head, plus each layer's projections
            per_layer = sum(i * o for i, o in proj.values())
            need += 2 * (layers * per_layer + 2 * int(a["vocab_size"]) * int(a["hidden_size"]))
    return need, checkpoint


def disk_check(cfg: Config, ws: Workspace) -> Check:
    need, checkpoint = training_disk_bytes(cfg, ws.resolve(cfg.paths.base_model))
    where = ws.models.resolve()
    while not where.exists() and where != where.parent:
        where = where.parent
    free = shutil.disk_usage(where).free
    merged = " and the merged model" if cfg.training.merge else ""
    value = (
        f"{_size(free)} free at {where}; a training run writes about {_size(need)} "
        f"({cfg.training.save_total_limit} checkpoints of {_size(checkpoint)}, the adapters{merged})"
    )
    if free >= need:
        return Check("disk", "ok", value)
    fix = (
        f"free space under {ws.models}, put paths.workspace on a larger disk, "
        "or lower training.save_total_limit (and training.merge=false)"
    )
    return Check("disk", "warn", value, fix)
