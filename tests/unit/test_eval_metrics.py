"""Metrics on hand-written Korean answers, including tricky number formats and right-words-wrong-numbers."""

from hirachat.eval.metrics import (
    abstains,
    chrf,
    hallucinated,
    key_numbers,
    numeric_exact,
    rouge_l_chars,
    score,
)

REF = (
    "2019년 서울 내과의 요양급여비용총액은 4,138,941,095,200원입니다.\n출처: 건강보험심사평가원 「표」 2019년"
)


def test_compound_korean_amount_counts_as_the_same_figure() -> None:
    assert numeric_exact("서울 내과 진료비는 4조 1,389억 4,109만 5,200원이에요", REF)
    assert numeric_exact("4138941095200원", REF)


def test_right_words_wrong_number_is_wrong_and_hallucinated() -> None:
    wrong = "2019년 서울 내과의 요양급여비용총액은 4,138,941,095,300원입니다."
    assert not numeric_exact(wrong, REF)
    assert hallucinated(wrong, REF) == ["4,138,941,095,300"]
    assert chrf(wrong, REF.split("출처:")[0]) > 0.8  # text metrics alone would call it almost perfect


def test_years_quarters_and_codes_are_not_figures() -> None:
    assert [n.value for n in key_numbers("2023년 4분기 상병코드 J20.9의 환자수는 1,234명")] == [1234]


def test_percent_and_decimals_at_written_precision() -> None:
    ref = "보험자부담률은 78.74%입니다."
    assert numeric_exact("약 78.74%", ref) and not numeric_exact("78.7%", ref)
    assert hallucinated("78.74%이고 1.5배", ref) == ["1.5"]
    assert hallucinated("78.74%이고 1.5배", ref, facts=[1.5]) == []


def test_abstention_and_scoring() -> None:
    no = "죄송하지만 해당 질문에 답할 자료가 없습니다. 보유 연도는 2013년, 2019년입니다."
    assert abstains(no) and not abstains(REF)
    s = score(no, no, unanswerable=True)
    assert s.correct and s.abstained and not s.hallucinated
    assert not score(REF, no, unanswerable=True).correct  # answering an unanswerable question is wrong
    assert not score(no, REF, unanswerable=False).correct


def test_char_rouge_l() -> None:
    assert rouge_l_chars("서울 내과", "서울내과") == 1.0
    assert 0 < rouge_l_chars("서울 외과", "서울 내과") < 1
    assert rouge_l_chars("", "서울") == 0.0
