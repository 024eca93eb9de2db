"""Every constraint in a question is applied, or the answer abstains naming it (issue: answers that generalise).

Real store (../shared) for places, quarters, statistics, formulas and follow-ups; a crafted age table
(10-year bands, as HIRA's 연령군 tables publish them) for age words, checked against sums of its raw rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from hirachat.answer.service import AskService
from hirachat.config import DataConfig, InferenceConfig
from hirachat.data.ingest import ingest
from hirachat.grounding import ungrounded

BANDS = [f"{d}~{d + 9}세" for d in range(0, 80, 10)] + ["80세이상"]


@pytest.fixture(scope="module")
def svc(real_store: Path) -> Iterator[AskService]:
    with AskService(real_store, InferenceConfig(), "grounded", None, 0) as s:
        yield s


@pytest.fixture(scope="module")
def age_rows(tmp_path_factory: pytest.TempPathFactory, real_dir: Path) -> tuple[Path, list[dict[str, str]]]:
    root = tmp_path_factory.mktemp("ages")
    rows = []
    for code_i, code in enumerate(("J20", "I10")):
        for sex_i, sex in enumerate(("남", "여")):
            for band_i, band in enumerate(BANDS):
                n = 1000 + 37 * band_i + 11 * sex_i + 500 * code_i
                rows.append(
                    {
                        "진료년도": "2022",
                        "주상병코드": code,
                        "성별": sex,
                        "연령군": band,
                        "환자수": str(n),
                        "요양급여비용총액": str(n * 1234),
                    }
                )
    path = root / "주부상병_성별_연령군별_2022.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    store = root / "store"
    ingest(
        [path, real_dir / "hira_dept_by_sido_cost_hospital_level_2019.csv"], store, DataConfig(), root / "raw"
    )
    return store, rows


def _sum(rows: list[dict[str, str]], measure: str, **where: object) -> int:
    def ok(r: dict[str, str]) -> bool:
        return all((r[k] in v) if isinstance(v, list | tuple) else r[k] == v for k, v in where.items())

    return sum(int(r[measure]) for r in rows if ok(r))


def test_age_words_are_applied_as_the_tables_own_bands(age_rows: tuple[Path, list[dict[str, str]]]) -> None:
    store, rows = age_rows
    with AskService(store, InferenceConfig(), "grounded", None, 0) as s:
        r = s.ask("2022년 J20 20대 여성 환자수")
        assert (
            not r["abstained"]
            and f"{_sum(rows, '환자수', 주상병코드='J20', 성별='여', 연령군='20~29세'):,}" in r["answer"]
        )
        assert "20대" in r["interpretation"] and "20~29세" in r["interpretation"]
        r = s.ask("2022년 I10 60대 이상 남성 진료비")
        want = _sum(
            rows, "요양급여비용총액", 주상병코드="I10", 성별="남", 연령군=["60~69세", "70~79세", "80세이상"]
        )
        assert not r["abstained"] and f"{want:,}" in r["answer"]
        r = s.ask("2022년 J20 10세 미만 환자수")
        assert f"{_sum(rows, '환자수', 주상병코드='J20', 연령군='0~9세'):,}" in r["answer"]
        # bands that do not align: abstain and list the table's bands, never an overlapping sum
        r = s.ask("2022년 J20 65세 이상 환자수")
        assert r["abstained"] and r["reason"] == "age" and "60~69세" in r["answer"]
        # a named group without a fixed range is named, not dropped
        r = s.ask("2022년 J20 청소년 환자수")
        assert r["abstained"] and "청소년" in r["answer"]
        # an age asked of a table without ages: the table says so, no figure
        r = s.ask("2019년 서울 내과 20대 환자수")
        assert r["abstained"] and "연령 구분이 없어" in r["answer"] and "20대" in r["answer"]


@pytest.mark.parametrize(
    ("question", "reason", "named"),
    [
        ("2019년 서울 내과 3분기 진료비", "dimension", "분기"),
        ("2019년 서울 내과 환자 평균 연령", "statistic", "평균"),
        ("2023년 J20 사망률", "statistic", "사망률"),
        ("해운대구 의원 수", "entity", "해운대구"),
        ("광주 북구 의원 수", "entity", "광주 북구"),
        ("2019년 서울 내과 3월 진료비", "period", "3월"),
        ("2023년 J209 환자수", "entity", "J209"),
        ("2023년 J20 부산 환자수", "dimension", "부산"),
        ("2017년 제주 의원급 내과 진료비", "scope", "의원급"),
        ("2023년 J20 진료비 시도별 순위", "dimension", "시도"),
    ],
)
def test_a_constraint_that_cannot_be_applied_is_named(
    svc: AskService, question: str, reason: str, named: str
) -> None:
    r = svc.ask(question)
    assert r["abstained"], r["answer"]
    assert r["reason"] == reason and named in r["answer"] + r["interpretation"]
    assert r["interpretation"].startswith("이해한 질문:")


def test_places_as_people_say_them(svc: AskService, raw_inst: dict[str, dict[str, int]]) -> None:
    want = raw_inst["경기도 성남시 분당구"]["의원"]
    for q in ("성남시 분당구 의원 수", "성남분당구 의원 몇 개", "분당구 의원 수", "경기 성남 분당구 의원 수"):
        r = svc.ask(q)
        assert not r["abstained"] and f"{want:,}개소" in r["answer"], (q, r["answer"])
    r = svc.ask("2019년 경북 내과 환자수")  # 경북 = 경상북도, short form
    assert not r["abstained"] and "경북" in r["interpretation"]


def test_figures_by_formula_state_their_formula(svc: AskService, raw_dept: object) -> None:
    r = svc.ask("2019년 서울 내과 일당 진료비는?")
    assert not r["abstained"] and "÷ 입내원일수" in r["answer"] and "입내원일수" in r["interpretation"]
    r = svc.ask("2019년 울산 내과 환자 1인당 본인부담금")
    assert not r["abstained"] and "본인부담금" in r["answer"] and "÷ 환자수" in r["answer"]
    r = svc.ask("2019년 서울의 보험자부담금은 요양급여비용총액의 몇 %야?")
    assert (
        not r["abstained"] and "보험자부담금 ÷ 요양급여비용총액" in r["interpretation"] and "%" in r["answer"]
    )
    r = svc.ask("2019년 서울 진료비 대비 공단부담금 비율")
    assert "보험자부담금 ÷ 요양급여비용총액" in r["interpretation"]


def test_a_dimension_named_for_a_share_gives_every_values_share(svc: AskService, raw_sex: dict) -> None:
    """'남녀 비율' is the split by sex within the code, never the code's share of all codes."""
    men = sum(raw_sex[("J20", "남", io)]["환자수"] for io in ("입원", "외래"))
    women = sum(raw_sex[("J20", "여", io)]["환자수"] for io in ("입원", "외래"))
    for q in ("2023년 J20 환자 남녀 비율", "J20 환자수 성별 비중"):
        r = svc.ask(q)
        assert not r["abstained"] and "성별" in r["interpretation"], q
        assert f"{men:,}명({men / (men + women) * 100:.2f}%)" in r["answer"]
        assert f"{women:,}명({women / (men + women) * 100:.2f}%)" in r["answer"]
    plan = svc.plan("J20 남녀 비율")
    assert ungrounded(plan.answer.split("\n출처:")[0], plan.facts, plan.derived, [2023.0]) is None


