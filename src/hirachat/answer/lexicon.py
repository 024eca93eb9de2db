"""What a question can name, built from the store and the vocabulary: values, measures, dimensions.

Entity surfaces come from the values actually stored (so a new table is understood the day it is
ingested), plus the vocabulary's alias rules by dimension kind: 시도 in every form (short, full,
legacy, new), 시군구 as each file spells it and as people say it (성남시 분당구 = 성남분당구 = 성남 분당구 =
분당구), sex and 입원/외래 words, old department names. Every table's own column names are words too
(처방건수, 일반명코드). Known values of known dimensions (여성, 입원, 의원) are recognised even when no
stored table holds that dimension, so the answer can say the table has no such breakdown.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from hirachat.answer.ages import is_age_dimension
from hirachat.answer.morph import morphemes
from hirachat.data.schema import MONTH, QUARTER, YEAR
from hirachat.data.store import FactStore, TableInfo
from hirachat.vocab import Vocab, current

# scope words from table titles that would otherwise read as a 종별 (병원급 이상 = hospitals and above)
SCOPE_PHRASES = re.compile(r"(병원급\s*이상|의원급|병원급)")
_ASCII = re.compile(r"[A-Za-z0-9]")
_HANGUL = re.compile(r"[가-힣]")


def squash(text: str) -> str:
    """A word as matched: no spaces, no parenthesised part ('요양급여비용총액(선별포함)' → '요양급여비용총액')."""
    return re.sub(r"\s+|\(.*?\)", "", text)


@lru_cache(maxsize=64)
def compiled(pattern: str) -> re.Pattern[str]:
    """A vocabulary pattern, compiled once."""
    return re.compile(pattern)


def cue(lex: Lexicon, name: str) -> re.Pattern[str]:
    assert lex.vocab is not None
    return compiled(lex.vocab.cues[name])


@dataclass(frozen=True)
class Entity:
    dim: str
    value: str
    surface: str
    start: int
    end: int


def _spaced(word: str) -> str:
    """A word's pattern: spaces allowed anywhere inside long words ('요양급여 비용총액'), but in short ones
    only before a final 수 ('환자 수'), so that '병원 비율' is never read as 병원비."""
    if len(word) >= 4:
        return r"\s*".join(re.escape(ch) for ch in word)
    if len(word) >= 3 and word.endswith("수"):
        return re.escape(word[:-1]) + r"\s*수"
    return re.escape(word)


@dataclass
class Words:
    """Words of one kind (measure, dimension, formula, …) → what they mean; spaces inside ignored."""

    table: dict[str, str]
    pattern: re.Pattern[str] | None = None

    def __post_init__(self) -> None:
        alts = [_spaced(w) for w in sorted(self.table, key=len, reverse=True) if w]
        self.pattern = re.compile("|".join(alts)) if alts else None

    def find(self, text: str) -> list[tuple[tuple[int, int], str, str]]:
        if self.pattern is None:
            return []
        out = []
        pos = 0
        while (m := self.pattern.search(text, pos)) is not None:
            # a word spelled with a space never starts inside another word ('광주 상병코드' holds no 주상병코드)
            if m.start() > 0 and _HANGUL.match(text[m.start() - 1]) and re.search(r"\s", m.group(0)):
                pos = m.start() + 1
                continue
            out.append((m.span(), self.table[re.sub(r"\s+", "", m.group(0))], m.group(0)))
            pos = max(m.end(), m.start() + 1)
        return out


def _words(vocab: Vocab, tables: list[TableInfo], values: dict[str, dict[str, set[str]]]) -> dict[str, Words]:
    measure: dict[str, str] = {}
    for m in vocab.measures:
        for s in (*m.words, *m.synonyms, *m.labels, m.name):
            measure[squash(s)] = m.name
            measure[re.sub(r"\s+", "", s)] = m.name
    dim: dict[str, str] = {}
    for dd in vocab.dimensions:
        for s in (*dd.words, dd.name):
            dim[squash(s)] = dd.name
    known_values = {v for d in vocab.dimensions for v in d.values}
    for t in tables:  # every table's own column names, as published (not pivoted headers: 약국, 의원)
        held = known_values.union(*values.get(t.table_id, {}).values())
        for mi in t.measures:
            for s in (mi["name"], *mi.get("source_names", [])):
                if s not in held and squash(s) not in held:
                    measure.setdefault(squash(s), mi["name"])
                    measure.setdefault(re.sub(r"\s+", "", s), mi["name"])  # '보험자부담금(선별포함)' whole
        for d in t.dims:
            if d not in (YEAR, QUARTER, MONTH):
                dim.setdefault(squash(d), d)
    formula = {squash(w): f.name for f in vocab.formulas for w in (f.name, *f.words)}
    per_unit = {squash(w): str(i) for i, p in enumerate(vocab.per_unit) for w in p.words}
    stats = {squash(w): w for w in vocab.statistics}
    return {
        "formula": Words(formula),
        "per_unit": Words(per_unit),
        "measure": Words({k: v for k, v in measure.items() if k}),
        "statistic": Words(stats),
        "dim": Words(dim),
    }


def _labels(
    store: FactStore, t: TableInfo, values: dict[str, set[str]], vocab: Vocab
) -> dict[tuple[str, str], tuple[str, dict[str, str]]]:
    """The columns that name a code column's codes one to one (상병명 beside 상병코드): a name asked is
    that row's code, so a name and a code in one question are two values of one dimension."""
    out: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}
    for code in (d for d in values if vocab.kind_of(d) == "code"):
        n = len(values[code])
        for d in values:
            if d == code or len(values[d]) != n or vocab.kind_of(d) == "code":
                continue
            pairs = store.con.execute(
                f'SELECT DISTINCT "{code}", "{d}" FROM "{t.physical}" WHERE "{code}" IS NOT NULL'
            ).fetchall()
            if len(pairs) == n:
                out[(t.table_id, d)] = (code, {str(name): str(c) for c, name in pairs})
    return out


