"""Generation speed: our engine (static KV cache, compiled decoding on CUDA) vs plain ``model.generate``.

Both run in the same process on the same model and prompts, each generating exactly ``--new`` tokens per
row (end-of-sequence ignored, so the work is equal). Figures, the best of ``--repeat`` runs each
(alternating) after a warm-up:
  - time to first token (prompt processing plus the first token), ms;
  - batch 1: decode tokens/s = (new - 1) / (total time - time to first token);
  - batch 8/32/64: throughput = all generated tokens / total time.
Ceiling for batch-1 decoding, which is bound by memory bandwidth (every token reads every weight once):
device bandwidth / parameter bytes (``--bandwidth-gbs``; known defaults: H200 4800, H100 3350, A100 2039).

CPU part (any machine): a small SOLAR-architecture model (fp32), eager (no compiler): ratios vs plain.
GPU part (with CUDA): the full SOLAR-10.7B architecture (48 layers, hidden 4096, 32 heads, 8 key-value
heads, intermediate 14336, vocabulary 32000), randomly initialised directly on the GPU in bf16 (speed
does not depend on weight values; nothing is downloaded). Targets: batch-1 decode >= 150 tokens/s and
>= 65% of the ceiling (the original: 45), batch-64 throughput >= 5,000 tokens/s; peak memory printed.
The first call per shape compiles (printed as the warm-up time); later calls replay CUDA graphs.

    python benchmarks/bench_generate.py              # CPU part; GPU part too when CUDA is present
    python benchmarks/bench_generate.py --part gpu   # GPU only ("no CUDA device" without one)
"""

from __future__ import annotations

import argparse
import time
from typing import Any

BANDWIDTH_GBS = {"H200": 4800.0, "H100": 3350.0, "A100": 2039.0}


def word_tokenizer(vocab: int) -> Any:
    """A tokenizer with one word per id (``w3`` ... ``wN``): exact prompt lengths, every id decodable."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = {"<unk>": 0, "<s>": 1, "</s>": 2, **{f"w{i}": i for i in range(3, vocab)}}
    tok = Tokenizer(models.WordLevel(words, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<unk>"
    )


def prompts(batch: int, length: int, vocab: int, seed: int) -> list[str]:
    """Prompts of ``length`` tokens, lengths varied by up to 1/8 (a batch of real questions is ragged)."""
    import random

    rng = random.Random(seed)
    return [
        " ".join(f"w{rng.randrange(3, vocab)}" for _ in range(length - rng.randrange(0, length // 8 + 1)))
        for _ in range(batch)
    ]


def build(arch: dict[str, Any], device: str, dtype: Any) -> Any:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    arch = dict(arch)
    rope = arch.pop("rope_theta", 10000.0)
    config = LlamaConfig(**arch, rope_parameters={"rope_type": "default", "rope_theta": rope})
    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # built in its dtype, on its device: no fp32 copy, no download
    try:
        with torch.device(device):
            model = LlamaForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    model.generation_config.pad_token_id = 0
    return model.to(dtype).eval()


def sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def plain(model: Any, tok: Any, texts: list[str], new: int) -> tuple[float, float]:
    """(ms to the first token, total ms) for ``model.generate``: greedy, dynamic cache, no compile."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class FirstToken(StoppingCriteria):
        at: float | None = None

        def __call__(self, input_ids: Any, scores: Any, **kw: Any) -> Any:
            if self.at is None:
                sync()
                self.at = time.perf_counter()
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    tok.padding_side = "left"
    enc = tok(texts, return_tensors="pt", padding=True).to(model.device)
    first = FirstToken()
    sync()
    t0 = time.perf_counter()
    with torch.no_grad():
        model.generate(
            **enc,
            max_new_tokens=new,
            min_new_tokens=new,
            do_sample=False,
            pad_token_id=tok.pad_token_id,
            stopping_criteria=StoppingCriteriaList([first]),
        )
    sync()
    end = time.perf_counter()
    return ((first.at or end) - t0) * 1000, (end - t0) * 1000


def ours(gen: Any, texts: list[str], new: int) -> tuple[float, float]:
    from hirachat.model.generate import Sampling

    res = gen.generate(texts, Sampling(max_new_tokens=new, stop=(), ignore_eos=True))
    assert all(o.tokens == new for o in res.outputs)
    return res.ttft_ms, res.total_ms


def timed(fns: list[Any], repeat: int) -> list[tuple[float, float, float]]:
    """Per function: (warm-up ms, ttft ms, total ms) of its fastest run; the runs alternate between the
    functions, so a busy machine slows both alike."""
    warm = []
    for fn in fns:
        t = time.perf_counter()
        fn()
        warm.append((time.perf_counter() - t) * 1000)
    runs: list[list[tuple[float, float]]] = [[] for _ in fns]
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            runs[i].append(fn())
    return [(w, *min(r, key=lambda x: x[1])) for w, r in zip(warm, runs, strict=True)]


def rate(batch: int, new: int, ttft: float, total: float) -> float:
    """Batch 1: decode tokens/s after the first token; larger batches: generated tokens/s overall."""
    if batch == 1:
        return (new - 1) / max(total - ttft, 1e-9) * 1000
    return batch * new / total * 1000


