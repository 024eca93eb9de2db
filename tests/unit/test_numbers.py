from hirachat.numbers import extract_numbers, format_compound, format_percent, format_value


def values(text: str) -> list[float]:
    return [n.value for n in extract_numbers(text)]


def test_compound_korean_amount_is_one_number() -> None:
    assert values("총 3조 6,583억 117만 3,310원입니다") == [3_658_301_173_310]


def test_commas_decimals_percent_and_sign() -> None:
    nums = extract_numbers("환자 1,234명, 증감률 -3.20%, 비율 80.5퍼센트")
    assert [(n.value, n.percent, n.decimals) for n in nums] == [
        (1234, False, 0),
        (-3.2, True, 2),
        (80.5, True, 1),
    ]


def test_codes_are_not_numbers() -> None:
    assert values("상병코드 J20.9와 A08, 행위코드 HA010") == []


def test_scientific_notation_and_units_with_cheon() -> None:
    assert values("1.79E+11원") == [1.79e11]
    assert values("약 3천만 원, 1.5억 원") == [30_000_000, 150_000_000]


def test_format_round_trips_through_parse() -> None:
    text = format_value(2_209_852_216_590, "원")
    assert text == "2,209,852,216,590원(2조 2,098억 5,221만 6,590원)"
    assert values(text) == [2_209_852_216_590, 2_209_852_216_590]
    assert format_compound(100_000_000) == "1억"


def test_matches_respects_written_precision() -> None:
    (n,) = extract_numbers("80.46%")
    assert n.matches(80.456) and not n.matches(80.44)
    assert format_percent(0.804561) == "80.46%"
