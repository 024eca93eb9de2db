import numpy as np
import pandas as pd

from hirachat.data.normalize import (
    norm_category,
    parse_numbers,
    read_header,
    split_region,
    unit_in_text,
    units_in_text,
)
from hirachat.korean import josa, ro


def test_header_synonyms_spacing_and_selective() -> None:
    assert read_header("명세서 청구건수").canonical == "명세서청구건수"
    assert read_header("명세서건수").canonical == "명세서청구건수"
    h = read_header("요양급여비용총액(선별포함)")
    assert (h.canonical, h.kind, h.selective) == ("요양급여비용총액", "measure", True)
    assert read_header(" 진료실인원(명) ").canonical == "환자수"
    assert read_header("공단부담금(천원)").unit == "천원"
    assert read_header("요양기관종별").canonical == "종별"


def test_regions_short_full_legacy_and_district() -> None:
    assert split_region("서울특별시") == ("서울", None)
    assert split_region("강원특별자치도") == ("강원", None)
    assert split_region("전라북도 김제시") == ("전북", "김제시")
    assert split_region("경기도 수원시 장안구") == ("경기", "수원시 장안구")
    assert split_region("세종") == ("세종", None)
    assert norm_category(" 합계 ") == "계"


def test_numbers_trailing_spaces_blank_scientific_and_garbage() -> None:
    pc = parse_numbers(pd.Series(["5 ", "1,234", "", "1.79E+11", "abc", None]), blank_as_zero=False)
    assert pc.values[0] == 5 and pc.values[1] == 1234 and np.isnan(pc.values[2])
    assert pc.values[3] == 1.79e11 and pc.approx.tolist() == [False, False, False, True, False, False]
    assert pc.invalid.tolist() == [False, False, False, False, True, False]
    zero = parse_numbers(pd.Series(["", None, "-", "*", "x", "12"]), blank_as_zero=True)
    # a blank cell of a portal export is 0; '-', '*', 'x' are cells the portal does not publish: never 0
    assert zero.values[:2].tolist() == [0.0, 0.0] and np.isnan(zero.values[2:5]).all()
    assert zero.suppressed is not None and zero.suppressed.tolist() == [False, False, True, True, True, False]
    assert not zero.invalid.any()


def test_units_listed_once_in_a_title() -> None:
    assert units_in_text("질병 통계 (단위_명, 일, 건, 천원)") == ["명", "일", "건", "천원"]
    assert units_in_text("(단위: 천원)") == ["천원"]
    assert units_in_text("요양기관 현황") == []


def test_unit_in_title() -> None:
    assert unit_in_text("기관수현황_지역별종별요양기관수현황(단위_개소)_2024년4분기") == "개소"
    assert unit_in_text("(단위: 천원)") == "천원"


def test_particles_follow_the_last_syllable() -> None:
    assert josa("진료비", "은/는") == "진료비는" and josa("보험자부담금", "은/는") == "보험자부담금은"
    assert (
        josa("경남", "과/와") == "경남과"
        and josa("서울", "과/와") == "서울과"
        and josa("부산", "이/가") == "부산이"
    )
    assert ro("817명") == "817명으로" and ro("경기") == "경기로" and ro("서울") == "서울로"
