"""The file's own words: what a table is about, read from its title rows, sheet name and file name.

Portal downloads often say once, outside the grid, what holds for the whole file: the subject ("다빈도 상병",
"결핵 진료인원"), the only measure when the grid has none (a file whose columns are years), the unit of every
amount ("(단위_명, 일, 건, 천원)"), and a constant scope (외래 or 입원, an age band, a region, a sex) in which two
files of one family differ. Those constants become dimensions of the table (so 입원 and 외래 files are one table),
and the family title is the file's words less dates, the agency prefix and those constants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hirachat.data.kinds import is_age_band, is_kcd_code
from hirachat.data.normalize import squash, units_in_text
from hirachat.data.readers import RawGrid
from hirachat.data.vocab import DIMENSION_BY_NAME, MEASURE_SYNONYMS, SIDO_ALIASES

TITLE_PERIOD = re.compile(r"((?:19|20)\d{2})\s*년(?:도)?\s*(?:(\d)\s*분기)?")
NAME_PERIOD = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:(\d{2})(\d{2}))?(?:\s*[Qq](\d))?(?!\d)")
_RANGE_PERIOD = re.compile(r"(?<!\d)(?:19|20)\d{2}\s*년?\s*[~\-]\s*(?:19|20)\d{2}\s*년?(?!\d)")
_UNIT_PAREN = re.compile(r"[(\[（][^)\]）]*단위[^)\]）]*[)\]）]|단위\s*[_:：][\s\w,，·ㆍ/]*")
_AGENCY = re.compile(r"^\s*(건강보험심사평가원|심사평가원)[\s_\-]*")
_SPLIT = re.compile(r"[\s_\-.,()\[\]（）·ㆍ]+")
_GENERIC_SHEETS = re.compile(r"^(sheet|시트|data|데이터|table|표)\s*\d*$", re.I)
_SEX_WORDS = {"남자": "남", "남성": "남", "여자": "여", "여성": "여"}


@dataclass
class TitleWords:
    family: str  # the table family's title: no period, agency, unit or constant scope
    subject: str  # the words that say what the table is about (the family title with spaces)
    units: list[str] = field(default_factory=list)
    constants: dict[str, str] = field(default_factory=dict)  # dimension → value stated for the whole file
    constant_words: dict[str, str] = field(default_factory=dict)  # dimension → the word the file used


_DISEASE_TITLE = re.compile(r"상병|질병|질환|KCD", re.I)


def _constant(token: str) -> tuple[str, str] | None:
    inout = DIMENSION_BY_NAME["입원외래구분"]
    if token in inout.values:
        return "입원외래구분", token
    if token in inout.aliases:
        return "입원외래구분", inout.aliases[token]
    if token in _SEX_WORDS:
        return "성별", _SEX_WORDS[token]
    if is_age_band(token) and not token.isdigit():
        return "연령군", token
    if len(token) >= 2 and token in SIDO_ALIASES:
        return "시도", SIDO_ALIASES[token]
    return None


def texts(grid: RawGrid) -> list[str]:
    """Where a file states what it is: its title rows, its sheet name (when it names something), its file name."""
    out = [grid.title or ""]
    if grid.sheet and not _GENERIC_SHEETS.match(grid.sheet.strip()):
        out.append(grid.sheet)
    out.append(grid.path.stem)
    return [t for t in out if t]


def strip_title(text: str) -> str:
    s = _UNIT_PAREN.sub(" ", text)
    s = _RANGE_PERIOD.sub(" ", s)
    s = TITLE_PERIOD.sub(" ", s)
    s = NAME_PERIOD.sub(" ", s)
    s = _AGENCY.sub("", s.strip())
    return s


def read_words(grid: RawGrid, dims: set[str], name: str | None = None) -> TitleWords:
    """The family, subject, units and constant dimensions (those the grid does not hold) of one grid."""
    sources = texts(grid)
    units: list[str] = []
    for t in sources:
        units = units or units_in_text(t)
    constants: dict[str, str] = {}
    words: dict[str, str] = {}
    base = name or (grid.title or grid.path.stem)
    for t in [base, *sources]:
        for token in _SPLIT.split(strip_title(t)):
            found = _constant(token)
            if found and found[0] not in dims and found[0] not in constants:
                constants[found[0]] = found[1]
                words[found[0]] = token
    family_text = strip_title(base)
    # a per-disease export names its code (and the disease) in the title: 질병 소분류 통계 : I21 급성 심근경색증
    code_dims = {"주상병코드", "상병코드"} & dims
    for t in [base, *sources]:
        if code_dims or not _DISEASE_TITLE.search(t):
            continue
        hit = next(
            (tok for tok in _SPLIT.split(strip_title(t)) if is_kcd_code(tok) and tok[0].isupper()), None
        )
        if hit and "주상병코드" not in constants:
            constants["주상병코드"] = hit.replace(".", "")
            words["주상병코드"] = hit
            family_text = re.split(rf"[\s:：_\-]*{re.escape(hit)}", family_text)[0]
    for d, w in words.items():
        if d != "주상병코드":
            family_text = re.sub(rf"(?<![가-힣]){re.escape(w)}(?![가-힣])", " ", family_text)
    family_text = re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", family_text))
    sheet = (grid.sheet or "").strip()
    if (
        grid.sheets > 1
        and sheet
        and not _GENERIC_SHEETS.match(sheet)
        and not TITLE_PERIOD.search(sheet)
        and not NAME_PERIOD.fullmatch(sheet)
    ):
        family_text += f" {sheet}"
    family = re.sub(r"[\s_\-.:：]+", "_", family_text).strip("_") or "table"
    return TitleWords(family, family.replace("_", " "), units, constants, words)


def implied_measure(grid: RawGrid, unit: str | None, subject: str) -> str:
    """The measure a grid without a measure row counts: the one its title or file name names, else the
    one its unit implies, else the file's subject itself (never a bare '값')."""
    for t in texts(grid):
        key = squash(strip_title(t))
        for syn in sorted(MEASURE_SYNONYMS, key=len, reverse=True):
            if syn in key:
                return MEASURE_SYNONYMS[syn]
    by_unit = {"개소": "기관수", "명": "환자수", "건": "명세서청구건수", "일": "입내원일수"}
    if unit in by_unit:
        return by_unit[unit]
    return squash(subject) or "값"