def sigungu_forms(value: str, sido_names: set[str]) -> set[str]:
    """How people and files write one 시군구: with or without 시, spaces, or the 시 part."""
    out = {value, value.replace(" ", "")}
    parts = value.split()
    if len(parts) == 2 and parts[0].endswith("시") and parts[1][-1] in "구군":
        city, gu = parts[0][:-1], parts[1]
        out |= {f"{city} {gu}", f"{city}{gu}", f"{city}시{gu}", gu}
    elif len(parts) == 1 and value[-1] in "구군" and len(value) >= 5:
        for head in (value[:2], value[:3]):  # a file's "성남분당구", "부산해운대구"
            gu = value[len(head) :]
            if len(gu) < 2:
                continue
            if head in sido_names:
                out |= {gu, f"{head} {gu}"}
            elif len(head) == 2:
                out |= {f"{head}시 {gu}", f"{head} {gu}", f"{head}시{gu}", gu}
    elif len(parts) == 2:
        out.add(parts[1])
    return out


_TITLE_SPLIT = re.compile(r"[_\s()\[\]·,:：/]+|(?<=별)|\d+")


def subject_words(
    tables: Iterable[TableInfo], files: dict[str, list[str]] | None = None
) -> dict[str, set[str]]:
    """Each table's subject words: the words of its title and of the names its files were downloaded
    under ('…_I21_심사년도별 입원외래별.xlsx'), less dates and scope."""
    out: dict[str, set[str]] = defaultdict(set)
    for t in tables:
        names = [re.sub(r"\.[A-Za-z0-9]+$", "", f) for f in (files or {}).get(t.table_id, [])]
        for w in _TITLE_SPLIT.split(" ".join([t.title, *names])):
            if len(w) >= 2 and _HANGUL.search(w):
                out[w].add(t.table_id)
                if w.endswith("별") and len(w) >= 3:
                    out[w[:-1]].add(t.table_id)
    return dict(out)


