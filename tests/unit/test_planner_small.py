"""The planner on a 10-row store: each question's constraints applied, or named in the abstention (fast tier)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hirachat.answer.service import AskService
from hirachat.config import DataConfig, InferenceConfig
from hirachat.data.ingest import ingest

ROWS = [  # 진료년도, 시도, 진료과목, 환자수, 요양급여비용총액
    (2022, "서울", "내과", 1200, 91000000),
    (2022, "서울", "외과", 300, 45000000),
    (2022, "부산", "내과", 700, 52000000),
    (2022, "부산", "외과", 150, 21000000),
    (2022, "대구", "내과", 500, 33000000),
    (2023, "서울", "내과", 1300, 99000000),
    (2023, "서울", "외과", 320, 47000000),
    (2023, "부산", "내과", 650, 50000000),
    (2023, "부산", "외과", 160, 22000000),
    (2023, "대구", "내과", 540, 36000000),
]


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AskService]:
    root = tmp_path_factory.mktemp("small")
    csv = root / "small_dept_by_sido.csv"
    lines = ["진료년도,시도,진료과목,환자수,요양급여비용총액", *(",".join(map(str, r)) for r in ROWS)]
    csv.write_text("\n".join(lines), encoding="utf-8")
    (rep,) = ingest([csv], root / "store", DataConfig(), root / "raw")
    assert rep.status == "stored" and rep.rows_stored == 10, rep.line()
    with AskService(root / "store", InferenceConfig(), "grounded", hints=0) as s:
        yield s


def figure(n: int) -> str:
    return f"{n:,}"


def test_a_lookup_applies_every_constraint(svc: AskService) -> None:
    res = svc.ask("2023년 부산 외과 환자수는?")
    assert not res["abstained"] and figure(160) in res["answer"]


def test_a_sum_over_a_dimension_is_computed_from_the_rows(svc: AskService) -> None:
    res = svc.ask("2022년 서울 진료비 합계는?")
    want = sum(r[4] for r in ROWS if r[0] == 2022 and r[1] == "서울")
    assert not res["abstained"] and f"{figure(want)}원" in res["answer"]


def test_a_ranking_orders_the_rows(svc: AskService) -> None:
    res = svc.ask("2023년 내과 환자수가 가장 많은 시도는?")
    top = max((r for r in ROWS if r[0] == 2023 and r[2] == "내과"), key=lambda r: r[3])
    assert not res["abstained"] and f"{top[1]}({figure(top[3])}명)" in res["answer"]


def test_a_constraint_the_table_lacks_is_named_not_dropped(svc: AskService) -> None:
    res = svc.ask("2023년 서울 내과 20대 환자수는?")
    assert res["abstained"]
    assert "'20대' 조건을 적용할 수 없습니다" in res["answer"]
    assert figure(1300) not in res["answer"]


def test_a_year_the_table_lacks_is_said(svc: AskService) -> None:
    res = svc.ask("2019년 서울 내과 환자수는?")
    assert res["abstained"] and "2019" in res["answer"] and figure(1200) not in res["answer"]


def test_a_term_from_the_users_vocabulary_file_is_defined(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One vocabulary everywhere: a glossary term a workspace's vocab.yaml adds is understood and answered
    (the planner once looked it up in the packaged file only: KeyError)."""
    from hirachat.vocab.load import use_user_file

    root = tmp_path_factory.mktemp("vocab")
    csv = root / "small_dept_by_sido.csv"
    csv.write_text("진료년도,시도,진료과목,환자수\n2022,서울,내과,1200\n", encoding="utf-8")
    ingest([csv], root / "store", DataConfig(), root / "raw")
    f = root / "vocab.yaml"
    f.write_text("terms:\n  내원율: 인구 천 명당 의료기관을 찾은 사람의 수입니다.\n", encoding="utf-8")
    use_user_file(f)
    try:
        with AskService(root / "store", InferenceConfig(), "grounded", hints=0) as s:
            res = s.ask("내원율이 무슨 뜻이야?")
    finally:
        use_user_file(None)
    assert not res["abstained"] and "인구 천 명당" in res["answer"]
