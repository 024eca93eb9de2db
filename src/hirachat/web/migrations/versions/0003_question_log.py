"""The question log (monitoring): one row per answered question, and the tables each answer used.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "question_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("surface", sa.String(16), nullable=False),
        sa.Column("engine", sa.String(64), nullable=False),
        sa.Column("model", sa.String(64), nullable=True),
        sa.Column("question", sa.Text, nullable=True),
        sa.Column("question_key", sa.String(500), nullable=True),
        sa.Column("interpretation", sa.Text, nullable=True),
        sa.Column("data_version", sa.String(64), nullable=True),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("abstained", sa.Boolean, nullable=False),
        sa.Column("reason", sa.String(64), nullable=True),
        sa.Column("fallback", sa.Boolean, nullable=False),
        sa.Column("fallback_reason", sa.Text, nullable=True),
        sa.Column("generated_tokens", sa.Integer, nullable=True),
        sa.Column("message_id", sa.Integer, sa.ForeignKey("messages.id", ondelete="SET NULL"), nullable=True),
    )
    op.create_index(
        "ix_question_log_figures",
        "question_log",
        ["created_at", "latency_ms", "abstained", "fallback", "surface", "engine"],
    )
    op.create_index("ix_question_log_message_id", "question_log", ["message_id"])
    op.create_table(
        "question_log_tables",
        sa.Column(
            "log_id",
            sa.Integer,
            sa.ForeignKey("question_log.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("table_id", sa.String(200), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("question_log_tables")
    op.drop_index("ix_question_log_message_id", "question_log")
    op.drop_index("ix_question_log_figures", "question_log")
    op.drop_table("question_log")
