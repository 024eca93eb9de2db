"""Numeric grounding: is every number in a text traceable to given facts?

Shared by the dataset's consistency check (every training answer) and the answer engines (every model
answer). Derived figures are recomputed from their inputs before they are trusted; a derived figure
with an ``id`` (a sum over several facts, say) can feed later ones. A number passes if it equals a fact,
a recomputed figure, or an allowed extra (years, counts the caller names), at the precision written;
after "약" (about), at the significant digits written. Strings given in ``strip`` (codes, names, titles)
are removed first so the digits inside them (J20, 3단상병) are not read as numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hirachat.numbers import Number, extract_numbers

_KNOWN_WORDS = ("1인당",)
_ABOUT = re.compile(r"(약|대략|거의|정도|가량)\s*$")


def recompute(op: str, vals: list[float]) -> list[float]:
    """What a derived figure may equal, given its inputs (ratios as a fraction or a percent)."""
    if op == "sum":
        return [float(sum(vals, 0.0))]
    if op == "count":
        return [float(len(vals))]
    if op == "diff" and len(vals) == 2:
        return [vals[0] - vals[1]]
    if op == "ratio" and len(vals) == 2 and vals[1]:
        return [vals[0] / vals[1], vals[0] / vals[1] * 100]
    if op == "pct_change" and len(vals) == 2 and vals[0]:
        return [(vals[1] - vals[0]) / vals[0] * 100]
    rest = float(sum(vals[1:], 0.0))
    if op == "share" and rest:
        return [vals[0] / rest * 100]
    return []


def verify_derived(
    facts: Sequence[Mapping[str, Any]], derived: Sequence[Mapping[str, Any]]
) -> tuple[list[float], str | None]:
    """Recompute each derived figure in order; returns (trusted values, first problem or None)."""
    known = {f["fact_id"]: float(f["value"]) for f in facts}
    trusted: list[float] = []
    for d in derived:
        if d["op"] == "rank":
            if not (1 <= d["value"] <= len(d["of"]) and float(d["value"]).is_integer()):
                return trusted, f"rank {d['value']} outside 1..{len(d['of'])}"
            trusted.append(float(d["value"]))
            continue
        try:
            vals = [known[i] for i in d["of"]]
        except KeyError as exc:
            return trusted, f"derived {d['op']} uses {exc}, which is neither a fact nor an earlier figure"
        options = recompute(d["op"], vals)
        if not any(abs(o - d["value"]) <= 1e-9 * max(1.0, abs(o)) for o in options):
            return trusted, f"derived {d['op']} value {d['value']} does not follow from its facts"
        trusted += [float(d["value"]), abs(float(d["value"]))]
        if "id" in d:
            known[d["id"]] = float(d["value"])
    return trusted, None


def _significant(n: Number) -> int:
    digits = re.sub(r"\D", "", f"{abs(n.value):.{n.decimals}f}").lstrip("0").rstrip("0")
    return max(1, len(digits))


def _close(n: Number, target: float, about: bool) -> bool:
    if n.matches(target):
        return True
    if about and target and n.value:
        sig = _significant(n)
        scale = 10 ** (math.floor(math.log10(abs(target))) - sig + 1)
        return abs(round(target / scale) * scale - n.value) <= 1e-9 * abs(target)
    return False


def _without_names(text: str, facts: Sequence[Mapping[str, Any]], strip: Iterable[str]) -> str:
    """Remove codes, names and titles whose digits are not numbers (J20, 0~9세, 3단상병)."""
    removable = {str(v) for f in facts for k, v in f["dims"].items() if k not in ("진료년도", "분기")}
    removable |= {s for s in strip if s} | set(_KNOWN_WORDS)
    for s in sorted(removable, key=len, reverse=True):
        text = text.replace(s, " ")
    return text


def missing_figures(
    text: str, reference: str, facts: Sequence[Mapping[str, Any]], strip: Iterable[str] = ()
) -> list[str]:
    """Figures of ``reference`` (the grounded answer's first sentence, years aside) that ``text`` does not state."""
    strip = list(strip)
    years = {float(v) for f in facts for k, v in f["dims"].items() if k in ("진료년도", "분기")}
    need = [n for n in extract_numbers(_without_names(reference, facts, strip)) if n.value not in years]
    have = extract_numbers(_without_names(text, facts, strip))
    return [n.text for n in need if not any(h.matches(n.value) or n.matches(h.value) for h in have)]


def ungrounded(
    text: str,
    facts: Sequence[Mapping[str, Any]],
    derived: Sequence[Mapping[str, Any]] = (),
    extra: Iterable[float] = (),
    strip: Iterable[str] = (),
) -> str | None:
    """None if every number in ``text`` is grounded; else why not (the first offending number)."""
    trusted, problem = verify_derived(facts, derived)
    if problem:
        return problem
    allowed = [float(f["value"]) for f in facts] + trusted + [float(x) for x in extra]
    for f in facts:
        for k, v in f["dims"].items():
            if k in ("진료년도", "분기"):
                allowed.append(float(v))
        if "twice" in f:  # a key the file gives twice: the rows and the other row's figures may be said
            allowed += [n.value for n in extract_numbers(f["twice"])]
    text = _without_names(text, facts, strip)
    for n in extract_numbers(text):
        about = bool(_ABOUT.search(text[max(0, n.start - 6) : n.start]))
        if not any(_close(n, a, about) for a in allowed):
            return f"number {n.text!r} is not in the facts"
    return None
