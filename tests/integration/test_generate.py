"""Fast generation on a tiny SOLAR-architecture model (random weights): the static-cache loop (and the
compiled one) writes exactly the tokens of plain greedy ``model.generate``; batches, streaming and stop
strings agree with one-prompt generation; LoRA adapters served merged and unmerged give the same text."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import torch

from hirachat.config import InferenceConfig
from hirachat.model.generate import Generator, Sampling
from hirachat.model.load import load_model, load_tokenizer
from hirachat.model.serving import local_model
from hirachat.model.stops import TEMPLATE_STOPS, releasable
from hirachat.model.tiny import build_tiny
from hirachat.prompt import chat_messages, solar_prompt

PROMPTS = [
    "### User:\n2019년 서울 내과 환자수는?\n\n### Assistant:\n",
    "질문",
    "### System:\n출처: 건강보험심사평가원 2019년 진료과목별 통계\n\n### User:\n부산 외과\n\n### Assistant:\n",
]
GREEDY = Sampling(max_new_tokens=32, stop=())


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts = ["2019년 서울 내과 환자수는 2,931,188명입니다.", "출처: 건강보험심사평가원"] * 20
    return build_tiny(tmp_path_factory.mktemp("gen") / "tiny", texts, vocab_size=300, hidden=64, layers=2)


@pytest.fixture(scope="module")
def loaded(tiny: Path) -> tuple[Any, Any]:
    return load_model(tiny), load_tokenizer(tiny)


def plain_greedy(model: Any, tok: Any, prompt: str, n: int) -> list[int]:
    """What ``model.generate`` writes for one prompt alone, up to and including end-of-sequence."""
    ids = tok([prompt], return_tensors="pt")
    out = model.generate(**ids, max_new_tokens=n, do_sample=False, pad_token_id=tok.pad_token_id)
    row = out[0, ids["input_ids"].shape[1] :].tolist()
    return row[: row.index(tok.eos_token_id) + 1] if tok.eos_token_id in row else row


@pytest.mark.parametrize("static_cache", [True, False])
def test_batched_generation_writes_the_tokens_of_plain_greedy_generate(
    loaded: tuple[Any, Any], static_cache: bool
) -> None:
    model, tok = loaded
    res = Generator(model, tok, static_cache=static_cache).generate(PROMPTS, GREEDY)
    for prompt, out in zip(PROMPTS, res.outputs, strict=True):
        ref = plain_greedy(model, tok, prompt, GREEDY.max_new_tokens)
        assert out.tokens == len(ref) and out.text == tok.decode(ref, skip_special_tokens=True)
    assert res.ttft_ms <= res.total_ms


@pytest.mark.slow
def test_compiled_decoding_writes_the_same_tokens(loaded: tuple[Any, Any]) -> None:
    """The compiled step (CUDA graphs on a GPU) is compiled here by inductor for the CPU: same tokens."""
    model, tok = loaded
    gen = Generator(model, tok, compile=True, compile_cpu=True)
    assert gen.compiled
    first = gen.generate(PROMPTS, GREEDY)
    again = gen.generate(PROMPTS[:2], GREEDY)  # another batch bucket, the same cache bucket
    for prompt, out in zip(PROMPTS, first.outputs, strict=True):
        assert out.text == tok.decode(plain_greedy(model, tok, prompt, 32), skip_special_tokens=True)
    assert [o.text for o in again.outputs] == [o.text for o in first.outputs[:2]]


def test_streaming_yields_the_text_of_generation(loaded: tuple[Any, Any]) -> None:
    model, tok = loaded
    gen = Generator(model, tok)
    whole = gen.generate([PROMPTS[0]], GREEDY).outputs[0]
    counts: list[int] = []
    pieces = list(gen.stream(PROMPTS[0], GREEDY, on_tokens=counts.append))
    assert len(pieces) > 1 and "".join(pieces) == whole.text
    assert counts[-1] == whole.tokens and counts == sorted(counts)


def test_a_stop_string_ends_generation(loaded: tuple[Any, Any]) -> None:
    model, tok = loaded
    gen = Generator(model, tok)
    full = gen.generate([PROMPTS[2]], GREEDY).outputs[0]
    assert full.finish == "length" and len(full.text) > 12
    stop = full.text[8:11]  # a string the model writes part-way through
    cut = full.text.index(stop)
    res = gen.generate([PROMPTS[2], PROMPTS[2]], Sampling(max_new_tokens=32, stop=(stop,)))
    for out in res.outputs:
        assert out.finish == "stop" and out.text == full.text[:cut] and out.tokens < full.tokens
    streamed = list(gen.stream(PROMPTS[2], Sampling(max_new_tokens=32, stop=(stop,))))
    assert "".join(streamed) == full.text[:cut] and all(stop not in p for p in streamed)


def test_streaming_holds_back_partial_characters_and_stop_strings() -> None:
    assert releasable("환자수는 12\ufffd", ()) == len("환자수는 12")
    assert releasable("답입니다.\n###", TEMPLATE_STOPS) == len("답입니다.\n")
    assert releasable("답입니다.\n### Use", TEMPLATE_STOPS) == len("답입니다.\n")
    assert releasable("# 1", TEMPLATE_STOPS) == 3


def test_end_of_sequence_and_cancel_end_generation(loaded: tuple[Any, Any]) -> None:
    model, tok = loaded
    gen = Generator(model, tok)
    cancel = threading.Event()
    cancel.set()
    (out,) = gen.generate([PROMPTS[0]], GREEDY, cancel=cancel).outputs
    assert out.finish == "cancelled" and out.tokens == 1  # stopped at the first check
    eos = tok.eos_token_id
    hook = model.lm_head.register_forward_hook(lambda m, i, o: o.index_fill(-1, torch.tensor([eos]), 1e4))
    try:
        res = gen.generate(PROMPTS[:2], GREEDY)
        forced = gen.generate(PROMPTS[:1], Sampling(max_new_tokens=5, stop=(), ignore_eos=True))
    finally:
        hook.remove()
    assert [(o.finish, o.tokens, o.text) for o in res.outputs] == [("eos", 1, "")] * 2
    assert forced.outputs[0].tokens == 5 and forced.outputs[0].finish == "length"


def test_length_aware_batches_keep_the_order(loaded: tuple[Any, Any]) -> None:
    model, tok = loaded
    gen = Generator(model, tok)
    prompts = PROMPTS * 2
    outs = gen.generate_sorted(prompts, GREEDY, batch_size=2)
    alone = [gen.generate([p], GREEDY).outputs[0].text for p in PROMPTS]
    assert [o.text for o in outs] == alone * 2


def lora(base: Path, out: Path, seed: int) -> Path:
    """A LoRA adapter with random (non-zero) weights, saved as training saves one."""
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    cfg = LoraConfig(r=4, lora_alpha=16, target_modules="all-linear", init_lora_weights=False)
    model = get_peft_model(load_model(base), cfg)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)
    model.save_pretrained(out)
    return out


def test_adapters_served_merged_and_unmerged_agree(tiny: Path, tmp_path: Path) -> None:
    a, b = lora(tiny, tmp_path / "a", 1), lora(tiny, tmp_path / "b", 2)
    merged, name = local_model(tiny, InferenceConfig(adapter=a, adapter_mode="merged"))
    assert name is None
    shared_a, name_a = local_model(tiny, InferenceConfig(adapter=a, adapter_mode="unmerged"))
    shared_b, name_b = local_model(tiny, InferenceConfig(adapter=b, adapter_mode="unmerged"))
    shared_none, none = local_model(tiny, InferenceConfig(adapter_mode="unmerged"))
    assert shared_a is shared_b is shared_none and len({name_a, name_b}) == 2 and none is None
    text = merged.generate(PROMPTS, GREEDY).outputs
    with_a = shared_a.generate(PROMPTS, GREEDY, adapter=name_a).outputs
    with_b = shared_b.generate(PROMPTS, GREEDY, adapter=name_b).outputs
    without = shared_none.generate(PROMPTS, GREEDY, adapter=None).outputs
    base = Generator(*(load_model(tiny), load_tokenizer(tiny))).generate(PROMPTS, GREEDY).outputs
    assert [o.text for o in with_a] == [o.text for o in text]  # merged == unmerged
    assert [o.text for o in with_b] != [o.text for o in with_a]  # each engine its own adapter
    assert [o.text for o in without] == [o.text for o in base]  # adapters disabled: the base model


def test_the_chat_template_for_vllm_writes_our_prompt(loaded: tuple[Any, Any]) -> None:
    """vLLM's chat endpoint renders ``config/solar_chat_template.jinja``: the very text the model was
    trained on (``solar_prompt``), after the start-of-sequence token the tokenizer adds in training."""
    _, tok = loaded
    template = (Path(__file__).resolve().parents[2] / "config" / "solar_chat_template.jinja").read_text()
    question, cards = "2019년 서울 내과 환자수는?", ["2019년 서울 내과 | 환자수 2,931,188명"]
    text = tok.apply_chat_template(
        chat_messages(question, cards), chat_template=template, tokenize=False, add_generation_prompt=True
    )
    assert text == tok.bos_token + solar_prompt(question, cards)
    assert tok(text, add_special_tokens=False)["input_ids"] == tok(solar_prompt(question, cards))["input_ids"]


@pytest.mark.gpu
def test_cuda_graph_decoding_writes_the_tokens_of_eager_decoding(tiny: Path) -> None:
    """On a CUDA device: the compiled step (CUDA graphs), batch 1 and a padded batch, and streaming."""
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    model, tok = load_model(tiny, dtype=torch.float32).to("cuda"), load_tokenizer(tiny)
    fast, eager = Generator(model, tok), Generator(model, tok, compile=False)
    assert fast.compiled and not eager.compiled
    for batch in (PROMPTS[:1], PROMPTS, PROMPTS[:2]):
        for _ in range(2):  # the second call replays the recorded graph
            got = fast.generate(batch, GREEDY).outputs
            assert [o.text for o in got] == [o.text for o in eager.generate(batch, GREEDY).outputs]
    assert "".join(fast.stream(PROMPTS[0], GREEDY)) == eager.generate(PROMPTS[:1], GREEDY).outputs[0].text
