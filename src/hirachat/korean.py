"""Korean wording: particles (은/는, 이/가, 을/를, 와/과, 으로/로), labels of measures and dimensions, and
how a dimension value is said ("2019년", "상병코드 J20", "남성"). Used by the answer wording, the planner
and the dataset generator alike, so it sits below all three."""

from __future__ import annotations

import random
from typing import Any

from hirachat.data.vocab import DIMENSION_BY_NAME, MEASURE_BY_NAME

ORDER = (
    "진료년도",
    "분기",
    "월",
    "시도",
    "시군구",
    "종별",
    "진료과목",
    "주상병코드",
    "상병명",
    "행위코드",
    "행위명",
    "성별",
    "입원외래구분",
    "연령군",
)
SEX_WORD = {"남": ("남성", "남자"), "여": ("여성", "여자")}


def has_batchim(word: str) -> bool:
    for ch in reversed(word.strip()):
        if "가" <= ch <= "힣":
            return (ord(ch) - 0xAC00) % 28 != 0
        if ch.isdigit():
            return ch in "013678"
        if ch.isalpha():
            return ch.lower() in "lmnr"
    return False


def josa(word: str, pair: str) -> str:
    """josa('진료비', '은/는') → '진료비는'."""
    with_b, without = pair.split("/")
    return word + (with_b if has_batchim(word) else without)


def ro(phrase: str) -> str:
    """Instrumental particle: '817명' → '817명으로', '1,234원' → '1,234원으로', '경기' → '경기로'."""
    last = phrase.rstrip(" )")[-1]
    if "가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 not in (0, 8):  # 8: ㄹ takes 로
        return phrase + "으로"
    return phrase + "로"


def by(label: str) -> str:
    """'시도' → '시도별'; '성별' stays '성별'."""
    return label if label.endswith("별") else label + "별"


def measure_label(name: str, rng: random.Random) -> str:
    m = MEASURE_BY_NAME.get(name)
    return rng.choice(m.labels) if m else name


def counter(name: str) -> str:
    m = MEASURE_BY_NAME.get(name)
    return m.counter if m else "얼마"


def dim_label(name: str) -> str:
    """'진료과목' → '진료과목'; '주상병코드' → '상병코드'; several dims joined with '·' keep the join."""
    if "·" in name:
        return "·".join(dim_label(n) for n in name.split("·"))
    d = DIMENSION_BY_NAME.get(name)
    return d.label if d else name


def value_phrase(dim: str, value: Any, rng: random.Random | None = None) -> str:
    v = str(value)
    if dim == "진료년도":
        return f"{v}년"
    if dim == "분기":
        return f"{v}분기"
    if dim == "월":
        return f"{int(v)}월" if v.isdigit() else v  # a span: '상반기', '1~3월'
    if dim == "순위" and v.isdigit():
        return f"{v}위"
    if dim == "주상병코드":
        return f"상병코드 {v}" if rng is None or rng.random() < 0.6 else f"{v} 상병"
    if dim == "행위코드":
        return f"행위코드 {v}"
    if dim == "성별":
        words = SEX_WORD.get(v, (v,))
        return words[0] if rng is None else rng.choice(words)
    if dim == "입원외래구분":
        return v
    if dim in DIMENSION_BY_NAME:
        return v
    return f"{dim} {v}"


def entity(dims: dict[str, Any], rng: random.Random | None = None, skip: tuple[str, ...] = ()) -> str:
    """'2019년 서울 내과': dims in a natural order, totals (계) and skipped dims left out."""
    keys = sorted(
        (k for k in dims if k not in skip and str(dims[k]) != "계"),
        key=lambda k: ORDER.index(k) if k in ORDER else len(ORDER),
    )
    return " ".join(value_phrase(k, dims[k], rng) for k in keys)


def spaced(label: str, rng: random.Random) -> str:
    """Spacing variants people type: '환자수' / '환자 수'."""
    if label.endswith("수") and len(label) > 2 and " " not in label and rng.random() < 0.3:
        return label[:-1] + " 수"
    return label