@dataclass
class Lexicon:
    tables: dict[str, TableInfo]
    years: dict[str, list[int]]
    measure_periods: dict[str, dict[str, list[str]]]
    values: dict[str, dict[str, set[str]]]  # table → dim → stored values
    surfaces: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # surface → {(dim, value)}
    words: dict[str, Words] = field(default_factory=dict)
    age_dims: dict[str, str] = field(default_factory=dict)  # table → its age dimension
    parents: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (시군구) value → its 시도 values
    vocab: Vocab | None = None
    pattern: re.Pattern[str] | None = None
    names: Names | None = None  # names from code masters, for codes the statistics tables use
    subjects: dict[str, set[str]] = field(default_factory=dict)  # a word of a table's title → those tables
    # (table, name column) → (its code column, name → code): 상병명 beside 상병코드, one name per code
    labels: dict[tuple[str, str], tuple[str, dict[str, str]]] = field(default_factory=dict)

    def subject_tables(self, word: str) -> set[str] | None:
        """The tables whose titles hold ``word`` (or the words it is written as, run together: 다빈도상병),
        None when no title does: what a table is about is a word the question may use."""
        if word in self.subjects:
            return set(self.subjects[word])
        best: list[set[str] | None] = [set()] + [None] * len(word)  # tables covering word[:i]
        for i in range(1, len(word) + 1):
            for j in range(max(0, i - 8), i - 1):
                prev, part = best[j], word[j:i]
                if prev is not None and part in self.subjects:
                    tables = set(self.subjects[part]) if j == 0 else prev & self.subjects[part]
                    if tables:
                        best[i] = tables
        if best[-1]:
            return best[-1]
        # a part of a title word Kiwi split off ('분류' of 소분류)
        inside = {t for w, ts in self.subjects.items() if len(word) >= 2 and word in w for t in ts}
        return inside or None

    @classmethod
    def build(cls, store: FactStore, vocab: Vocab | None = None) -> Lexicon:
        vocab = vocab or current()
        tables: dict[str, TableInfo] = {}
        years: dict[str, list[int]] = {}
        periods: dict[str, dict[str, list[str]]] = {}
        values: dict[str, dict[str, set[str]]] = {}
        age_dims: dict[str, str] = {}
        parents: dict[tuple[str, str], set[str]] = defaultdict(set)
        labels: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}
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
                if d != QUARTER and (vocab.kind_of(d) == "age" or is_age_dimension(vals)):
                    age_dims[t.table_id] = d
            labels.update(_labels(store, t, values[t.table_id], vocab))
            if "시도" in t.dims and "시군구" in t.dims:
                pairs = store.con.execute(f'SELECT DISTINCT "시도", "시군구" FROM "{t.physical}"').fetchall()
                for sido, sgg in pairs:
                    parents[("시군구", str(sgg))].add(str(sido))
            years.setdefault(t.table_id, [])
        lex = cls(
            tables,
            years,
            periods,
            values,
            {},
            _words(vocab, list(tables.values()), values),
            age_dims,
            dict(parents),
        )
        lex.vocab = vocab
        lex.labels = labels
        lex.subjects = subject_words(
            tables.values(), {t: [s.file_name for s in store.sources(t)] for t in tables}
        )
        lex._surfaces(vocab)
        lex.names = Names.build(store, lex)
        return lex

    def _surfaces(self, vocab: Vocab) -> None:
        surfaces: dict[str, set[tuple[str, str]]] = defaultdict(set)
        sido_names = set(vocab.sido) | {f for forms in vocab.sido.values() for f in forms}
        for table_id, dims in self.values.items():
            for d, vals in dims.items():
                if d == QUARTER or d == self.age_dims.get(table_id):
                    continue
                if d == MONTH:
                    continue  # months are read as periods ('3월'), never as values
                for v in vals - {"계"}:
                    if v.isdigit():
                        continue  # a rank or a number is never matched inside another number (2012년)
                    for s in self._aliases(vocab, d, v, sido_names):
                        surfaces[s].add((d, v))
        # known values of known dimensions, even where no stored table has that dimension
        for dd in vocab.dimensions:
            if dd.kind in ("sex", "inout") or dd.name == "종별":
                for v in dd.values:
                    if len(v) >= 2 and not surfaces.get(v):
                        surfaces[v].add((dd.name, v))
                for word, v in dd.aliases.items():
                    if len(word) >= 2 and not surfaces.get(word):
                        surfaces[word].add((dd.name, v))
        self.surfaces = dict(surfaces)
        alternation = "|".join(re.escape(s) for s in sorted(surfaces, key=len, reverse=True) if len(s) >= 2)
        self.pattern = re.compile(alternation) if alternation else None

    @staticmethod
    def _aliases(vocab: Vocab, dim: str, value: str, sido_names: set[str]) -> set[str]:
        out = {value, value.replace(" ", "")}
        if value.endswith("등") and len(value) >= 4:
            out.add(value[:-1])  # '보건기관등' as people say it: 보건기관
        kind = vocab.kind_of(dim)
        if kind == "sido":
            out |= set(vocab.sido.get(value, ()))
        elif kind == "sigungu":
            out |= sigungu_forms(value, sido_names)
        dd = vocab.dimension(dim)
        if dd is not None:
            out |= {w for w, v in dd.aliases.items() if v == value}
        return {s for s in out if len(s) >= 2}

    def entities(self, text: str) -> list[Entity]:
        """Non-overlapping, longest-first matches of stored values (and aliases) in ``text``.

        A code must stand alone (A01 is not read inside HA010); a 시도 name inside a longer place name
        is not that 시도 (대구 in 해운대구, 광주 in 경기 광주시 is still 광주시 as written).
        """
        if self.pattern is None:
            return []
        found = []
        for m in self.pattern.finditer(text):
            s, a, b = m.group(0), m.start(), m.end()
            if _ASCII.match(s[0]) and a > 0 and _ASCII.match(text[a - 1]):
                continue
            if _ASCII.match(s[-1]) and b < len(text) and _ASCII.match(text[b]):
                continue
            options = sorted(self.surfaces[s])
            if (
                a > 0
                and _HANGUL.match(text[a - 1])
                and (s[-1] in "구군" or (b < len(text) and text[b] in "구군"))
                and all(
                    self.vocab is not None and self.vocab.kind_of(d) in ("sido", "sigungu")
                    for d, _ in options
                )
            ):
                continue  # 해운대구 is not 대구
            for dim, value in options:
                found.append(Entity(dim, value, s, a, b))
        return found

    def has_value(self, table_id: str, dim: str, value: str) -> bool:
        return value in self.values.get(table_id, {}).get(dim, set())


