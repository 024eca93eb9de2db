"""What a question can name, built from the store: entity values per table, measures, dimension words.

Entity surfaces come from the values actually stored (so a new table is understood the day it is
ingested), plus aliases: full and legacy 시도 names, 남성/여자, old department names, district names
without their city. Measures and derived figures come from the shared vocabulary plus colloquial forms.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from hirachat.data.schema import QUARTER, YEAR
from hirachat.data.store import FactStore, TableInfo
from hirachat.data.vocab import MEASURES, SIDO_FULL

# colloquial measure words (matched with spaces removed), longest first at match time
MEASURE_WORDS: dict[str, str] = {
    "진료받은사람": "환자수",
    "환자": "환자수",
    "몇명": "환자수",
    "명세서": "명세서청구건수",
    "청구건": "명세서청구건수",
    "건수": "명세서청구건수",
    "몇건": "명세서청구건수",
    "내원일": "입내원일수",
    "입원일수": "입내원일수",
    "진료일수": "입내원일수",
    "급여비용": "요양급여비용총액",
    "의료비": "요양급여비용총액",
    "진료금액": "요양급여비용총액",
    "공단부담": "보험자부담금",
    "공단이부담한금액": "보험자부담금",
    "보험자가부담한금액": "보험자부담금",
    "사용횟수": "의료행위총사용량",
    "시행횟수": "의료행위총사용량",
    "청구액": "의료행위청구금액",
    "병원수": "기관수",
    "기관개수": "기관수",
    "몇곳": "기관수",
    "몇개소": "기관수",
    "몇군데": "기관수",
}
for _m in MEASURES:
    for _s in (_m.name, *_m.synonyms, *_m.labels):
        MEASURE_WORDS[re.sub(r"\s+|\(.*?\)", "", _s)] = _m.name

DERIVED_WORDS: dict[str, str] = {
    "본인부담금": "본인부담금",
    "본인부담액": "본인부담금",
    "본인부담": "본인부담금",
    "환자부담": "본인부담금",
    "환자가부담": "본인부담금",
    "본인이부담": "본인부담금",
    "1인당진료비": "1인당 진료비",
    "인당진료비": "1인당 진료비",
    "한명당진료비": "1인당 진료비",
    "1인당의료비": "1인당 진료비",
    "환자당진료비": "1인당 진료비",
    "1인당입내원일수": "1인당 입내원일수",
    "1인당내원일수": "1인당 입내원일수",
    "인당내원일": "1인당 입내원일수",
    "한명당내원일": "1인당 입내원일수",
    "1인당입원일수": "1인당 입내원일수",
    "인당입원일수": "1인당 입내원일수",
    "1인당입원일": "1인당 입내원일수",
    "건당진료비": "건당 진료비",
    "청구건당진료비": "건당 진료비",
    "명세서당진료비": "건당 진료비",
    "건당요양급여비용": "건당 진료비",
    "보험자부담률": "보험자부담률",
    "공단부담률": "보험자부담률",
    "보험자부담비율": "보험자부담률",
    "공단부담비율": "보험자부담률",
    "공단이부담한비율": "보험자부담률",
    "보험자가부담한비율": "보험자부담률",
    "급여율": "보험자부담률",
    "부담률": "보험자부담률",
}
# words that name a dimension (for "which 진료과목", "by 시도")
DIM_WORDS: dict[str, str] = {
    "진료과목": "진료과목",
    "진료과": "진료과목",
    "과목": "진료과목",
    "어느과": "진료과목",
    "무슨과": "진료과목",
    "시도": "시도",
    "지역": "시도",
    "광역시도": "시도",
    "시군구": "시군구",
    "시군": "시군구",
    "상병코드": "주상병코드",
    "상병": "주상병코드",
    "질병": "주상병코드",
    "질환": "주상병코드",
    "병명": "주상병코드",
    "종별": "종별",
    "기관종류": "종별",
    "기관유형": "종별",
    "종류": "종별",
    "성별": "성별",
    "남녀": "성별",
    "입원외래": "입원외래구분",
    "입원/외래": "입원외래구분",
    "연령군": "연령군",
    "연령대": "연령군",
    "연령": "연령군",
    "나이": "연령군",
    "행위코드": "행위코드",
    "의료행위": "행위코드",
    "수가코드": "행위코드",
}

DEPT_ALIASES = {
    "소아과": "소아청소년과",
    "정신과": "정신건강의학과",
    "신경정신과": "정신건강의학과",
    "비뇨기과": "비뇨의학과",
    "진단방사선과": "영상의학과",
    "방사선과": "영상의학과",
    "마취과": "마취통증의학과",
    "산업의학과": "직업환경의학과",
    "치과": "치과",
}
SEX_SURFACES = {"남성": "남", "남자": "남", "여성": "여", "여자": "여"}
# scope words from table titles that would otherwise read as a 종별 (병원급 이상 = hospitals and above)
SCOPE_PHRASES = re.compile(r"(병원급\s*이상|의원급|병원급)")


@dataclass(frozen=True)
class Entity:
    dim: str
    value: str
    surface: str
    start: int
    end: int


@dataclass
class Lexicon:
    tables: dict[str, TableInfo]
    years: dict[str, list[int]]
    measure_periods: dict[str, dict[str, list[str]]]
    values: dict[str, dict[str, set[str]]]  # table → dim → stored values
    surfaces: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # surface → {(dim, value)}
    pattern: re.Pattern[str] | None = None

    @classmethod
    def build(cls, store: FactStore) -> Lexicon:
        tables: dict[str, TableInfo] = {}
        years: dict[str, list[int]] = {}
        periods: dict[str, dict[str, list[str]]] = {}
        values: dict[str, dict[str, set[str]]] = {}
        surfaces: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for t in store.tables():
            tables[t.table_id] = t
            periods[t.table_id] = store.measure_periods(t.table_id)
            values[t.table_id] = {}
            for d in t.dims:
                rows = store.con.execute(f'SELECT DISTINCT "{d}" FROM "{t.physical}"').fetchall()
                vals = {str(r[0]) for r in rows if r[0] is not None}
                if d == YEAR:
                    years[t.table_id] = sorted(int(v) for v in vals)
                    continue
                values[t.table_id][d] = vals
                if d == QUARTER:
                    continue
                for v in vals - {"계"}:
                    for s in _aliases(d, v):
                        surfaces[s].add((d, v))
            if t.table_id not in years:
                years[t.table_id] = []
        for t_vals in values.values():  # district names without their city, where unambiguous
            for v in t_vals.get("시군구", set()):
                parts = v.split()
                if len(parts) == 2 and parts[1] not in surfaces:
                    surfaces[parts[1]].add(("시군구", v))
        lex = cls(tables, years, periods, values, dict(surfaces))
        alternation = "|".join(re.escape(s) for s in sorted(surfaces, key=len, reverse=True) if len(s) >= 2)
        lex.pattern = re.compile(alternation) if alternation else None
        return lex

    def entities(self, text: str) -> list[Entity]:
        """Non-overlapping, longest-first matches of stored values (and aliases) in ``text``."""
        if self.pattern is None:
            return []
        found = []
        for m in self.pattern.finditer(text):
            for dim, value in sorted(self.surfaces[m.group(0)]):
                found.append(Entity(dim, value, m.group(0), m.start(), m.end()))
        return found

    def has_value(self, table_id: str, dim: str, value: str) -> bool:
        return value in self.values.get(table_id, {}).get(dim, set())


def _aliases(dim: str, value: str) -> set[str]:
    out = {value}
    if " " in value:
        out.add(value.replace(" ", ""))
    if dim == "시도":
        out |= set(SIDO_FULL.get(value, ()))
    elif dim == "성별":
        out |= {s for s, v in SEX_SURFACES.items() if v == value}
    elif dim == "진료과목":
        out |= {a for a, v in DEPT_ALIASES.items() if v == value}
    return {s for s in out if len(s) >= 2}
