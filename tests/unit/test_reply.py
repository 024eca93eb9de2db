"""The answer's parts as a contract: a reply round-trips through a record, an unknown note kind or answer
operation is refused where it is made, and text someone else wrote is read up to its source line."""

from __future__ import annotations

import pytest

from hirachat.query.model import ANSWER_OPS, OPS, Answer
from hirachat.query.reply import CITE, Note, Reply, prose


def test_a_reply_round_trips_through_its_dict() -> None:
    r = Reply("2019년 서울 내과 환자수는 1,234명입니다.", citation=f"{CITE} 건강보험심사평가원 「표」")
    r.add("overcount", "※ 환자수는 합산하지 않습니다.").add("overcount", "※ 환자수는 합산하지 않습니다.")
    again = Reply.from_dict(r.as_dict())
    assert again == r and len(again.notes) == 1
    assert again.stated() == "2019년 서울 내과 환자수는 1,234명입니다.\n※ 환자수는 합산하지 않습니다."
    with pytest.raises(ValueError, match="unknown note kind 'guess'"):
        Reply.from_dict({**r.as_dict(), "notes": [{"kind": "guess", "text": "※ 아마"}]})


def test_text_written_by_others_is_read_up_to_its_source_line() -> None:
    assert prose(f"환자수는 12명입니다.\n{CITE} 「2019년 표」 3행") == "환자수는 12명입니다.\n"
    assert prose("출처 없이 12명") == "출처 없이 12명"


def test_an_answer_names_one_of_the_known_operations() -> None:
    assert set(OPS) < set(ANSWER_OPS) and {"define", "master", "abstain"} <= set(ANSWER_OPS)
    Answer("q", Reply("용어: 뜻"), False, "definition", query={"op": "define", "term": "용어"})
    with pytest.raises(ValueError, match="unknown answer op 'top_k'"):
        Answer("q", Reply("1위 A"), False, "ranking", query={"op": "top_k"})
    assert Note("unit", "※ 단위 없음").as_dict() == {"kind": "unit", "text": "※ 단위 없음"}
