"""HIRA vocabulary for ingest and the QA generator: the packaged ``vocab/hira.yaml`` as Python constants.

The meaning lives in the YAML file (one place); this module indexes it for the normaliser (column
synonyms, region names, 종별 values) and the generator. Unknown columns are still ingested.
"""

from __future__ import annotations

from hirachat.vocab.load import DimensionEntry, MeasureEntry, load_vocab

_V = load_vocab()  # the packaged vocabulary: ingest must not depend on a workspace's question words

MeasureDef = MeasureEntry
DimensionDef = DimensionEntry
MEASURES: tuple[MeasureEntry, ...] = _V.measures
MEASURE_BY_NAME = {m.name: m for m in MEASURES}

# Derived figures and terms that are not columns (definitions questions).
TERMS: dict[str, str] = dict(_V.terms)
TERMS.update({m.name: m.definition for m in MEASURES})

# Named figures computed from two measures (본인부담금: difference; 보험자부담률: ratio), and the per-unit
# figures the generator phrases ("1인당 진료비" = 요양급여비용총액 ÷ 환자수).
DERIVED_FIGURES: dict[str, tuple[str, str]] = {
    f.name: (f.a, f.b) for f in _V.formulas if f.a in MEASURE_BY_NAME and f.b in MEASURE_BY_NAME
}
DERIVED_FIGURES.update(
    {
        "1인당 진료비": ("요양급여비용총액", "환자수"),
        "1인당 입내원일수": ("입내원일수", "환자수"),
        "건당 진료비": ("요양급여비용총액", "명세서청구건수"),
    }
)

SIDO_FULL: dict[str, tuple[str, ...]] = dict(_V.sido)
SIDO_ALIASES: dict[str, str] = {short: short for short in SIDO_FULL}
SIDO_ALIASES.update({full: short for short, fulls in SIDO_FULL.items() for full in fulls})

JONGBYEOL: tuple[str, ...] = next(d.values for d in _V.dimensions if d.name == "종별")

DIMENSIONS: tuple[DimensionEntry, ...] = tuple(
    d.model_copy(update={"values": tuple(SIDO_ALIASES)}) if d.kind == "sido" else d for d in _V.dimensions
)
DIMENSION_BY_NAME = {d.name: d for d in DIMENSIONS}

SEX_ALIASES = {"남": "남", "여": "여", **DIMENSION_BY_NAME["성별"].aliases}

TOTAL_MARKERS = frozenset({"계", "합계", "소계", "총계", "전체", "총합계", "전국"})

# Columns that mark a synthetic table (written by our own generator), never a dimension.
SYNTHETIC_MARKERS = frozenset({"합성데이터", "synthetic"})


def _index(pairs: list[tuple[str, str]]) -> dict[str, str]:
    return {k: v for k, v in pairs}


MEASURE_SYNONYMS = _index([(s, m.name) for m in MEASURES for s in (m.name, *m.synonyms)])
DIMENSION_SYNONYMS = _index([(s, d.name) for d in DIMENSIONS for s in (d.name, *d.synonyms)])
DIMENSION_VALUE_INDEX = _index([(v, d.name) for d in DIMENSIONS for v in d.values])