_NAME_NOISE = re.compile(r"[\s\-·,'’‘\"]")
_PARTICLE = re.compile(r"(으로|로|에서|에|의|은|는|이|가|을|를|과|와|도|만|환자|질환)$")


def _word_of(word: str, name: str) -> bool:
    return bool(re.search(rf"(?:^|[^가-힣A-Za-z0-9]){re.escape(word)}", name)) or word in morphemes(name)


def name_key(name: str) -> str:
    """A name as matched: no spaces, hyphens, dots or commas, any case ('위-식도역류병' = '위식도 역류병',
    'Acute bronchitis' = 'acute bronchitis')."""
    return _NAME_NOISE.sub("", name).lower()


def english_names(attrs: str | None, keys: Iterable[str]) -> list[str]:
    """A master row's names in its English column(s) (a header holding one of ``keys``: 영문명칭), and
    their initials ('Acute myocardial infarction' → AMI) when the name has three words or more."""
    if not attrs:
        return []
    try:
        data = json.loads(attrs)
    except ValueError:
        return []
    out: list[str] = []
    for header, value in data.items():
        if (
            not isinstance(value, str)
            or not any(k in header for k in keys)
            or not re.search(r"[A-Za-z]", value)
        ):
            continue
        name = re.sub(r"\s*,?\s*NOS$", "", value.strip())
        out.append(name)
        words = re.findall(r"[A-Za-z]+", re.sub(r"\(.*?\)|\[.*?\]", "", name))
        if len(words) >= 3:
            out.append("".join(w[0] for w in words if w.lower() not in ("of", "and", "the", "in", "with")))
    return out


