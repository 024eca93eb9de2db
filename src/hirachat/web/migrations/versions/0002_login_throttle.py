"""Login throttling and lockout kept in the database (every worker and a restart see them); the history of
revised ratings; a campaign's reference-answer policy.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(160), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "rating_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rating_id", sa.Integer, sa.ForeignKey("ratings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False, unique=True),
        sa.Column("previous", sa.JSON, nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_rating_history_rating_id", "rating_history", ["rating_id"])
    _one_rating_per_answer()
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(
            sa.Column("reference_shown", sa.String(16), nullable=False, server_default="after_rating")
        )


def _one_rating_per_answer() -> None:
    """Ratings of one chat answer by one evaluator (allowed before this revision): the latest stays, the
    earlier ones become its history; then (user, message) is unique."""
    conn = op.get_bind()
    ratings = sa.table(
        "ratings",
        sa.column("id", sa.Integer),
        sa.column("client_id", sa.String),
        sa.column("user_id", sa.Integer),
        sa.column("message_id", sa.Integer),
        sa.column("score", sa.Integer),
        sa.column("factual", sa.String),
        sa.column("hallucination", sa.Boolean),
        sa.column("comment", sa.Text),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    history = sa.table(
        "rating_history",
        sa.column("rating_id", sa.Integer),
        sa.column("client_id", sa.String),
        sa.column("previous", sa.JSON),
        sa.column("replaced_at", sa.DateTime(timezone=True)),
    )
    rows = (
        conn.execute(sa.select(ratings).where(ratings.c.message_id.is_not(None)).order_by(ratings.c.id))
        .mappings()
        .all()
    )
    latest: dict[tuple[int, int], int] = {}
    for r in rows:
        latest[(r["user_id"], r["message_id"])] = r["id"]
    for r in rows:
        keep = latest[(r["user_id"], r["message_id"])]
        if r["id"] == keep:
            continue
        previous = {k: r[k] for k in ("client_id", "score", "factual", "hallucination", "comment")}
        conn.execute(
            history.insert().values(
                rating_id=keep, client_id=r["client_id"], previous=previous, replaced_at=r["created_at"]
            )
        )
        conn.execute(ratings.delete().where(ratings.c.id == r["id"]))
    op.create_index("uq_ratings_user_message", "ratings", ["user_id", "message_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_ratings_user_message", "ratings")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("reference_shown")
    op.drop_table("rating_history")
    op.drop_table("login_throttle")
