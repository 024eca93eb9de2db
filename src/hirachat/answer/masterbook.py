"""Questions the code masters answer themselves, with change files applied.

- an attribute of a code or a name: "포크랄시럽의 ATC 코드", "J20 영문명", "641900160 제조사", "AA154 상대가치점수";
- a code's name, or a name's code, for codes no statistics table carries (drug and fee codes);
- how many codes carry an attribute value, and which: "ATC 코드 N05CC01에 해당하는 제품 몇 개";
- what a change file added, changed or removed: "신설된 수가코드", "삭제된 코드 몇 개", "AA154 삭제됐어?".

A change file (신설 / 변경 / 삭제 rows) applies to the master with the same code column, in date order: a
new code is found, a changed one answers with its new name and attributes, a deleted one answers and says
it was deleted and when. Blank attributes are values ("no ATC code"), said as such. Every answer cites the
master (file, version) and the change file it used.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from hirachat.answer.intent import Intent
from hirachat.answer.lexicon import compiled, name_key
from hirachat.data.masters import change_of, norm_code
from hirachat.data.store import FactStore
from hirachat.query.model import Answer
from hirachat.query.reply import CITE, Reply
from hirachat.vocab import Vocab

_TOKEN = re.compile(r"(?<![A-Za-z0-9.])[A-Za-z0-9][A-Za-z0-9.]{2,14}(?![A-Za-z0-9])")
LIST_MAX = 10


@dataclass
class Entry:
    """One code as its master (and the change files after it) leave it."""

    code: str
    name: str | None
    attrs: dict[str, str | None]
    master_id: str
    row: int
    change: tuple[str, str] | None = None  # (신설 | 변경 | 삭제, the change file's master_id)


@dataclass
class Family:
    """A master and the change files that apply to it (same code column)."""

    base: str | None  # master_id of the master itself (None: a change file without its master)
    changes: list[str] = field(default_factory=list)  # change files, oldest first
    entries: dict[str, Entry] = field(default_factory=dict)  # code_norm → entry


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _within(word: str, name: str, gaps: int) -> bool:
    """``word`` is ``name`` with at most ``gaps`` letters left out, in one stretch of it."""
    start = name.find(word[:2])
    while start >= 0:
        i, skipped = 0, 0
        for ch in name[start:]:
            if i == len(word):
                break
            if ch == word[i]:
                i += 1
            elif (skipped := skipped + 1) > gaps:
                break
        if i == len(word):
            return True
        start = name.find(word[:2], start + 1)
    return False


def _asks_code(text: str, column: str) -> bool:
    """'코드 알려줘', '제품코드는': this master's code; '일반명코드' or 'ATC코드' is another column's."""
    words = re.findall(r"(\S*)코드", text)
    return bool(words) and any(not w or w in column or column.startswith(w) for w in words)


_BARE = re.compile(r"\(.*?\)|주식회사|㈜")


def _key(v: Any, key: str) -> bool:
    """An attribute cell equals a value asked: a code (N05CC01), a text (maker), or blank ('')."""
    if not key:
        return _blank(v)
    if _blank(v):
        return False
    k = name_key(str(v)).lower()
    return norm_code(str(v)) == key or k == key or _BARE.sub("", k) == key


def _text(v: Any) -> str | None:
    return v.strip() or None if isinstance(v, str) else None


def _josa(word: str, pair: tuple[str, str]) -> str:
    """은/는, 이/가 after a word (a final consonant takes the first)."""
    ch = word[-1] if word else "가"
    has_final = "가" <= ch <= "힣" and (ord(ch) - 0xAC00) % 28 != 0
    return pair[0] if has_final or (ch.isdigit() and ch in "013678") else pair[1]


class MasterBook:
    """Built once per store: every master and change file, with an index of names, codes and values."""

    def __init__(self, store: FactStore, vocab: Vocab, linked: set[str]) -> None:
        """``linked``: codes the statistics tables carry, whose plain name/code questions the planner answers."""
        self.vocab = vocab
        self.linked = linked
        self.meta = {m["master_id"]: m for m in store.masters()}
        self.dims = {d for t in store.tables() for d in t.dims}  # what a statistic can be grouped by
        self.families: dict[str, Family] = {}
        rows = store.master_rows()
        by_master: dict[str, list[Any]] = defaultdict(list)
        for r in rows.itertuples(index=False):
            by_master[str(r.master_id)].append(r)
        bases = [m for m in self.meta.values() if not m.get("change_column")]
        for m in bases:
            self.families[m["master_id"]] = Family(m["master_id"])
            for r in by_master[m["master_id"]]:
                if r.is_primary:
                    self.families[m["master_id"]].entries[str(r.code_norm)] = Entry(
                        str(r.code), _text(r.name), json.loads(r.attrs), m["master_id"], int(r.source_row)
                    )
        changes = sorted(
            (m for m in self.meta.values() if m.get("change_column")), key=lambda m: m.get("version") or ""
        )
        words = {w: op for op, ws in vocab.master_changes.items() for w in ws}
        for m in changes:
            fam = self._family_for(m, bases)
            fam.changes.append(m["master_id"])
            for r in by_master[m["master_id"]]:
                if not r.is_primary:
                    continue
                attrs = json.loads(r.attrs)
                op = change_of(attrs.get(m["change_column"]), words) or "변경"
                code = str(r.code_norm)
                old = fam.entries.get(code)
                kept = dict(old.attrs) if old else {}
                if op != "삭제" or old is None:  # a deleted code keeps its last attributes
                    kept.update({k: v for k, v in attrs.items() if k != m["change_column"]})
                name = _text(r.name) or (old.name if old else None)
                if op == "삭제" and old is not None:
                    name = old.name
                fam.entries[code] = Entry(
                    str(r.code), name, kept, m["master_id"], int(r.source_row), (op, m["master_id"])
                )
        self.names: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self.values: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for fid, fam in self.families.items():
            for code, e in fam.entries.items():
                if e.name:
                    for form in {e.name, re.sub(r"\(.*?\)|\[.*?\]", "", e.name)}:
                        k = name_key(form).lower()
                        if len(k) >= 3:
                            self.names[k].add((fid, code))
                for col, v in e.attrs.items():
                    if isinstance(v, str) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.]{2,14}", v.strip()):
                        self.values[norm_code(v)].add((fid, col))
        self.texts: dict[str, set[tuple[str, str]]] = defaultdict(set)  # repeated text values: makers
        for fid, fam in self.families.items():
            seen: dict[str, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
            for e in fam.entries.values():
                for col, v in e.attrs.items():
                    if isinstance(v, str) and 3 <= len(v.strip()) <= 30 and re.search(r"[가-힣]", v):
                        seen[col][name_key(v.strip()).lower()] += 1
            for col, counts in seen.items():
                if len(counts) <= 0.9 * sum(counts.values()):  # categorical: values repeat (makers)
                    for k in counts:
                        for form in {k, _BARE.sub("", k)}:  # 한국비아트리스(유) = 한국비아트리스
                            if len(form) >= 3:
                                self.texts[form].add((fid, col))
        self.measures = {m for t in store.tables() for m in t.measure_names}
        self._longest = max((len(k) for k in self.names), default=0)

    def stored(self, codes: list[str]) -> str:
        """Every name and attribute value the masters hold for ``codes`` (what an answer about them read)."""
        out: list[str] = []
        for fam in self.families.values():
            for c in codes:
                if (e := fam.entries.get(c)) is not None:
                    out += [e.name or "", *(str(v) for v in e.attrs.values() if v is not None)]
        return " ".join(out)

    def cue(self, name: str) -> re.Pattern[str]:
        """A question pattern of the vocabulary (master_count, master_list, …)."""
        return compiled(self.vocab.cues[name])

    def _family_for(self, m: dict[str, Any], bases: list[dict[str, Any]]) -> Family:
        """The master a change file updates: same code column (same kind first), else its own family."""
        same = [b for b in bases if b["code_column"] == m["code_column"]]
        same.sort(key=lambda b: (b["kind"] != m["kind"], b.get("version") or ""), reverse=False)
        if same:
            return self.families[same[0]["master_id"]]
        return self.families.setdefault(m["master_id"], Family(None))

    # ---- reading the question ------------------------------------------------------------------
    def _entities(self, text: str, unknown: list[str]) -> list[tuple[str, str, str]]:
        """(family, code_norm, as written): codes first, then the longest names, not overlapping, then
        words nothing else explains that are part of a few names ('타이레놀' → every 타이레놀 product)."""
        out: list[tuple[str, str, str]] = []
        for m in _TOKEN.finditer(text):
            code = norm_code(m.group(0))
            out += [(fid, code, m.group(0)) for fid, fam in self.families.items() if code in fam.entries]
        sq = name_key(re.sub(r"\s+", "", text)).lower()
        taken = [False] * len(sq)
        for size in range(min(self._longest, len(sq)), 2, -1):
            for i in range(len(sq) - size + 1):
                if any(taken[i : i + size]):
                    continue
                hits = self.names.get(sq[i : i + size])
                if hits:
                    taken[i : i + size] = [True] * size
                    out += [(fid, code, sq[i : i + size]) for fid, code in sorted(hits)]
        asked = {re.sub(r"\s+", "", w) for ws in self.vocab.master_attributes.values() for w in ws}
        words = [name_key(u).lower() for u in unknown if len(u) >= 2 and re.search(r"[가-힣]", u)]
        words = [w for w in words if w not in asked and "코드" not in w and not any(w in e[2] for e in out)]
        if len(words) >= 2:  # '무릎관절증 상세불명' = 상세불명의 무릎관절증: every word in one name
            part = {hit for k, v in self.names.items() if all(w in k for w in words) for hit in v}
            if 0 < len({c for _, c in part}) <= LIST_MAX:
                return out + [(fid, code, " ".join(words)) for fid, code in sorted(part)]
        spelled = [t for u in unknown for t in re.findall(r"\S+", text) if u in t and t != u]
        for word in [*spelled, *unknown]:
            w = name_key(re.sub(r"[?!.,]+$", "", word)).lower()
            if (
                len(w) < 3
                or not re.search(r"[가-힣]", w)
                or w in asked
                or "코드" in w
                or any(w in e[2] for e in out)
            ):
                continue
            part = {hit for k, v in self.names.items() if w in k for hit in v}
            if not part:  # '란투스솔로스타' = 란투스주솔로스타: the word with a letter or two left out
                part = {hit for k, v in self.names.items() if w[:2] in k and _within(w, k, 2) for hit in v}
            if 0 < len({c for _, c in part}) <= LIST_MAX:
                out += [(fid, code, word) for fid, code in sorted(part)]
        return out

    def _columns(self, text: str, fam: Family, strict: bool = False) -> list[str]:
        """The attribute columns the question asks about: a header written out, or a vocabulary word."""
        sq = re.sub(r"\s+", "", text).lower()
        cols = list(dict.fromkeys(c for e in list(fam.entries.values())[:50] for c in e.attrs))
        hidden = {self.meta[i].get("change_column") for i in fam.changes}
        direct, by_word = [], []
        for col in cols:
            if col in hidden or col.startswith("열"):
                continue
            h = re.sub(r"\s+|\(.*?\)", "", col).lower()
            if len(h) >= 2 and h in sq:
                direct.append(col)
            elif any(
                key.lower() in h and any(re.sub(r"\s+", "", w).lower() in sq for w in words)
                for key, words in self.vocab.master_attributes.items()
            ):
                by_word.append(col)
        return direct or ([] if strict else by_word)  # 'ATC 코드' is the column ATC코드, not ATC코드명 too

    def _cite(self, ids: list[str]) -> str:
        parts = []
        for i in dict.fromkeys(ids):
            m = self.meta[i]
            what = "변경 파일" if m.get("change_column") else "코드 마스터"
            version = f", {m['version']} 기준" if m.get("version") else ""
            parts.append(f"{what} 「{m['title']}」({m['file_name']}{version})")
        return f"{CITE} " + "; ".join(parts)

    # ---- answering -----------------------------------------------------------------------------
    def answer(self, it: Intent) -> Answer | None:
        """An answer from the masters, or None when the question is not (only) about them."""
        text = it.text
        if it.formula or it.derived or it.ages or set(it.measures) & self.measures:
            return None  # a statistic a stored table holds is asked
        places = [e for e in it.entities if self.vocab.kind_of(e.dim) != "code"]  # 서울, 남, 입원
        grouped = (
            it.over is not None and it.over in self.dims
        )  # '어디' with no table by 시도: not a statistic
        strict = bool(places or grouped or it.stats or it.ranked or it.quarter or it.trend)
        ops = [op for op, ws in self.vocab.master_changes.items() if any(w in text for w in ws)]
        has_changes = any(f.changes for f in self.families.values())
        ents = self._entities(text, it.unknown)
        if ops and has_changes and not ents and not strict:
            return self._changes(it, ops)
        if it.years or it.months:
            return None
        found = self._about(it, ents, strict) if ents else None
        return found or self._by_value(it, strict)

    def _about(self, it: Intent, ents: list[tuple[str, str, str]], strict: bool) -> Answer | None:
        """Attributes, names or codes of the entities named. ``strict``: the question also reads as a
        statistic (a dimension, a place), so only a column written out verbatim makes it a lookup."""
        text = it.text
        lines: list[str] = []
        notes: list[str] = []
        cited: list[str] = []
        strip: list[str] = []
        what: list[str] = []
        asked = {fid: self._columns(text, self.families[fid], strict) for fid in {f for f, _, _ in ents}}
        if any(asked.values()):  # an attribute some master has: answered from those masters only
            ents = [x for x in ents if asked[x[0]]]
        for fid, code, written in ents:
            fam = self.families[fid]
            e = fam.entries[code]
            label = self.meta[e.master_id]["code_column"]
            cols = asked[fid]
            asks_name = (
                not cols and self.cue("master_name").search(text) is not None and norm_code(written) == code
            )
            asks_code = not cols and _asks_code(text, label) and norm_code(written) != code
            if strict and not cols:
                continue
            if not (cols or asks_name or asks_code or e.change):
                continue
            if code in self.linked and not cols and not e.change:
                return None  # a plain name/code question on a statistics code: the planner's
            who = f"「{e.name}」({label} {e.code})" if e.name else f"{label} {e.code}"
            strip += [e.code, e.name or "", written]
            if cols:
                for col in cols:
                    v = e.attrs.get(col)
                    if _blank(v):
                        lines.append(
                            f"{who}의 {col}{_josa(col, ('은', '는'))} 마스터에 비어 있습니다(값 없음)."
                        )
                    else:
                        lines.append(f"{who}의 {col}{_josa(col, ('은', '는'))} {str(v).strip()}입니다.")
                        strip.append(str(v).strip())
            elif asks_code and e.name:
                lines.append(f"「{e.name}」의 {label}{_josa(label, ('은', '는'))} {e.code}입니다.")
            elif asks_name or asks_code:
                name = f"「{e.name}」" if e.name else "마스터에 비어 있습니다(값 없음)"
                lines.append(
                    f"{label} {e.code}의 이름은 {name}입니다."
                    if e.name
                    else f"{label} {e.code}의 이름은 {name}."
                )
            what.append(" · ".join([e.name or e.code, *cols]))
            cited.append(e.master_id if e.change is None else fam.base or e.master_id)
            if e.change:
                op, mid = e.change
                cited.append(mid)
                when = self.meta[mid].get("version") or "날짜 미상"
                if op == "삭제":
                    notes.append(
                        f"※ {label} {e.code}{_josa(e.code, ('은', '는'))} {when} 변경 파일에서 삭제되었습니다."
                    )
                elif not (cols or asks_name or asks_code):
                    lines.append(f"{who}{_josa(who, ('은', '는'))} {when} 변경 파일에서 {op}되었습니다.")
                else:
                    notes.append(f"※ {when} 변경 파일의 {op} 내용을 반영했습니다.")
        if not (lines or notes):
            return None
        body = "\n".join(dict.fromkeys(lines))
        query = {"op": "master", "codes": [c for _, c, _ in ents]}
        ans = self._answer(it, body, cited, strip, query, ", ".join(dict.fromkeys(what)))
        for note in notes:
            ans.reply.add("change", note)
        return ans

    def _by_value(self, it: Intent, strict: bool = False) -> Answer | None:
        """Codes whose attribute holds a value the question gives: a code ('ATC 코드 N05CC01에 해당하는 제품
        몇 개'), a maker or other repeated value ('한국비아트리스 제품 몇 개'), a value right after its column
        ('성별구분 여인 상병'), or a blank ('ATC코드 비어있는 제품')."""
        text = it.text
        if not (self.cue("master_count").search(text) or self.cue("master_list").search(text)):
            return None
        sq = name_key(re.sub(r"\s+", "", text)).lower()
        asks: list[tuple[str, str, str, str]] = []  # (family, column, value key, as written)
        for m in _TOKEN.finditer("" if strict else text):
            asks += [
                (fid, col, norm_code(m.group(0)), m.group(0))
                for fid, col in self.values.get(norm_code(m.group(0)), ())
            ]
        if not asks and not strict:
            for size in range(min(30, len(sq)), 2, -1):
                for i in range(len(sq) - size + 1):
                    asks += [
                        (fid, col, sq[i : i + size], sq[i : i + size])
                        for fid, col in self.texts.get(sq[i : i + size], ())
                    ]
                if asks:
                    break
        for fid, fam in self.families.items():
            if asks:
                break
            for col in self._columns(text, fam, strict=True):
                after = re.split(re.escape(col), re.sub(r"\s+", "", text), maxsplit=1)[-1]
                if self.cue("master_blank").search(after[:8]):
                    asks.append((fid, col, "", "(빈 값)"))
                    continue
                for v in {str(e.attrs.get(col) or "").strip() for e in fam.entries.values()} - {""}:
                    if re.match(re.escape(v) + r"(?:인|이|가|만|으로|로|$)", after):
                        asks.append((fid, col, name_key(v).lower(), v))
        for fid, col, key, written in asks:
            fam = self.families[fid]
            hits = [
                e
                for e in fam.entries.values()
                if _key(e.attrs.get(col), key) and (e.change or ("",))[0] != "삭제"
            ]
            if not hits:
                continue
            label = self.meta[hits[0].master_id]["code_column"]
            shown = ", ".join(f"{e.code} {e.name or ''}".strip() for e in hits[:LIST_MAX])
            more = f" 외 {len(hits) - LIST_MAX}개" if len(hits) > LIST_MAX else ""
            said = "비어 있는" if not key else f"{written}인"
            body = f"{col}{_josa(col, ('이', '가'))} {said} {label}는 {len(hits)}개입니다: {shown}{more}."
            ids = [fam.base or hits[0].master_id, *fam.changes]
            strip = [written, *(e.code for e in hits[:LIST_MAX]), *(e.name or "" for e in hits[:LIST_MAX])]
            query = {"op": "master_count", "column": col, "value": key}
            ans = self._answer(it, body, ids, strip, query, f"{col} {said} {label} 수")
            ans.extra.append(float(len(hits)))
            return ans
        return None

    def _changes(self, it: Intent, ops: list[str]) -> Answer:
        """What change files added, changed or removed (the files of the kind, year and month asked; a
        period no change file covers is said, never answered from another file)."""
        text = it.text
        files = [i for f in self.families.values() for i in f.changes]
        kinds = [k for k, p in self.vocab.master_kinds.items() if compiled(p).search(text)]
        if kinds:
            files = [i for i in files if self.meta[i]["kind"] in kinds] or files
        months = [int(re.sub(r"\D", "", m)) for m in it.months]
        if it.years or months:

            def covers(version: str) -> bool:
                y, mo = (int(x) for x in version.split("-")[:2]) if version else (0, 0)
                return (not it.years or y in it.years) and (not months or mo in months)

            dated = [i for i in files if covers(self.meta[i].get("version") or "")]
            if not dated:
                asked = " ".join([*(f"{y}년" for y in it.years), *(f"{m}월" for m in months)])
                have = ", ".join(
                    f"{self.meta[i].get('version') or '날짜 미상'} 「{self.meta[i]['title']}」" for i in files
                )
                text = (
                    f"죄송하지만 해당 질문에 답할 자료가 없습니다. {asked}에 적용된 변경 파일이 없습니다. "
                    f"보유한 변경 파일: {have or '없음'}."
                )
                return Answer(
                    it.text,
                    Reply(text),
                    True,
                    "master",
                    None,
                    query={"op": "abstain", "reason": "period"},
                    reason="period",
                    interpretation=f"이해한 질문: 코드 마스터 변경 · {asked}",
                )
            files = dated
        counting = self.cue("master_count").search(text) is not None
        lines: list[str] = []
        extra: list[float] = []
        strip: list[str] = []
        rows: dict[str, list[Entry]] = {mid: [] for mid in files}
        for f in self.families.values():
            for e in f.entries.values():
                if e.change and e.change[1] in rows:
                    rows[e.change[1]].append(e)
        for mid in files:
            m = self.meta[mid]
            when = m.get("version") or "날짜 미상"
            for op in ops:
                hits = [e for e in rows[mid] if e.change and e.change[0] == op]
                label = m["code_column"]
                if not hits:
                    lines.append(f"{when} 변경 파일 「{m['title']}」에 {op}된 {label}는 없습니다.")
                    continue
                shown = ", ".join(f"{e.code} {e.name or ''}".strip() for e in hits[:LIST_MAX])
                more = f" 외 {len(hits) - LIST_MAX}개" if len(hits) > LIST_MAX else ""
                lines.append(
                    f"{when} 변경 파일 「{m['title']}」에서 {op}된 {label}는 {len(hits)}개입니다"
                    + ("." if counting and len(hits) > LIST_MAX else f": {shown}{more}.")
                )
                extra.append(float(len(hits)))
                strip += [*(e.code for e in hits[:LIST_MAX]), *(e.name or "" for e in hits[:LIST_MAX])]
        query = {"op": "master_changes", "changes": ops}
        ans = self._answer(it, "\n".join(lines), files, strip, query, "변경 파일의 " + "·".join(ops))
        ans.extra += extra + [float(y) for y in it.years]
        return ans

    def _answer(
        self, it: Intent, body: str, ids: list[str], strip: list[str], query: dict[str, Any], what: str = ""
    ) -> Answer:
        cite = self._cite(ids)
        titles = [self.meta[i]["title"] for i in ids] + [self.meta[i]["file_name"] for i in ids]
        versions = [self.meta[i].get("version") or "" for i in ids]
        return Answer(
            it.text,
            Reply(body, citation=cite),
            False,
            "master",
            None,
            query=query,
            strip=[s for s in [*strip, *titles, *versions] if s],
            interpretation="이해한 질문: 코드 마스터 조회" + (f" · {what}" if what else ""),
        )
