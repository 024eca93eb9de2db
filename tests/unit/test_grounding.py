from typing import Any

from hirachat.grounding import ungrounded


def fact(fid: str, value: float, **dims: Any) -> dict[str, Any]:
    return {"fact_id": fid, "value": value, "dims": {"진료년도": 2019, **dims}}


FACTS = [fact("a", 2_931_188, 진료과목="내과"), fact("b", 1_367_091, 진료과목="정형외과")]


def test_facts_years_and_recomputed_figures_pass() -> None:
    derived = [
        {"op": "sum", "id": "s", "of": ["a", "b"], "value": 4_298_279},
        {"op": "share", "of": ["a", "a", "b"], "value": 2_931_188 / 4_298_279 * 100},
    ]
    text = "2019년 내과 2,931,188명, 합계 4,298,279명, 비중 68.19%"
    assert ungrounded(text, FACTS, derived) is None


def test_an_invented_number_is_caught() -> None:
    assert "3,000,000" in (ungrounded("2019년 내과 환자는 3,000,000명", FACTS) or "")


def test_a_forged_derivation_is_caught() -> None:
    derived = [{"op": "sum", "id": "s", "of": ["a", "b"], "value": 5_000_000}]
    assert "does not follow" in (ungrounded("합계 5,000,000명", FACTS, derived) or "")


def test_chained_figures_use_earlier_ids() -> None:
    derived = [
        {"op": "sum", "id": "s1", "of": ["a", "b"], "value": 4_298_279},
        {"op": "diff", "of": ["s1", "b"], "value": 2_931_188},
    ]
    assert ungrounded("차이 2,931,188명", FACTS, derived) is None
    bad = [{"op": "diff", "of": ["nope", "b"], "value": 1}]
    assert "neither a fact" in (ungrounded("1", FACTS, bad) or "")


def test_about_allows_the_significant_digits_written_and_no_more() -> None:
    assert ungrounded("약 293만 명", FACTS) is None
    assert ungrounded("약 2.9백만 명", FACTS) is None  # 백만: a million, two significant digits
    assert ungrounded("약 3.5백만 명", FACTS) is not None  # about, but not about any fact
    assert ungrounded("293만 명", FACTS) is not None  # without 약, a rounded figure is not the fact


def test_digits_inside_names_are_not_numbers() -> None:
    assert ungrounded("「hira kcd3」 상병코드 J20 내과 2,931,188명", FACTS, strip=["hira kcd3"]) is None
