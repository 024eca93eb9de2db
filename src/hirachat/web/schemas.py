"""What the HTTP edge returns, as types: every JSON route names one of these as its response model, so the
OpenAPI document (/openapi.json) describes an answer, a rating, a campaign item … and FastAPI checks each
response against it. Request bodies stay beside their routes; these are the responses only.

An answer's parts (sources, typed notes, figures) are the planner's own (query/reply.py, query/model.py);
the `/v1` extension `hirachat` carries them next to OpenAI's fields."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hirachat.query.model import KINDS
from hirachat.query.reply import NOTE_KINDS


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Open(BaseModel):
    """A response whose nested figures are computed per request (monitoring, leaderboards): the top level
    is described, further keys are allowed."""

    model_config = ConfigDict(extra="allow")


# ---- accounts ------------------------------------------------------------------------------------
class UserOut(_Out):
    id: int
    username: str
    role: Literal["admin", "evaluator"]


class UserAdminOut(UserOut):
    active: bool
    revoked: int | None = None


class LoginOut(_Out):
    token: str
    user: UserOut


class PasswordOut(LoginOut):
    revoked: int


class SessionOut(_Out):
    user: UserOut | None


class Ok(_Out):
    ok: bool


class Revoked(_Out):
    revoked: bool


class TokenOut(_Out):
    id: int
    kind: str
    name: str | None
    created_at: str | None
    expires_at: str | None


class NewToken(_Out):
    token: str = Field(description="shown once: only its hash is stored")
    username: str
    name: str | None
    expires_in_days: int | None


class Unlocked(_Out):
    username: str
    was_locked: bool


# ---- answers -------------------------------------------------------------------------------------
class Source(_Out):
    """One fact an answer used: its table, file, sheet and row, the measure, value, unit and dimensions."""

    table: str | None = None
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    measure: str | None = None
    value: float | None = None
    unit: str | None = None
    dims: dict[str, Any] = {}


class NoteOut(_Out):
    kind: str = Field(description="one of: " + ", ".join(NOTE_KINDS))
    text: str


class AnswerExtension(_Out):
    """hira-chat's fields on a `/v1` completion (the `hirachat` key): what the answer rests on."""

    abstained: bool
    kind: str | None = Field(None, description="what the answer is: " + ", ".join(KINDS))
    interpretation: str | None = Field(None, description="the question as understood ('이해한 질문: …')")
    notes: list[NoteOut] = []
    figures: list[float] = Field([], description="the figures the answer states, as numbers")
    engine: str | None = None
    table: str | None = None
    sources: list[Source] = []
    reason: str | None = Field(None, description="why it abstained: year, measure, entity, ambiguous, …")
    fallback_reason: str | None = Field(
        None, description="why a model's text was replaced by the grounded one"
    )
    latency_ms: float | None = None
    data_version: str | None = None
    clarify: list[str] = Field(
        [], description="a question back: the question read each possible way (send one to pick it)"
    )


class ModelCard(_Out):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(_Out):
    object: Literal["list"]
    data: list[ModelCard]


class AssistantMessage(_Out):
    role: Literal["assistant"]
    content: str


class Choice(_Out):
    index: int
    message: AssistantMessage
    finish_reason: Literal["stop", "length"]


class Usage(_Out):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(_Out):
    """`POST /v1/chat/completions` without `stream` (with it: `text/event-stream` chunks, the last one
    carrying `hirachat`)."""

    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    hirachat: AnswerExtension


class ChatModel(_Out):
    id: str
    engine: str


class ConversationOut(_Out):
    id: str
    title: str
    created_at: str


class RatingOut(_Out):
    id: int
    client_id: str
    message_id: int | None
    item_id: int | None
    score: int
    factual: str
    hallucination: bool
    comment: str
    duplicate: bool
    revised: bool = False


class MessageOut(_Out):
    id: int
    question: str
    answer: str
    engine: str
    abstained: bool
    sources: list[Source]
    interpretation: str
    notes: list[NoteOut] = []
    data_version: str | None
    display: dict[str, Any] | None
    choices: list[str] = Field([], description="a question back: each reading, asked when picked")
    rating: RatingOut | None
    created_at: str


class ConversationDetail(_Out):
    id: str
    title: str
    messages: list[MessageOut]


# ---- evaluation ----------------------------------------------------------------------------------
class CampaignCreated(_Out):
    id: int
    name: str
    items: int
    evaluators: list[str]


class Assigned(_Out):
    campaign_id: int
    assigned: list[str]


class Progress(_Out):
    username: str
    rated: int


class CampaignAdmin(_Out):
    id: int
    name: str
    model: str
    items: int
    progress: list[Progress]


class Agreement(_Out):
    campaign_id: int
    items_rated_by_two_or_more: int
    raters: int
    score_alpha_ordinal: float | None
    score_alpha_interval: float | None
    factual_alpha_nominal: float | None
    hallucination_alpha_nominal: float | None


class CampaignMine(_Out):
    id: int
    name: str
    description: str | None
    items: int
    rated: int


class ItemView(_Out):
    id: int
    position: int
    question: str
    answer: str
    reference: str | None
    reference_hidden: bool
    sources: list[Source]
    abstained: bool
    rating: RatingOut | None


class ItemAt(_Out):
    item: ItemView | None
    total: int


class RatedBy(RatingOut):
    evaluator: str | None


class BrowseItem(_Out):
    id: int
    position: int
    question: str
    answer: str
    reference: str | None
    ratings: list[RatedBy]


class CampaignBrowse(_Out):
    campaign_id: int
    name: str
    model: str
    reference_shown: str
    items: list[BrowseItem]


class ArenaInfo(_Out):
    enabled: bool
    contestants: int


class Side(_Out):
    answer: str
    abstained: bool
    sources: list[Source]
    fallback: bool


class Battle(_Out):
    battle_id: str
    question: str
    a: Side
    b: Side


class Vote(_Out):
    battle_id: str
    vote: str
    a: str
    b: str


class Leaderboard(_Open):
    votes: int
    excluded_fallback: int
    rows: list[dict[str, Any]]


# ---- operations ----------------------------------------------------------------------------------
class Health(_Out):
    status: Literal["ok", "degraded"]
    models: list[str]
    database: str
    tables: int | str
    data_version: str | None = None


class Versions(_Out):
    serving: str | None
    current: str | None
    switch_error: str | None
    versions: list[dict[str, Any]]


class Serving(_Out):
    serving: str | None


class Monitor(_Open):
    tables: list[dict[str, Any]]
    settings: dict[str, Any]


# ---- errors --------------------------------------------------------------------------------------
class Invalid(_Out):
    """A request that does not validate (422): what is wrong and where; a body that does not parse also
    gets pydantic's own list."""

    detail: str
    errors: list[dict[str, Any]] = []


class OpenAIErrorBody(_Out):
    message: str
    type: str
    param: str | None
    code: str | None


class OpenAIError(_Out):
    """`/v1` errors in OpenAI's shape."""

    error: OpenAIErrorBody


INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": Invalid, "description": "the request does not validate"}
}
OPENAI_INVALID: dict[int | str, dict[str, Any]] = {
    400: {"model": OpenAIError, "description": "malformed JSON"},
    422: {"model": OpenAIError, "description": "the request does not validate"},
}
