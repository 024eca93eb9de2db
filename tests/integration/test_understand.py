"""Question understanding against the real store's lexicon: entities, measures, types, unknown words."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from hirachat.answer.lexicon import Lexicon
from hirachat.answer.understand import understand
from hirachat.data.store import FactStore


@pytest.fixture(scope="module")
def lex(real_store: Path) -> Iterator[Lexicon]:
    with FactStore.open(real_store, read_only=True) as s:
        yield Lexicon.build(s)


def ents(it: object) -> set[tuple[str, str]]:
    return {(e.dim, e.value) for e in it.entities}  # type: ignore[attr-defined]


def test_entities_aliases_and_longest_match(lex: Lexicon) -> None:
    it = understand("2017년 서울특별시 정형외과와 전라북도 신경외과 소아과", lex)
    assert {
        ("시도", "서울"),
        ("진료과목", "정형외과"),
        ("시도", "전북"),
        ("진료과목", "신경외과"),
        ("진료과목", "소아청소년과"),
    } <= ents(it)
    assert ("진료과목", "외과") not in ents(it)


def test_measure_words_win_over_values_inside_them(lex: Lexicon) -> None:
    it = understand("2023년 J20 남성 입원 1인당 입원일수", lex)
    assert (
        it.formula is not None
        and (it.formula["a"], it.formula["b"]) == ("입내원일수", "환자수")
        and ("입원외래구분", "입원") in ents(it)
        and ("주상병코드", "J20") in ents(it)
    )


def test_types_and_parameters(lex: Lexicon) -> None:
    assert understand("서울 안과 환자수 2013년 대비 2017년 증감률", lex).qtype == "change"
    it = understand("2014년 마취통증의학과의 시도별 환자 수 순위에서 1위부터 3위까지 알려주세요.", lex)
    assert (it.qtype, it.k, it.over) == ("ranking", 3, "시도")
    assert understand("2017년 내과 진료비가 가장 적은 시도는?", lex).lowest
    assert understand("보험자부담률이란 무엇인가요?", lex).qtype == "definition"


def test_relative_years_follow_today(lex: Lexicon) -> None:
    assert understand("작년 서울 내과 환자수", lex, today=date(2026, 11, 24)).years == [2025]
    assert understand("올해 서울 내과 환자수", lex, today=date(2020, 1, 1)).years == [2020]


def test_words_the_data_cannot_account_for_are_reported(lex: Lexicon) -> None:
    assert understand("2023년 MRI 검사 건수는?", lex).unknown == ["MRI", "검사"]
    assert "기관지염" in understand("2023년 급성 기관지염 환자수", lex).unknown
    assert understand("2019년 우리나라 내과 환자수 좀 알려줄래?", lex).unknown == []