def compare(model: Any, tok: Any, batches: list[int], length: int, new: int, repeat: int) -> dict[int, float]:
    from hirachat.model.generate import Generator

    gen = Generator(model, tok)
    vocab = model.config.vocab_size
    print(
        f"  prompts of ~{length} tokens, {new} new tokens per row; best of {repeat} after a warm-up"
        f" ({'compiled decode, CUDA graphs' if gen.compiled else 'eager static cache'})"
    )
    print(
        f"  {'batch':>5} | {'plain ttft':>10} {'tok/s':>9} | {'ours ttft':>10} {'tok/s':>9} {'warm-up':>9} | ratio"
    )
    out = {}
    for b in batches:
        texts = prompts(b, length, vocab, seed=b)
        (_, p_ttft, p_total), (warm, o_ttft, o_total) = timed(
            [lambda t=texts: plain(model, tok, t, new), lambda t=texts: ours(gen, t, new)], repeat
        )
        p_rate, o_rate = rate(b, new, p_ttft, p_total), rate(b, new, o_ttft, o_total)
        out[b] = o_rate
        kind = "decode" if b == 1 else "total"
        print(
            f"  {b:>5} | {p_ttft:8.1f}ms {p_rate:9.1f} | {o_ttft:8.1f}ms {o_rate:9.1f} {warm / 1000:8.1f}s |"
            f" {o_rate / p_rate:5.2f}x ({kind} tokens/s)"
        )
    return out


def cpu_part(args: argparse.Namespace) -> None:
    import torch

    from hirachat.model.tiny import llama_config

    arch = llama_config(args.cpu_vocab, hidden=256, layers=8, heads=8).to_dict()
    keep = ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads")
    arch = {k: arch[k] for k in (*keep, "num_key_value_heads", "tie_word_embeddings")}
    model = build(arch, "cpu", torch.float32)
    n = sum(p.numel() for p in model.parameters())
    print(
        f"\nCPU: SOLAR-architecture stand-in ({n / 1e6:.1f}M parameters: 8 layers, d 256, GQA 8/2,"
        f" vocabulary {args.cpu_vocab}), fp32, {torch.get_num_threads()} threads"
    )
    compare(
        model, word_tokenizer(args.cpu_vocab), args.cpu_batches, args.cpu_prompt, args.cpu_new, args.repeat
    )


def gpu_part(args: argparse.Namespace) -> None:
    import torch

    from hirachat.model.tiny import SOLAR_10_7B

    if not torch.cuda.is_available():
        print("\nGPU part: no CUDA device (run this script on a GPU machine for the SOLAR-10.7B figures)")
        return
    name = torch.cuda.get_device_name()
    t = time.perf_counter()
    model = build(dict(SOLAR_10_7B), "cuda", torch.bfloat16)
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    print(
        f"\nGPU: {name}; SOLAR-10.7B architecture, random weights, bf16: {weights / 1e9:.1f} GB of parameters"
        f" (built in {time.perf_counter() - t:.0f} s)"
    )
    bandwidth = args.bandwidth_gbs or next((v for k, v in BANDWIDTH_GBS.items() if k in name), None)
    torch.cuda.reset_peak_memory_stats()
    rates = compare(model, word_tokenizer(32000), args.batches, args.prompt, args.new, args.repeat)
    peak = torch.cuda.max_memory_allocated() / 2**30
    if 1 in rates:
        line = f"  batch-1 decode {rates[1]:.1f} tokens/s (target >= 150; the original: 45)"
        if bandwidth:
            ceiling = bandwidth * 1e9 / weights
            line += f"; ceiling {bandwidth:.0f} GB/s / {weights / 1e9:.1f} GB = {ceiling:.0f} tokens/s:"
            line += f" {rates[1] / ceiling:.0%} of it (target >= 65%)"
        else:
            line += "; ceiling unknown for this device (pass --bandwidth-gbs)"
        print(line)
    if 64 in rates:
        print(f"  batch-64 throughput {rates[64]:,.0f} tokens/s (target >= 5,000)")
    print(f"  peak GPU memory {peak:.1f} GiB (weights {weights / 2**30:.1f} GiB, KV caches, activations)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", choices=("cpu", "gpu", "all"), default="all")
    ap.add_argument("--bandwidth-gbs", type=float, default=None, help="Device memory bandwidth, GB/s.")
    ap.add_argument("--batches", default="1,8,32,64", help="GPU batch sizes.")
    ap.add_argument("--prompt", type=int, default=384, help="GPU prompt tokens (a prompt with fact cards).")
    ap.add_argument("--new", type=int, default=128, help="GPU new tokens per row (answers: ~120).")
    ap.add_argument("--cpu-batches", default="1,8,32,64")
    ap.add_argument("--cpu-prompt", type=int, default=128)
    ap.add_argument("--cpu-new", type=int, default=48)
    ap.add_argument("--cpu-vocab", type=int, default=4000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    args.batches = [int(b) for b in args.batches.split(",")]
    args.cpu_batches = [int(b) for b in args.cpu_batches.split(",")]
    if args.part in ("cpu", "all"):
        cpu_part(args)
    if args.part in ("gpu", "all"):
        gpu_part(args)


if __name__ == "__main__":
    main()
