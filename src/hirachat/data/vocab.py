"""HIRA vocabulary: canonical measures and dimensions, their synonyms, units, and region names.

Everything the normaliser, the QA generator and (later) question understanding need to know about
HIRA's terms lives here, once. Unknown columns are still ingested; this only names what is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MeasureDef:
    name: str  # canonical column name in the store
    unit: str | None
    additive: bool  # False: summing across categories over-counts (환자수)
    synonyms: tuple[str, ...]
    labels: tuple[str, ...]  # how people say it in questions (first = preferred)
    counter: str  # question word: 몇 명 / 몇 건 / 얼마
    definition: str = ""


MEASURES: tuple[MeasureDef, ...] = (
    MeasureDef(
        "환자수",
        "명",
        False,
        ("환자수", "진료실인원", "진료실인원수", "진료인원", "실인원", "환자수(명)"),
        ("환자수", "환자 수", "진료인원", "진료실인원"),
        "몇 명",
        "한 범주(성별, 입원/외래, 진료과목, 지역 등) 안에서 진료를 받은 서로 다른 환자의 수입니다. "
        "한 사람이 여러 범주에 동시에 속할 수 있어 범주 간 합계는 실제 환자 수보다 커질 수 있습니다.",
    ),
    MeasureDef(
        "명세서청구건수",
        "건",
        True,
        ("명세서청구건수", "명세서건수", "청구건수", "명세서수"),
        ("명세서청구건수", "청구건수", "명세서 건수"),
        "몇 건",
        "요양기관이 심사평가원에 청구한 진료비 명세서의 건수입니다.",
    ),
    MeasureDef(
        "입내원일수",
        "일",
        True,
        ("입내원일수", "내원일수", "입원일수및내원일수"),
        ("입내원일수", "내원일수"),
        "며칠",
        "입원일수와 외래 내원일수를 합한 값입니다.",
    ),
    MeasureDef(
        "요양급여비용총액",
        "원",
        True,
        ("요양급여비용총액", "요양급여비용", "총진료비", "진료비", "요양급여비용총액(원)", "진료금액"),
        ("요양급여비용총액", "진료비", "총진료비", "요양급여비용"),
        "얼마",
        "요양기관에서 건강보험 급여 대상 진료에 든 비용의 합(비급여 제외)으로, "
        "보험자부담금과 본인부담금을 더한 금액입니다.",
    ),
    MeasureDef(
        "보험자부담금",
        "원",
        True,
        ("보험자부담금", "공단부담금", "급여비", "보험자부담액", "공단부담액"),
        ("보험자부담금", "공단부담금"),
        "얼마",
        "요양급여비용총액 가운데 보험자(국민건강보험공단)가 부담한 금액입니다.",
    ),
    MeasureDef(
        "의료행위총사용량",
        "회",
        True,
        ("의료행위총사용량", "총사용량", "사용량"),
        ("총사용량", "사용량"),
        "몇 회",
        "해당 의료행위(수가코드)가 청구된 총 횟수입니다.",
    ),
    MeasureDef(
        "의료행위청구금액",
        "원",
        True,
        ("의료행위청구금액", "청구금액"),
        ("청구금액", "의료행위 청구금액"),
        "얼마",
        "해당 의료행위(수가코드)에 대해 청구된 금액입니다.",
    ),
    MeasureDef(
        "기관수",
        "개소",
        True,
        ("기관수", "요양기관수", "의료기관수", "개소수"),
        ("요양기관 수", "기관 수", "기관수"),
        "몇 곳",
        "해당 지역·종별에 개설되어 있는 요양기관의 수입니다.",
    ),
)
MEASURE_BY_NAME = {m.name: m for m in MEASURES}

# Derived figures and terms that are not columns (definitions questions).
TERMS: dict[str, str] = {
    "본인부담금": "요양급여비용총액에서 보험자부담금을 뺀 금액으로, 환자가 부담한 급여 진료비입니다.",
    "보험자부담률": "보험자부담금을 요양급여비용총액으로 나눈 비율입니다.",
    "1인당 진료비": "요양급여비용총액을 환자수로 나눈 값입니다.",
    "건당 진료비": "요양급여비용총액을 명세서청구건수로 나눈 값입니다.",
    "선별급여": "치료 효과가 불확실하거나 비용이 많이 드는 항목에 본인부담률을 높여 건강보험을 적용하는 급여입니다. "
    "'(선별포함)'은 그 금액을 포함했다는 뜻입니다.",
    "진료일자 기준": "통계는 진료를 받은 날짜 기준이며, 진료 연도 이후 4개월까지 심사된 청구를 반영합니다.",
    "주상병": "명세서에 첫 번째로 기재된 진단(주된 상병)입니다. 상병 통계는 주상병 기준으로 집계합니다.",
    "병원급 이상": "병원, 요양병원, 정신병원, 종합병원, 상급종합병원 등 의원보다 큰 요양기관을 말합니다.",
}
TERMS.update({m.name: m.definition for m in MEASURES})

# Derived figures people ask for, and the two measures each is computed from (본인부담금: difference; others: ratio).
DERIVED_FIGURES: dict[str, tuple[str, str]] = {
    "본인부담금": ("요양급여비용총액", "보험자부담금"),
    "1인당 진료비": ("요양급여비용총액", "환자수"),
    "1인당 입내원일수": ("입내원일수", "환자수"),
    "건당 진료비": ("요양급여비용총액", "명세서청구건수"),
    "보험자부담률": ("보험자부담금", "요양급여비용총액"),
}


@dataclass(frozen=True)
class DimensionDef:
    name: str  # canonical column name
    synonyms: tuple[str, ...]
    label: str  # how a question names the dimension
    values: tuple[str, ...] = field(default=())  # known values (for melting pivoted headers)


SIDO_FULL = {
    "서울": ("서울특별시", "서울시"),
    "부산": ("부산광역시", "부산시"),
    "대구": ("대구광역시", "대구시"),
    "인천": ("인천광역시", "인천시"),
    "광주": ("광주광역시", "광주시"),
    "대전": ("대전광역시", "대전시"),
    "울산": ("울산광역시", "울산시"),
    "세종": ("세종특별자치시", "세종시"),
    "경기": ("경기도",),
    "강원": ("강원도", "강원특별자치도"),
    "충북": ("충청북도",),
    "충남": ("충청남도",),
    "전북": ("전라북도", "전북특별자치도"),
    "전남": ("전라남도",),
    "경북": ("경상북도",),
    "경남": ("경상남도",),
    "제주": ("제주특별자치도", "제주도"),
}
SIDO_ALIASES: dict[str, str] = {short: short for short in SIDO_FULL}
SIDO_ALIASES.update({full: short for short, fulls in SIDO_FULL.items() for full in fulls})

JONGBYEOL = (
    "상급종합병원",
    "종합병원",
    "병원",
    "요양병원",
    "정신병원",
    "의원",
    "치과병원",
    "치과의원",
    "조산원",
    "보건소",
    "보건지소",
    "보건진료소",
    "보건의료원",
    "약국",
    "한방병원",
    "한의원",
)

DIMENSIONS: tuple[DimensionDef, ...] = (
    DimensionDef(
        "진료년도", ("진료년도", "진료연도", "년도", "연도", "기준년도", "기준연도", "통계년도"), "연도"
    ),
    DimensionDef("분기", ("분기", "진료분기"), "분기"),
    DimensionDef("시도", ("시도", "시도명", "지역", "시도구분", "지역명"), "시도", tuple(SIDO_ALIASES)),
    DimensionDef("시군구", ("시군구", "시군구명"), "시군구"),
    DimensionDef("진료과목", ("진료과목", "진료과목명", "진료과", "표시과목", "진료과목구분"), "진료과목"),
    DimensionDef("주상병코드", ("주상병코드", "상병코드", "주상병", "상병분류코드", "kcd코드"), "상병코드"),
    DimensionDef("상병명", ("상병명", "주상병명", "질병명"), "상병명"),
    DimensionDef("행위코드", ("행위코드", "수가코드", "진료행위코드", "의료행위코드"), "행위코드"),
    DimensionDef("행위명", ("행위명", "수가명", "진료행위명"), "행위명"),
    DimensionDef("성별", ("성별", "성별구분", "성"), "성별", ("남", "여", "남자", "여자", "남성", "여성")),
    DimensionDef(
        "입원외래구분",
        ("입원외래구분", "입원외래", "입원외래구분명", "입내원구분"),
        "입원/외래",
        ("입원", "외래"),
    ),
    DimensionDef(
        "종별",
        ("종별", "요양기관종별", "의료기관종별", "종별구분", "종별코드명", "요양기관종별명"),
        "종별",
        JONGBYEOL,
    ),
    DimensionDef("연령군", ("연령군", "연령구분", "연령대", "연령", "연령군구분"), "연령군"),
)
DIMENSION_BY_NAME = {d.name: d for d in DIMENSIONS}

SEX_ALIASES = {
    "남": "남",
    "남자": "남",
    "남성": "남",
    "1": "남",
    "여": "여",
    "여자": "여",
    "여성": "여",
    "2": "여",
}

TOTAL_MARKERS = frozenset({"계", "합계", "소계", "총계", "전체", "총합계", "전국"})

# Columns that mark a synthetic table (written by our own generator), never a dimension.
SYNTHETIC_MARKERS = frozenset({"합성데이터", "synthetic"})


def _index(pairs: list[tuple[str, str]]) -> dict[str, str]:
    return {k: v for k, v in pairs}


MEASURE_SYNONYMS = _index([(s, m.name) for m in MEASURES for s in (m.name, *m.synonyms)])
DIMENSION_SYNONYMS = _index([(s, d.name) for d in DIMENSIONS for s in (d.name, *d.synonyms)])
DIMENSION_VALUE_INDEX = _index([(v, d.name) for d in DIMENSIONS for v in d.values])
