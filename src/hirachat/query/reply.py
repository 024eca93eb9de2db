"""What an answer says, in parts: the body (the sentences that state the figures), its notes (each of a
kind: an over-count, a missing unit, approximate values, a key given twice, groups left out, …) and the
citation. Wording code adds to a Reply; each surface renders it once (`render` is the CLI and chat
text). Nothing downstream cuts the text apart again to find the body, a note or the source line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

NoteKind = Literal[
    "overcount",  # a sum of 환자수 over groups a person can be in more than once
    "unit",  # an amount whose file states no unit
    "selective",  # amounts include 선별급여
    "synthetic",  # the data are synthetic examples
    "approximate",  # values the file holds rounded
    "duplicate",  # a key the file gives twice with different figures
    "suppressed",  # groups left out because their cell is not published
    "master",  # a code named by its code master
    "change",  # a code master's change file applied
    "excluded",  # values the question said to leave out
]
NOTE_KINDS: tuple[str, ...] = get_args(NoteKind)
CITE = "출처:"  # how a citation line starts
DEFINITION_SOURCE = f"{CITE} 건강보험심사평가원 통계 용어 설명"


def prose(text: str) -> str:
    """Text someone else wrote (a model's answer, a record's target from before replies were stored) up to
    its source line: where that text's figures are read. Our own answers are never read back: a ``Reply``
    holds their parts."""
    return text.split(CITE, 1)[0]


@dataclass(frozen=True)
class Note:
    kind: NoteKind
    text: str  # one Korean line, starting with ※

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text}


@dataclass
class Reply:
    body: str
    notes: list[Note] = field(default_factory=list)
    citation: str = ""  # "출처: …"
    hints: list[str] = field(default_factory=list)  # after a refusal: stored rows close to the question

    def add(self, kind: NoteKind, text: str) -> Reply:
        """Add a note once (the same line is never said twice)."""
        if text and all(n.text != text for n in self.notes):
            self.notes.append(Note(kind, text))
        return self

    def has(self, kind: NoteKind) -> bool:
        return any(n.kind == kind for n in self.notes)

    @property
    def headline(self) -> str:
        """The first sentence line of the body: the figure asked for."""
        return self.body.split("\n", 1)[0]

    def insert_line(self, line: str) -> None:
        """A line right after the headline (a comparison's percent, a trend's series)."""
        head, sep, rest = self.body.partition("\n")
        self.body = f"{head}\n{line}" + (f"\n{rest}" if sep else "")

    def render(self) -> str:
        hints = "비슷한 자료: " + " / ".join(self.hints) if self.hints else ""
        return "\n".join(p for p in (self.body, *(n.text for n in self.notes), self.citation, hints) if p)

    def stated(self) -> str:
        """The body and notes: every line whose figures must be grounded (not the citation or hints)."""
        return "\n".join([self.body, *(n.text for n in self.notes)])

    def as_dict(self) -> dict[str, Any]:
        notes = [n.as_dict() for n in self.notes]
        return {"body": self.body, "notes": notes, "citation": self.citation, "hints": self.hints}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Reply:
        notes = [Note(n["kind"], n["text"]) for n in d.get("notes", [])]
        if bad := [n.kind for n in notes if n.kind not in NOTE_KINDS]:
            raise ValueError(f"unknown note kind {bad[0]!r}: one of {', '.join(NOTE_KINDS)}")
        return cls(d["body"], notes, d.get("citation", ""), list(d.get("hints", [])))
