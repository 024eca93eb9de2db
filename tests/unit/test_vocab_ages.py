"""The vocabulary file (validation, user extension, errors naming file/line/key) and age-band arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest

from hirachat.answer.ages import cover, is_age_dimension, parse_band, parse_question
from hirachat.errors import ConfigError
from hirachat.vocab import load_vocab


def test_packaged_vocabulary_is_valid_and_complete() -> None:
    v = load_vocab()
    assert {m.name for m in v.measures} >= {"환자수", "요양급여비용총액", "보험자부담금", "기관수"}
    assert not v.measure("환자수").additive  # type: ignore[union-attr]
    assert v.formula("본인부담금").op == "diff"  # type: ignore[union-attr]
    assert {p.denominator for p in v.per_unit} >= {"환자수", "명세서청구건수", "입내원일수"}
    assert v.kind_of("연령군") == "age" and v.kind_of("시군구") == "sigungu"


def test_user_file_extends_without_replacing(tmp_path: Path) -> None:
    f = tmp_path / "vocab.yaml"
    f.write_text(
        "measures:\n  - name: 환자수\n    words: [아픈사람]\nstopwords: [거시기]\n", encoding="utf-8"
    )
    v = load_vocab(f)
    m = v.measure("환자수")
    assert m is not None and "아픈사람" in m.words and "환자" in m.words and not m.additive
    assert "거시기" in v.stopwords and "통계" in v.stopwords


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("measures:\n  - name: 환자수\n    colour: red\n", "line 3"),  # unknown key inside an entry
        ("nonsense: 1\n", "unknown key 'nonsense'"),
        (
            "formulas:\n  - name: 이상한값\n    words: [x]\n    op: ratio\n    a: 없는항목\n    b: 환자수\n",
            "없는항목",
        ),
        ("cues:\n  share: '(unclosed'\n", "bad pattern"),
        ("master_kinds:\n  gadget: (x)\n", "unknown master kind"),
        ("master_kinds:\n  drug: '(약'\n", "bad pattern"),
        ("per_unit: [1, 2\n", "not valid YAML"),
    ],
)
def test_bad_user_file_fails_naming_file_line_and_key(tmp_path: Path, text: str, needle: str) -> None:
    f = tmp_path / "vocab.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_vocab(f)
    msg = str(e.value)
    assert str(f) in msg and "line" in msg and needle in msg


def test_table_bands_parse_whatever_their_spelling() -> None:
    assert parse_band("0~9세") == (0, 10)
    assert parse_band("20-24세") == (20, 25)
    assert parse_band("100세이상") == (100, None)
    assert parse_band("85세 이상") == (85, None)
    assert parse_band("1세미만") == (0, 1)
    assert parse_band("03_10~14세") == (10, 15)
    assert parse_band("60_64세") == (60, 65)  # the portal's OLAP spelling: a range, not order 60 + age 64
    assert parse_band("계") is None and parse_band("서울") is None
    assert is_age_dimension({"0~9세", "10~19세", "20~29세", "계"})
    assert not is_age_dimension({"남", "여"})


def test_question_ages_and_named_groups() -> None:
    named = {"노인": (65, None), "청소년": None}
    asks, words = parse_question("20대 여성과 60대 이상, 10세 미만, 65세 이상 노인, 청소년", named)
    assert [a.interval for a in asks][:4] == [(20, 30), (60, None), (0, 10), (65, None)]
    assert (65, None) in [a.interval for a in asks] and words == ["청소년"]
    assert parse_question("20~29세 환자", {})[0][0].interval == (20, 30)
    # a named word inside a stored value (소아 in 소아청소년과) is not an age
    assert parse_question("소아청소년과 환자", {"소아": None}, [(0, 6)]) == ([], [])


def test_cover_is_exact_or_nothing() -> None:
    bands = {f"{d}~{d + 9}세": (d, d + 10) for d in range(0, 80, 10)} | {"80세이상": (80, None)}
    assert cover((20, 30), bands) == ["20~29세"]
    assert cover((60, None), bands) == ["60~69세", "70~79세", "80세이상"]
    assert cover((0, 10), bands) == ["0~9세"]
    assert cover((65, None), bands) is None  # 65 falls inside a band: never a sum of bands that only overlap
    assert cover((20, 25), bands) is None


def test_a_portal_institution_group_column_is_a_jongbyeol_by_its_values() -> None:
    from hirachat.data.kinds import kind_of

    kind = kind_of(["계", "상급종합병원", "종합병원", "병원급", "의원급", "보건기관등"])
    assert kind is not None and kind.dimension == "종별" and (kind.matched, kind.of) == (5, 5)
    mixed = kind_of(["서울", "부산", "의원급"])  # one group name among places is not evidence enough
    assert mixed is None or mixed.kind != "종별"


def test_a_users_file_extends_the_question_words_of_code_masters(tmp_path: Path) -> None:
    """The words a master question uses live in the vocabulary, so a workspace file can add one."""
    f = tmp_path / "vocab.yaml"
    f.write_text(
        "master_words: [상병분류]\ncues:\n  master_count: (몇\\s*개|총\\s*가짓수)\n", encoding="utf-8"
    )
    v = load_vocab(f)
    assert "상병분류" in v.master_words and "KCD" in v.master_words
    assert "가짓수" in v.cues["master_count"] and set(v.master_kinds) == {
        "procedure",
        "drug",
        "disease",
        "atc",
    }
