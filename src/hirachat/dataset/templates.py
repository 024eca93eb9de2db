"""Question templates of the dataset generator: how people ask about HIRA facts.

Questions come in several phrasings per type (polite 합니다/해요 and casual 해/야 endings, spacing and
synonym variants), filled with the particles of `hirachat.korean` (은/는, 이/가, 을/를, 와/과).
"""

from __future__ import annotations

import random
import re
from typing import Any

from hirachat.data.vocab import SIDO_FULL
from hirachat.korean import by, josa, spaced

LOOKUP = [
    "{ent}의 {m_topic} {cnt}인가요?",
    "{ent} {m} 알려줘",
    "{ent}의 {m_topic} 얼마야?",
    "{ent} {m_subj} 어떻게 되나요?",
    "{ent}에서 {m_topic}?",
    "{ent}의 {m_obj} 알려주세요.",
    "{ent} 기준 {m} 수치 좀 알려줄래?",
]
SUM = [
    "{ctx}의 {dim} 전체 {m} 합계는 얼마인가요?",
    "{ctx} {dim_by} {m_obj} 모두 더하면 얼마야?",
    "{ctx}에서 모든 {dim}의 {m} 총합을 알려주세요.",
    "{ctx} {m} 합계 알려줘 ({dim} 전체)",
]
RANK = [
    "{ctx}에서 {m_subj} 가장 많은 {dim} 상위 {k}개는?",
    "{ctx} {m} 기준 상위 {k}개 {dim_obj} 알려줘",
    "{ctx}의 {dim_by} {m} 순위에서 1위부터 {k}위까지 알려주세요.",
    "{ctx}에서 {m_subj} 많은 {dim} TOP {k}는 어디인가요?",
]
COMPARE = [
    "{ctx}에서 {a_and} {b}의 {m_obj} 비교해줘",
    "{ctx} {a_and} {b}의 {m} 중 어느 쪽이 더 많나요?",
    "{ctx}의 {m_topic} {a_and} {b} 중 어디가 많아?",
    "{ctx} 기준으로 {a}, {b}의 {m} 차이를 알려주세요.",
]
CHANGE = [
    "{ent}의 {m_topic} {y1}년 대비 {y2}년에 얼마나 변했나요?",
    "{ent} {m}, {y1}년에서 {y2}년 사이 증감률은?",
    "{y1}년과 {y2}년 {ent}의 {m_obj} 비교하면 얼마나 늘었어?",
    "{ent}의 {y1}년 대비 {y2}년 {m} 증감액과 증감률을 알려주세요.",
]
RATIO = [
    "{ent}의 보험자부담률은 얼마인가요?",
    "{ent} 보험자부담률 알려줘",
    "{ent}에서 공단이 부담한 비율은 몇 퍼센트야?",
]
SHARE = [
    "{ctx}에서 {a_subj} 차지하는 {m} 비중은?",
    "{ctx} 전체 {dim} 중 {a}의 {m} 점유율은 몇 %인가요?",
    "{ctx}의 {m} 가운데 {a} 비율을 알려줘",
]
DERIVED = {
    "본인부담금": [
        "{ent}의 본인부담금은 얼마인가요?",
        "{ent} 환자 본인부담금 알려줘",
        "{ent}에서 환자가 부담한 금액은 얼마야?",
    ],
    "1인당 진료비": [
        "{ent}의 1인당 진료비는 얼마인가요?",
        "{ent} 환자 1인당 진료비 알려줘",
        "{ent}의 환자 한 명당 진료비는?",
    ],
    "1인당 입내원일수": ["{ent}의 1인당 입내원일수는 며칠인가요?", "{ent} 환자 1인당 내원일수 알려줘"],
    "건당 진료비": [
        "{ent}의 건당 진료비는 얼마인가요?",
        "{ent} 명세서 건당 진료비 알려줘",
        "{ent}에서 청구 건당 진료비는?",
    ],
}
FOLLOWUP = [  # after the previous question (in the record's input): only what changes is said
    "그럼 {b_topic}?",
    "{b_topic}?",
    "{b}의 경우는?",
    "그러면 {b_topic} 어때?",
    "{b}도 알려줘",
]
DEFINE = [
    "{t_topic} 무엇인가요?",
    "{t}의 뜻을 알려줘",
    "{t_topic} 무슨 의미야?",
    "HIRA 통계에서 {t_topic} 어떤 개념인가요?",
]


_SIDO_WORD = re.compile(r"(?<![가-힣])(" + "|".join(SIDO_FULL) + r")(?![가-힣])")
_DECADE_BAND = re.compile(r"(?<!\d)([1-9])0~(?:\1)9세")


def colloquial(question: str, rng: random.Random, names: dict[str, str] | None = None) -> str:
    """How people type it: 시도 in their other forms (서울특별시, 경상북도, 강원특별자치도), a disease by its
    name from a code master (alone or with its code), a code without '상병코드', decade bands as '20대',
    the odd missing space after a year."""
    q = _SIDO_WORD.sub(
        lambda m: rng.choice(SIDO_FULL[m.group(1)]) if rng.random() < 0.4 else m.group(1), question
    )

    pairs = {"은": "은/는", "는": "은/는", "이": "이/가", "가": "이/가", "을": "을/를", "를": "을/를"}
    pairs |= {"과": "과/와", "와": "과/와"}

    def code(m: re.Match[str]) -> str:
        c, particle = m.group(1), m.group(2)
        if names and c in names and rng.random() < 0.5:
            noun = rng.choice((names[c], f"{names[c]}({c})"))
        else:
            noun = rng.choice((c, f"{c} 질환", f"상병코드 {c}"))
        if particle in pairs:  # the particle follows the new word
            return josa(noun, pairs[particle])
        return noun + (particle or "")

    q = re.sub(r"상병코드 ([A-Z]\d{2})(은|는|이|가|을|를|과|와|의|에서|에)?(?![가-힣])", code, q)
    q = _DECADE_BAND.sub(lambda m: f"{m.group(1)}0대" if rng.random() < 0.6 else m.group(0), q)
    if rng.random() < 0.15:
        q = re.sub(r"(\d{4}년) ", r"\1", q, count=1)
    return q


def fill(template: str, rng: random.Random, **kw: Any) -> str:
    """Fill a template; m/m_topic/m_subj/m_obj and t variants get the right particles."""
    if "m" in kw:
        m = spaced(kw["m"], rng)
        kw.update(m=m, m_topic=josa(m, "은/는"), m_subj=josa(m, "이/가"), m_obj=josa(m, "을/를"))
    if "t" in kw:
        kw["t_topic"] = josa(kw["t"], "은/는") if kw["t"][-1] != ")" else kw["t"] + "는"
    if "dim" in kw:
        kw["dim_obj"] = josa(kw["dim"], "을/를")
        kw["dim_by"] = by(kw["dim"])
    if "b" in kw:
        kw["b_topic"] = josa(kw["b"], "은/는")
    if "a" in kw:
        kw["a_and"] = josa(kw["a"], "과/와")
        kw["a_subj"] = josa(kw["a"], "이/가")
    if "cnt" not in kw:
        kw["cnt"] = "얼마"
    text = template.format(**kw)
    return " ".join(text.split())
