"""Grounded answering on the real files: hand-written questions, answers checked against raw values.

The questions are written here in everyday Korean (not produced by the dataset templates); expected
figures are computed in the tests from the raw CSV/XLSX files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hirachat.answer.service import AskService
from hirachat.config import InferenceConfig


def n(x: float) -> str:
    return f"{int(x):,}"


def pct(a: float, b: float) -> str:
    from decimal import ROUND_HALF_UP, Decimal

    return str(Decimal(repr(a / b * 100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) + "%"


@pytest.fixture(scope="module")
def svc(real_store: Path) -> Iterator[AskService]:
    with AskService(real_store, InferenceConfig()) as s:
        yield s


Expect = Callable[[Any, Any, Any, Any], list[str]]

# question → strings the answer must contain, computed from the raw files (dept, sex, kcd_dept, inst)
ANSWERABLE: list[tuple[str, str, Expect]] = [
    (
        "lookup",
        "2019년 서울 내과 환자수는 몇 명인가요?",
        lambda d, s, k, i: [n(d[(2019, "서울", "내과")]["환자수"]) + "명"],
    ),
    (
        "lookup",
        "2014년도 부산 정형외과의 요양급여비용총액 알려줘",
        lambda d, s, k, i: [n(d[(2014, "부산", "정형외과")]["요양급여비용총액"]) + "원"],
    ),
    (
        "lookup",
        "2016년 경기 소아과 진료 인원은?",
        lambda d, s, k, i: [n(d[(2016, "경기", "소아청소년과")]["환자수"])],
    ),
    (
        "lookup",
        "2023년 J20 여자 외래 명세서 건수",
        lambda d, s, k, i: [n(s[("J20", "여", "외래")]["명세서청구건수"]) + "건"],
    ),
    (
        "lookup",
        "2023년에 내과에서 상병코드 K29로 진료받은 환자 수",
        lambda d, s, k, i: [n(k[("내과", "K29")]["환자수"])],
    ),
    (
        "lookup",
        "전라북도 김제시 약국은 몇 곳인가요?",
        lambda d, s, k, i: [n(i["전라북도 김제시"]["약국"]) + "개소"],
    ),
    ("lookup", "서울특별시 요양기관 수 알려줘", lambda d, s, k, i: [n(i["서울특별시"]["계"]) + "개소"]),
    (
        "lookup",
        "2019년 제주 피부과 입내원일수",
        lambda d, s, k, i: [n(d[(2019, "제주", "피부과")]["입내원일수"]) + "일"],
    ),
    (
        "sum",
        "2013년 내과 진료비를 시도별로 모두 합하면?",
        lambda d, s, k, i: [
            n(sum(v["요양급여비용총액"] for (y, _, dp), v in d.items() if y == 2013 and dp == "내과"))
        ],
    ),
    (
        "sum",
        "2023년 J45 남성 청구건수 총합",
        lambda d, s, k, i: [
            n(s[("J45", "남", "입원")]["명세서청구건수"] + s[("J45", "남", "외래")]["명세서청구건수"])
        ],
    ),
    (
        "sum",
        "2017년 서울 전체 진료과목 보험자부담금 합계는 얼마야",
        lambda d, s, k, i: [
            n(sum(v["보험자부담금"] for (y, sd, _), v in d.items() if y == 2017 and sd == "서울"))
        ],
    ),
    (
        "ranking",
        "2019년 내과 환자가 가장 많은 지역은 어디야?",
        lambda d, s, k, i: [
            max(((v["환자수"], sd) for (y, sd, dp), v in d.items() if y == 2019 and dp == "내과"))[1],
            n(max(v["환자수"] for (y, _, dp), v in d.items() if y == 2019 and dp == "내과")),
        ],
    ),
    (
        "ranking",
        "2023년 J20 진료비 상위 3개 진료과목",
        lambda d, s, k, i: [
            f"{r + 1}위 {dp} {n(v)}원"
            for r, (v, dp) in enumerate(
                sorted(
                    ((x["요양급여비용총액"], dp) for (dp, c), x in k.items() if c == "J20"),
                    key=lambda t: (-t[0], t[1]),
                )[:3]
            )
        ],
    ),
    (
        "ranking",
        "2015년 부산에서 청구건수가 제일 많은 진료과목은?",
        lambda d, s, k, i: [
            max((v["명세서청구건수"], dp) for (y, sd, dp), v in d.items() if y == 2015 and sd == "부산")[1]
        ],
    ),
    (
        "ranking",
        "2019년 내과 진료비 하위 3개 시도",
        lambda d, s, k, i: [
            f"{r + 1}위 {sd} {n(v)}원"
            for r, (v, sd) in enumerate(
                sorted(
                    (x["요양급여비용총액"], sd) for (y, sd, dp), x in d.items() if y == 2019 and dp == "내과"
                )[:3]
            )
        ],
    ),
    (
        "comparison",
        "2016년 안과 환자수, 서울이랑 부산 중 어디가 더 많아?",
        lambda d, s, k, i: [
            n(d[(2016, "서울", "안과")]["환자수"]),
            n(d[(2016, "부산", "안과")]["환자수"]),
            n(d[(2016, "서울", "안과")]["환자수"] - d[(2016, "부산", "안과")]["환자수"]),
        ],
    ),
    (
        "comparison",
        "2023년 I10 남성과 여성 외래 진료비 비교",
        lambda d, s, k, i: [
            n(s[("I10", "남", "외래")]["요양급여비용총액"]),
            n(s[("I10", "여", "외래")]["요양급여비용총액"]),
        ],
    ),
    (
        "change",
        "경기 내과 진료비 2013년 대비 2019년 증감률은?",
        lambda d, s, k, i: [
            pct(
                d[(2019, "경기", "내과")]["요양급여비용총액"] - d[(2013, "경기", "내과")]["요양급여비용총액"],
                d[(2013, "경기", "내과")]["요양급여비용총액"],
            )
        ],
    ),
    (
        "change",
        "2017년 서울 정형외과 환자수는 전년 대비 얼마나 변했어?",
        lambda d, s, k, i: [
            f"{d[(2017, '서울', '정형외과')]['환자수'] - d[(2016, '서울', '정형외과')]['환자수']:+,}명"
        ],
    ),
    (
        "ratio",
        "2019년 서울 내과 보험자부담률",
        lambda d, s, k, i: [
            pct(d[(2019, "서울", "내과")]["보험자부담금"], d[(2019, "서울", "내과")]["요양급여비용총액"])
        ],
    ),
    (
        "ratio",
        "2023년 J20 남성 입원의 공단부담률은 몇 퍼센트야?",
        lambda d, s, k, i: [
            pct(s[("J20", "남", "입원")]["보험자부담금"], s[("J20", "남", "입원")]["요양급여비용총액"])
        ],
    ),
    (
        "share",
        "2019년 서울 진료비 중 내과 비중은?",
        lambda d, s, k, i: [
            pct(
                d[(2019, "서울", "내과")]["요양급여비용총액"],
                sum(v["요양급여비용총액"] for (y, sd, _), v in d.items() if y == 2019 and sd == "서울"),
            )
        ],
    ),
    (
        "derived",
        "2019년 부산 안과 본인부담금은?",
        lambda d, s, k, i: [
            n(d[(2019, "부산", "안과")]["요양급여비용총액"] - d[(2019, "부산", "안과")]["보험자부담금"])
            + "원"
        ],
    ),
    (
        "derived",
        "2019년 서울 내과 환자 1인당 진료비 알려줘",
        lambda d, s, k, i: [
            n(int(d[(2019, "서울", "내과")]["요양급여비용총액"] / d[(2019, "서울", "내과")]["환자수"] + 0.5))
            + "원"
        ],
    ),
    ("definition", "본인부담금이 뭐야?", lambda d, s, k, i: ["보험자부담금을 뺀"]),
]

UNANSWERABLE = [
    ("year", "2030년 서울 내과 환자수는?"),
    ("drift", "2015년 서울 내과 입내원일수 알려줘"),
    ("entity", "2023년 U98 환자수 알려줘"),
    ("dimension", "2023년 부산 J20 환자수는?"),
    ("measure", "2019년 서울 내과 의료행위 총사용량은?"),
    ("year", "2012년 부산 안과 진료비는 얼마였어?"),
    ("year", "2024년 1분기 서울 의원 수는?"),
    ("ambiguous", "2019"),
]


@pytest.mark.parametrize(("qtype", "question", "expect"), ANSWERABLE, ids=[q for _, q, _ in ANSWERABLE])
def test_answers_match_the_raw_files(
    svc: AskService,
    raw_dept: Any,
    raw_sex: Any,
    raw_kcd_dept: Any,
    raw_inst: Any,
    qtype: str,
    question: str,
    expect: Expect,
) -> None:
    res = svc.ask(question)
    assert not res["abstained"], res["answer"]
    assert res["qtype"] == qtype
    for must in expect(raw_dept, raw_sex, raw_kcd_dept, raw_inst):
        assert must in res["answer"], (must, res["answer"])
    if qtype != "definition":
        assert res["sources"] and all(s["file"] and s["row"] for s in res["sources"])
        assert "출처: 건강보험심사평가원" in res["answer"]


@pytest.mark.parametrize(("reason", "question"), UNANSWERABLE, ids=[q for _, q in UNANSWERABLE])
def test_unanswerable_questions_abstain_without_numbers(
    svc: AskService, real_dir: Path, reason: str, question: str
) -> None:
    assert "U98" not in (real_dir / "hira_kcd3_by_sex_inout_2023.csv").read_text(encoding="utf-8")
    res = svc.ask(question)
    assert res["abstained"] and res["reason"] == reason, res["answer"]
    assert "자료가 없습니다" in res["answer"] or "없어" in res["answer"]
    text = re.sub(r"「[^」]*」", "", res["answer"].split("비슷한 자료:")[0])  # titles may hold digits (kcd3)
    numbers = {int(x) for x in re.findall(r"\d+", re.sub(r"[A-Z]\d+", "", text))}
    periods = {int(y) for y in re.findall(r"(\d{4})년", text)} | {
        int(q) for q in re.findall(r"(\d)분기", text)
    }
    assert numbers <= periods, text  # the only numbers are periods (asked, or held by the table)
    assert not res["sources"]


def test_patient_sums_carry_the_overcount_note(svc: AskService, raw_sex: Any) -> None:
    res = svc.ask("2023년 J45 환자수 합계는?")
    assert "실제 환자 수보다 많을 수 있습니다" in res["answer"]


def test_json_fields_and_query(svc: AskService) -> None:
    res = svc.ask("2019년 서울 내과 진료비")
    assert {"answer", "abstained", "sources", "query", "engine", "latency_ms"} <= set(res)
    assert res["engine"] == "grounded" and res["query"]["filters"]["시도"] == ["서울"]
    assert res["sources"][0]["row"] >= 2 and res["sources"][0]["measure"] == "요양급여비용총액"
