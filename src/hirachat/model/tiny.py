"""A scaled-down SOLAR-architecture model with a tokenizer trained on our own data.

SOLAR-10.7B is a ``LlamaForCausalLM`` (48 layers, hidden 4096, 32 heads with 8 key-value heads, SwiGLU
intermediate 14336, RMSNorm, RoPE, untied embeddings). The tiny model keeps every architectural choice
(GQA ratio 4, MLP ratio 3.5, untied head) at a size that trains on two CPU cores in minutes. Its
byte-level BPE tokenizer is trained on the dataset's texts and saved like SOLAR's (no pad token), so the
tiny model loads through exactly the code path that loads SOLAR.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hirachat.prompt import SYSTEM

SOLAR_10_7B = {
    "vocab_size": 32000,
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 48,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "max_position_embeddings": 4096,
    "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0,
    "tie_word_embeddings": False,
}


def llama_config(
    vocab_size: int, hidden: int = 128, layers: int = 4, heads: int = 4, **overrides: Any
) -> Any:
    from transformers import LlamaConfig

    kv = max(1, heads // 4)  # SOLAR: 32 heads, 8 key-value heads
    params: dict[str, Any] = {
        "vocab_size": vocab_size,
        "hidden_size": hidden,
        "intermediate_size": int(hidden * 3.5),
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": kv,
        "max_position_embeddings": 2048,
        "rms_norm_eps": 1e-5,
        "tie_word_embeddings": False,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "pad_token_id": None,
    }
    params.update(overrides)
    return LlamaConfig(**params)


def train_tokenizer(texts: Iterable[str], vocab_size: int = 4000) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<unk>", "<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(texts, trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A $B", special_tokens=[("<s>", 1)]
    )
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>")


def build_tiny(out: Path, texts: Iterable[str], vocab_size: int = 4000, seed: int = 0, **arch: Any) -> Path:
    """Write a tiny SOLAR-architecture model (random weights) and its tokenizer to ``out``."""
    import torch
    from transformers import LlamaForCausalLM

    corpus = [*texts, SYSTEM, "### System:\n### User:\n### Assistant:\n"]
    tokenizer = train_tokenizer(corpus, vocab_size)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(llama_config(len(tokenizer), **arch))
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    from hirachat.model.manifest import write_manifest

    write_manifest(out)  # last: loading checks the files against it
    return out


def dataset_texts(files: Iterable[Path]) -> Iterable[str]:
    """Instruction, input and output texts of QA jsonl files: the tokenizer's training corpus."""
    import json

    for f in files:
        with f.open(encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                yield r["instruction"]
                if r["input"]:
                    yield r["input"]
                yield r["output"]