@dataclass
class Names:
    """Code masters' names linked to the codes statistics tables use (3-character KCD and the like)."""

    official: dict[str, str]  # code → official name
    master: dict[str, str]  # code → the master's title and version (for citing)
    dim: dict[str, str]  # code → the statistics dimension holding it
    exact: dict[str, set[str]]  # name key → codes: official names, without (…)/[…], bracketed aliases
    keys: list[tuple[str, str]]  # (name key, code) of official names: for unique substrings
    alt: dict[str, set[str]]  # name key → codes: subcode names and inclusion terms (위암 NOS → C16)
    _long: re.Pattern[str] | None = None

    @classmethod
    def build(cls, store: FactStore, lex: Lexicon) -> Names | None:
        rows = store.master_rows()
        if rows.empty:
            return None
        dim: dict[str, str] = {}
        for dims in lex.values.values():
            for d, vals in dims.items():
                if lex.vocab is not None and lex.vocab.kind_of(d) == "code":
                    for v in vals:
                        dim.setdefault(v.replace(".", "").strip().upper(), d)
        titles = {
            m["master_id"]: f"{m['title']}" + (f", {m['version']} 기준" if m["version"] else "")
            for m in store.masters()
        }
        official: dict[str, str] = {}
        master: dict[str, str] = {}
        exact: dict[str, set[str]] = defaultdict(set)
        alt: dict[str, set[str]] = defaultdict(set)
        keys: list[tuple[str, str]] = []
        english_keys = ("영문",)  # the master_attributes key of English-name columns (영문명칭)
        for r in rows.itertuples(index=False):
            code = str(r.code_norm)
            target = code if code in dim else (code[:3] if code[:3] in dim else None)
            if target is None or not r.name:
                continue
            name = str(r.name)
            primary = bool(r.is_primary) and code == target
            forms = {name, re.sub(r"\(.*?\)", "", name), re.sub(r"\[.*?\]", "", name)}
            for english in english_names(
                r.attrs if isinstance(r.attrs, str) else None, english_keys
            ):  # 'Acute bronchitis', and 'AMI' as an alias
                (exact if primary and " " in english else alt)[name_key(english)].add(target)
            forms |= set(re.findall(r"\[(.*?)\]", name))  # '급성 비인두염[감기]': 감기
            if primary:
                official.setdefault(code, name)
                master.setdefault(code, titles.get(r.master_id, ""))
                keys.append((name_key(re.sub(r"\(.*?\)|\[.*?\]", "", name)), code))
            else:
                forms |= {re.sub(r"\s*NOS$", "", f) for f in forms}
            for f in forms:
                k = name_key(re.sub(r"\(.*?\)|\[.*?\]", "", f))
                if len(k) >= 2:
                    (exact if primary else alt)[k].add(target)
        return cls(official, master, dim, dict(exact), keys, dict(alt))

    def long_names(self) -> re.Pattern[str]:
        """Official names of six or more letters, spaces optional, longest first: found verbatim in a
        question before any other reading ('지켜본 사람이 없었던 사망' is a code, not a statistic)."""
        if self._long is None:
            keys = {name_key(n) for n in self.official.values()}
            keys |= {name_key(re.sub(r"\(.*?\)|\[.*?\]", "", n)) for n in self.official.values()}
            forms = sorted((k for k in keys if len(k) >= 5), key=len, reverse=True)
            alts = [r"[\s,\-·]*".join(re.escape(ch) for ch in k) for k in forms]
            self._long = re.compile("|".join(alts)) if alts else re.compile(r"(?!)")
        return self._long

    def lookup(self, phrase: str) -> set[str]:
        """Codes a phrase names: an official name, else the official names it is part of (several:
        candidates), else a subcode name or inclusion term."""
        k = name_key(phrase)
        for _ in range(2):
            if k in self.exact:
                return set(self.exact[k])
            k = _PARTICLE.sub("", k)
        if len(k) < 2:
            return set()
        # a word of two letters names a code only where a word of the name starts with it or it is one of
        # the name's morphemes ('위염' of 위염 및 십이지장염, '폐렴' of 바이러스폐렴; '중구' is neither in 호중구)
        hits = {
            code for key, code in self.keys if k in key and (len(k) > 2 or _word_of(k, self.official[code]))
        }
        if (
            not hits
        ):  # '아토피 피부염' = 아토피성 피부염, '대퇴골 골절' = 대퇴골의 골절: every word in the name
            parts = [_PARTICLE.sub("", name_key(w)) for w in phrase.split()]
            if len(parts) >= 2 and all(len(p) >= 2 for p in parts):
                hits = {code for key, code in self.keys if all(p in key for p in parts)}
        return hits or set(self.alt.get(k, set()))