def test_follow_ups_carry_the_previous_reading(svc: AskService) -> None:
    first = svc.plan("2019년 서울 내과 환자수는?")
    follow = svc.plan("그럼 부산은?", first.intent)
    assert not follow.abstained
    assert [f["dims"]["시도"] for f in follow.facts] == ["부산"]
    assert {f["dims"]["진료과목"] for f in follow.facts} == {"내과"} and {
        f["measure"] for f in follow.facts
    } == {"환자수"}
    assert "이어받음" in follow.interpretation and "내과" in follow.interpretation
    again = svc.plan("2017년은?", follow.intent)
    assert {f["dims"]["진료년도"] for f in again.facts} == {2017} and {
        f["dims"]["시도"] for f in again.facts
    } == {"부산"}
    top = svc.plan_turns(["2019년 서울 진료과목별 환자수 순위", "상위 5개는?"])
    assert top.query["k"] == 5 and top.query["over"] == "진료과목"
    # a follow-up of a question that could not be answered keeps what could not be applied
    assert svc.plan_turns(["2023년 고혈압 여성 환자수", "남성은?"]).abstained


@pytest.mark.parametrize(
    "question",
    [
        "가" * 500,
        "ㅋㅋㅋ!!! ??? ...",
        "😀😀😀 🏥",
        "!!!???",
        "SELECT * FROM facts; --",
        "ㅁㄴㅇㄹ asdf 😀 ไทย 中文 " * 20,
        "",
    ],
)
def test_noise_gets_a_clear_abstention(svc: AskService, question: str) -> None:
    r = svc.ask(question or " ")
    assert r["abstained"] and r["answer"] and r["reason"]
