"""Every word accounted for: each benchmark question, with one extra content word that nothing in the data
holds, is refused (or asked back) naming that word, never answered as if the word were not there; grammar
never makes a question unanswerable; the accounting says which reading claimed each morpheme."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from hirachat.answer.service import AskService
from hirachat.config import DataConfig, InferenceConfig
from hirachat.data.ingest import ingest

ROOT = Path(__file__).resolve().parents[2]
MASTERS = ROOT.parent / "shared" / "data" / "code_masters"
PORTAL = ROOT / "tests" / "fixtures" / "portal"
# the question sets written by helpers who never read the parser, and the files each is about
SETS = {
    "real": ["natural", "natural_holdout", "natural_passes_s"],
    "portal": ["natural_portal", "natural_portal2", "natural_portal3", "natural_passes_p"],
}
# nouns no HIRA table or master holds, of several shapes (a place, a thing, a made-up name, a foreign word)
EXTRA = ["갈라파고스", "블록체인", "우주정거장", "Quasar"]


def first_turns(folder: str) -> list[str]:
    out = []
    for f in sorted((ROOT / "benchmarks" / folder).glob("questions_*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            if q.get("prev") is None:
                out.append(q["question"])
    return out


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory, real_dir: Path) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("accounting")
    out = {}
    for name, folder in (("real", real_dir), ("portal", PORTAL)):
        ingest([folder, MASTERS], root / name, DataConfig(), root / f"{name}_raw")
        out[name] = root / name
    return out


@pytest.mark.parametrize("kind", sorted(SETS))
def test_an_extra_content_word_is_never_ignored(stores: dict[str, Path], kind: str) -> None:
    questions = [q for folder in SETS[kind] for q in first_turns(folder)]
    assert len(questions) >= 150
    ignored: list[tuple[str, str]] = []
    with AskService(stores[kind], InferenceConfig(), "grounded", None, 0) as svc:
        for i, q in enumerate(questions):
            extra = EXTRA[i % len(EXTRA)]
            asked = f"{q.rstrip('?')} {extra}" if i % 2 else f"{extra} {q}"  # at the end, or at the start
            ans = svc.plan_turns([asked])
            if not (ans.abstained and extra in ans.answer):
                ignored.append((asked, ans.answer[:100]))
    assert ignored == []


def test_grammar_is_never_an_unknown_word(stores: dict[str, Path]) -> None:
    """Endings and particles left after a reading ('들의', '았나요', '이었어요') are grammar: answered."""
    with AskService(stores["real"], InferenceConfig(), "grounded", None, 0) as svc:
        for q in (
            "2023년 J20 환자들의 진료비는 얼마였나요",
            "2019년 서울 내과 진료비가 얼마였었는지 알려주시겠어요?",
            "2019년에 서울에서 내과 환자는 몇 명이었어요?",
        ):
            ans = svc.plan_turns([q])
            assert not ans.abstained, (q, ans.answer)


def test_the_accounting_names_the_reading_of_each_morpheme(stores: dict[str, Path]) -> None:
    with AskService(stores["real"], InferenceConfig(), "grounded", None, 0) as svc:
        ans = svc.plan_turns(["2024년 4분기 중구 요양기관 수"])  # 중구: a district, never a disease word
        res: dict[str, Any] = svc.result(ans, svc.engine.write(ans), 0.0)
        assert ans.abstained and "중구" in ans.answer and "이해하지 못한 말: 중구" in res["interpretation"]
        by = {(w["form"], w["by"]) for w in res["words"]}
        assert {("2024", "period"), ("분기", "period"), ("중", None), ("구", None)} <= by
        ans = svc.plan_turns(["2023년 진료비 상위 다섯 개 진료과목"])  # a count in words is a count
        assert not ans.abstained and ans.query["k"] == 5 and len(re.findall(r"\d위 ", ans.answer)) == 5


def test_a_value_inside_a_longer_word_is_not_that_value(stores: dict[str, Path]) -> None:
    """'서울대' is not 서울 with a letter ignored: the word is named."""
    with AskService(stores["real"], InferenceConfig(), "grounded", None, 0) as svc:
        ans = svc.plan_turns(["2019년 서울대 진료비"])
        assert ans.abstained and "서울대" in ans.answer
