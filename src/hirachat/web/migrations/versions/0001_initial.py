"""Initial schema: users, tokens, conversations, messages, campaigns, items, assignments, ratings, battles.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        _when("created_at"),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(64), nullable=True),
        _when("created_at"),
        _when("expires_at", nullable=True),
    )
    op.create_index("ix_tokens_user_id", "tokens", ["user_id"])
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        _when("created_at"),
    )
    op.create_index("ix_conversations_user_id", "conversations", ["user_id"])
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "conversation_id",
            sa.String(36),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("engine", sa.String(64), nullable=False),
        sa.Column("abstained", sa.Boolean, nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("temperature", sa.Float, nullable=True),
        sa.Column("max_tokens", sa.Integer, nullable=True),
        _when("created_at"),
    )
    op.create_index("ix_messages_conversation_id", "messages", ["conversation_id"])
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("engine", sa.String(64), nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        _when("created_at"),
    )
    op.create_table(
        "campaign_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "campaign_id", sa.Integer, sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("reference", sa.Text, nullable=True),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.UniqueConstraint("campaign_id", "position"),
    )
    op.create_index("ix_campaign_items_campaign_id", "campaign_items", ["campaign_id"])
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "campaign_id", sa.Integer, sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.UniqueConstraint("campaign_id", "user_id"),
    )
    op.create_index("ix_assignments_campaign_id", "assignments", ["campaign_id"])
    op.create_index("ix_assignments_user_id", "assignments", ["user_id"])
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("message_id", sa.Integer, sa.ForeignKey("messages.id"), nullable=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("campaign_items.id"), nullable=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("engine", sa.String(64), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("factual", sa.String(8), nullable=False),
        sa.Column("hallucination", sa.Boolean, nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        _when("created_at"),
        sa.UniqueConstraint("user_id", "item_id"),
    )
    op.create_index("ix_ratings_user_id", "ratings", ["user_id"])
    op.create_table(
        "battles",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("contestant_a", sa.String(64), nullable=False),
        sa.Column("contestant_b", sa.String(64), nullable=False),
        sa.Column("answer_a", sa.Text, nullable=False),
        sa.Column("answer_b", sa.Text, nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("vote", sa.String(8), nullable=True),
        sa.Column("vote_client_id", sa.String(64), nullable=True, unique=True),
        _when("created_at"),
        _when("voted_at", nullable=True),
    )
    op.create_index("ix_battles_user_id", "battles", ["user_id"])


def downgrade() -> None:
    for table in (
        "battles",
        "ratings",
        "assignments",
        "campaign_items",
        "campaigns",
        "messages",
        "conversations",
        "tokens",
        "users",
    ):
        op.drop_table(table)
