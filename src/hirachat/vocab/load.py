"""Load and validate the vocabulary: the packaged ``hira.yaml`` plus an optional user file.

The vocabulary is data (measures with synonyms, units and additivity; dimension types with alias rules;
per-unit figures and named formulas; age words; statistics no table publishes; cue patterns; stopwords;
glossary terms). A user file in the workspace (``vocab.yaml``) extends it without code changes: list
entries are added, a measure or dimension of an existing name gains the user's words, mappings are
updated. Any unknown key, wrong type, unknown measure in a formula or bad pattern fails at load with the
file, line and key named.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from hirachat.errors import ConfigError

PACKAGED = "hira.yaml"
USER_FILE = "vocab.yaml"
CUE_NAMES = (
    "definition",
    "change",
    "comparison",
    "share",
    "ranking",
    "sum",
    "lowest",
    "trend",
    "times",
    "followup",
    "top",
    "order",
    "percent",
    "moved",
    "portion",
    "each",
    "exclude",
    "asks_name",
    "asks_code",
    "master_name",
    "master_count",
    "master_list",
    "master_blank",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MeasureEntry(_Strict):
    name: str
    unit: str | None = None
    additive: bool = True
    synonyms: tuple[str, ...] = ()  # column names in files
    labels: tuple[str, ...] = ()  # how answers and generated questions name it (first = preferred)
    words: tuple[str, ...] = ()  # colloquial words in questions
    counter: str = "얼마"
    definition: str = ""
    implies: dict[str, dict[str, str]] = {}  # a word that also constrains: 입원일수 → {입원외래구분: 입원}


class DimensionEntry(_Strict):
    name: str
    kind: Literal["period", "sido", "sigungu", "category", "code", "sex", "inout", "age"]
    synonyms: tuple[str, ...] = ()
    label: str = ""
    words: tuple[str, ...] = ()  # words naming the dimension itself ("진료과목별", "성별")
    values: tuple[str, ...] = ()  # known values (pivoted headers; recognised even when no table holds them)
    aliases: dict[str, str] = {}  # question word → stored value
    groups: tuple[str, ...] = ()  # values that group several (병원급, 의원급): evidence of the kind only


class PerUnit(_Strict):
    words: tuple[str, ...]
    denominator: str
    default: str | None = None


class Formula(_Strict):
    name: str
    words: tuple[str, ...]
    op: Literal["diff", "ratio"]
    a: str
    b: str
    percent: bool = False
    unit: str | None = None


class Vocab(_Strict):
    measures: tuple[MeasureEntry, ...]
    dimensions: tuple[DimensionEntry, ...]
    sido: dict[str, tuple[str, ...]]
    sido_groups: dict[str, tuple[str, ...]] = {}  # a region said for several 시도 (충청도 → 충북, 충남)
    per_unit: tuple[PerUnit, ...] = ()
    formulas: tuple[Formula, ...] = ()
    ages: dict[str, tuple[int, int | None] | None] = {}
    statistics: tuple[str, ...] = ()
    cues: dict[str, str]
    stopwords: tuple[str, ...] = ()
    terms: dict[str, str] = {}
    master_attributes: dict[str, tuple[str, ...]] = {}  # header key → question words (code masters)
    master_changes: dict[str, tuple[str, ...]] = {}  # 신설 / 변경 / 삭제 → its words
    master_kinds: dict[str, str] = {}  # procedure / drug / disease / atc → the words that ask for that master
    master_words: tuple[str, ...] = ()  # words of a question about a code master itself, never unknown
    numerals: dict[str, int] = {}  # counts said in words (다섯 개, 상위 세 곳, 열두 달)
    dimension_nouns: dict[str, str] = {}  # one-letter nouns naming a breakdown (과 → 진료과목), as nouns only

    @field_validator("master_kinds")
    @classmethod
    def _kinds(cls, v: dict[str, str]) -> dict[str, str]:
        for k, pat in v.items():
            if k not in ("procedure", "drug", "disease", "atc"):
                raise ValueError(f"unknown master kind {k!r} (known: procedure, drug, disease, atc)")
            try:
                re.compile(pat)
            except re.error as e:
                raise ValueError(f"master kind {k!r}: bad pattern: {e}") from e
        return v

    @field_validator("master_changes")
    @classmethod
    def _changes(cls, v: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        unknown = [k for k in v if k not in ("신설", "변경", "삭제")]
        if unknown:
            raise ValueError(f"unknown change {unknown[0]!r} (known: 신설, 변경, 삭제)")
        return v

    @field_validator("cues")
    @classmethod
    def _cues(cls, v: dict[str, str]) -> dict[str, str]:
        for k, pat in v.items():
            if k not in CUE_NAMES:
                raise ValueError(f"unknown cue {k!r} (known: {', '.join(CUE_NAMES)})")
            try:
                re.compile(pat)
            except re.error as e:
                raise ValueError(f"cue {k!r}: bad pattern: {e}") from e
        missing = [k for k in CUE_NAMES if k not in v]
        if missing:
            raise ValueError(f"missing cues: {', '.join(missing)}")
        return v

    @model_validator(mode="after")
    def _references(self) -> Vocab:
        names = {m.name for m in self.measures}
        figures = names | {f.name for f in self.formulas}
        for i, p in enumerate(self.per_unit):
            for ref in (p.denominator, p.default):
                if ref is not None and ref not in names:
                    raise ValueError(f"per_unit[{i}]: unknown measure {ref!r}")
        for f in self.formulas:
            for ref in (f.a, f.b):
                if ref not in figures:
                    raise ValueError(f"formula {f.name!r}: unknown measure {ref!r}")
        dims = {d.name for d in self.dimensions}
        for m in self.measures:
            for word, where in m.implies.items():
                if not set(where) <= dims:
                    raise ValueError(f"measure {m.name!r}: {word!r} implies an unknown dimension")
        for d in self.dimensions:
            for word, value in d.aliases.items():
                if not value:
                    raise ValueError(f"dimension {d.name!r}: alias {word!r} has no value")
        return self

    # ---- lookups -------------------------------------------------------------------------------
    def measure(self, name: str) -> MeasureEntry | None:
        return next((m for m in self.measures if m.name == name), None)

    def dimension(self, name: str) -> DimensionEntry | None:
        return next((d for d in self.dimensions if d.name == name), None)

    def kind_of(self, dim: str) -> str:
        d = self.dimension(dim)
        return d.kind if d else "category"

    def formula(self, name: str) -> Formula | None:
        return next((f for f in self.formulas if f.name == name), None)

    def definitions(self) -> dict[str, str]:
        """Every term a definition question can ask about: the glossary terms and each measure's own."""
        return {**self.terms, **{m.name: m.definition for m in self.measures}}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """User entries extend the packaged ones: named entries merge by name, lists extend, maps update."""
    out = dict(base)
    for key, value in extra.items():
        if key not in out:
            out[key] = value
        elif key in ("measures", "dimensions", "formulas") and isinstance(value, list):
            merged = {e["name"]: dict(e) for e in out[key]}
            for e in value:
                if not isinstance(e, dict) or "name" not in e:
                    merged[f"#{len(merged)}"] = e  # invalid: validation names it
                    continue
                cur = merged.setdefault(e["name"], {})
                for k, v in e.items():
                    cur[k] = (
                        [*cur[k], *v]
                        if isinstance(v, list) and isinstance(cur.get(k), list)
                        else ({**cur[k], **v} if isinstance(v, dict) and isinstance(cur.get(k), dict) else v)
                    )
            out[key] = list(merged.values())
        elif isinstance(value, list) and isinstance(out[key], list):
            out[key] = [*out[key], *value]
        elif isinstance(value, dict) and isinstance(out[key], dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def _line(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at ``loc`` (or of its nearest ancestor)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            hit = next(((k, v) for k, v in node.value if k.value == part), None)
            if hit is None:
                break
            node, line = hit[1], hit[0].start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _read(text: str, name: str) -> tuple[dict[str, Any], yaml.Node | None]:
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{name}{where}: not valid YAML: {getattr(e, 'problem', e)}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{name}, line 1: the vocabulary must be a mapping of sections")
    return data, node


def load_vocab(user_file: Path | None = None) -> Vocab:
    """The packaged vocabulary, extended by ``user_file`` when it exists."""
    text = resources.files("hirachat.vocab").joinpath(PACKAGED).read_text(encoding="utf-8")
    data, node = _read(text, PACKAGED)
    name = PACKAGED
    if user_file is not None and user_file.is_file():
        extra, node = _read(user_file.read_text(encoding="utf-8"), str(user_file))
        unknown = [k for k in extra if k not in Vocab.model_fields]
        if unknown:
            raise ConfigError(
                f"{user_file}, line {_line(node, (unknown[0],))}: unknown key {unknown[0]!r} "
                f"(sections: {', '.join(Vocab.model_fields)})"
            )
        data, name = _merge(data, extra), str(user_file)
    try:
        return Vocab.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc) or "(top level)"
        raise ConfigError(f"{name}, line {_line(node, loc)}: {key}: {err['msg']}") from e


_USER: list[Path | None] = [None]


def use_user_file(path: Path | None) -> None:
    """Make ``path`` (a workspace's vocab.yaml) part of the vocabulary for this process."""
    if _USER[0] != path:
        _USER[0] = path
        current.cache_clear()
        current()  # validate now: a bad user file fails at start, not at the first question


@lru_cache(maxsize=1)
def current() -> Vocab:
    return load_vocab(_USER[0])
