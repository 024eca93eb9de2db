"""The prompt format, owned in one place and used identically for training, evaluation and serving.

SOLAR's instruct template (``### System:`` / ``### User:`` / ``### Assistant:``) in two variants: plain QA
(the question alone) and retrieval-style (fact cards in the prompt; the answer must come from them).
Chat endpoints (OpenAI-compatible servers such as vLLM) get the same content as messages.
"""

from __future__ import annotations

SYSTEM = (
    "당신은 건강보험심사평가원(HIRA) 보건의료 통계를 안내하는 도우미입니다. "
    "숫자는 주어진 자료에 있는 값만 정확히(단위와 천 단위 구분 기호 포함) 쓰고, 출처 표와 연도를 밝히세요. "
    "자료로 답할 수 없으면 자료가 없다고 분명히 말하고 숫자를 지어내지 마세요."
)


def user_message(question: str, cards: list[str] | None = None) -> str:
    """The user turn: the question, and in the retrieval variant the fact cards before it."""
    if not cards:
        return question
    facts = "\n".join(f"- {c}" for c in cards)
    return f"[자료]\n{facts}\n\n[질문]\n{question}"


def solar_prompt(
    question: str, cards: list[str] | None = None, answer: str | None = None, system: str = SYSTEM
) -> str:
    """SOLAR's instruct text; with ``answer``, the full training example (the answer ends the text)."""
    text = f"### System:\n{system}\n\n### User:\n{user_message(question, cards)}\n\n### Assistant:\n"
    return text + answer if answer is not None else text


def chat_messages(
    question: str, cards: list[str] | None = None, system: str = SYSTEM
) -> list[dict[str, str]]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user_message(question, cards)}]
