"""The web database's tables (SQLAlchemy ORM). Migrations in ``migrations/versions`` create them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # admin | evaluator
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Token(Base):
    """Login and API tokens; only their SHA-256 is stored."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # login | api
    name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LoginThrottle(Base):
    """Failed logins per account ("user:<name>") and per client address ("addr:<ip>"), in the database so
    every worker and a restart see them; ``locked_until`` set when an account is locked."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Conversation(Base):
    __tablename__ = "conversations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Message(Base):
    """One question and its answer in a conversation."""

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    engine: Mapped[str] = mapped_column(String(64))
    abstained: Mapped[bool] = mapped_column(Boolean)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)  # sources, table, query, fallback, timings
    temperature: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Campaign(Base):
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    engine: Mapped[str] = mapped_column(String(64))
    reference_shown: Mapped[str] = mapped_column(String(16), default="after_rating")  # | always | never
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class CampaignItem(Base):
    """A fixed question with the answer every assigned evaluator rates (generated once, at load)."""

    __tablename__ = "campaign_items"
    __table_args__ = (UniqueConstraint("campaign_id", "position"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(Text, nullable=True)
    answer: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class Rating(Base):
    """An expert's judgement of one answer (a chat message or a campaign item), attributed and idempotent."""

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("user_id", "item_id"),
        Index(
            "uq_ratings_user_message", "user_id", "message_id", unique=True
        ),  # one per evaluator and answer
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), nullable=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_items.id"), nullable=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    engine: Mapped[str] = mapped_column(String(64))
    score: Mapped[int] = mapped_column(Integer)
    factual: Mapped[str] = mapped_column(String(8))  # correct | wrong | unsure
    hallucination: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class RatingHistory(Base):
    """A rating's earlier version, kept when the evaluator revises it (one rating per evaluator and answer)."""

    __tablename__ = "rating_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)  # a retry of it is a duplicate
    previous: Mapped[dict[str, Any]] = mapped_column(JSON)
    replaced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Battle(Base):
    """A blind A/B comparison: two contestants answered one question; the vote reveals who was who."""

    __tablename__ = "battles"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    contestant_a: Mapped[str] = mapped_column(String(64))
    contestant_b: Mapped[str] = mapped_column(String(64))
    answer_a: Mapped[str] = mapped_column(Text)
    answer_b: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)
    vote: Mapped[str | None] = mapped_column(String(8), nullable=True)  # a | b | tie | both_bad
    vote_client_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    voted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class QuestionLog(Base):
    """One answered question, for monitoring: where and how it was answered, how long it took, whether it
    abstained or fell back. ``question`` is NULL when ``serve.log_question_text`` is false (then
    ``question_key`` is too); ``message_id`` links a chat answer to its later ratings."""

    __tablename__ = "question_log"
    # the figures (counts, rates, percentiles by day) read only this index, never the rows with their text
    __table_args__ = (
        Index(
            "ix_question_log_figures",
            "created_at",
            "latency_ms",
            "abstained",
            "fallback",
            "surface",
            "engine",
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    surface: Mapped[str] = mapped_column(String(16))  # chat | api | arena | campaign
    engine: Mapped[str] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(64), nullable=True)
    question: Mapped[str | None] = mapped_column(Text, nullable=True)
    question_key: Mapped[str | None] = mapped_column(String(500), nullable=True)  # normalised, for grouping
    interpretation: Mapped[str | None] = mapped_column(Text, nullable=True)
    data_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    latency_ms: Mapped[float] = mapped_column(Float)
    abstained: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    fallback: Mapped[bool] = mapped_column(Boolean)
    fallback_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    generated_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), nullable=True, index=True
    )


class QuestionLogTable(Base):
    """A table an answer used (from its sources): one row each, so "most asked tables" is a GROUP BY on
    every database."""

    __tablename__ = "question_log_tables"
    log_id: Mapped[int] = mapped_column(ForeignKey("question_log.id", ondelete="CASCADE"), primary_key=True)
    table_id: Mapped[str] = mapped_column(String(200), primary_key=True)
