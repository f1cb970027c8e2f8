"""The feedback loop (handlers.feedback): question log, ratings, local answers, contact cards.

Revision ID: feedback_0001
Revises: (branch "feedback", depends on 0002_teams_invites)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "feedback_0001"
down_revision = None
branch_labels = ("feedback",)
depends_on = "0002_teams_invites"

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    _question_log()
    _local_answers()
    op.create_table(
        "contact_cards",
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("team_name", sa.String(200), nullable=False),
        sa.Column("meets", sa.String(300), nullable=False),
        sa.Column("hotline", sa.String(32), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )


def _question_log() -> None:
    op.create_table(
        "feedback_questions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("asked_at", TS, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("asker", sa.String(32), nullable=False),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id", ondelete="SET NULL")),
        sa.Column("question", sa.String(500), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(64)),
        sa.Column("source_kind", sa.String(16)),
        sa.Column("source_id", sa.String(128)),
        sa.Column("section", sa.String(200)),
        sa.Column("score", sa.Float, nullable=False),
    )
    op.create_index("ix_feedback_questions_asked_at", "feedback_questions", ["asked_at"])
    op.create_index("ix_feedback_questions_area_asked", "feedback_questions", ["area_id", "asked_at"])
    op.create_index("ix_feedback_questions_asker_asked", "feedback_questions", ["asker", "asked_at"])
    op.create_table(
        "feedback_ratings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "question_id",
            sa.Integer,
            sa.ForeignKey("feedback_questions.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("asker", sa.String(32), nullable=False),
        sa.Column("helpful", sa.Boolean, nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("rated_at", TS, nullable=False),
    )
    op.create_index("ix_feedback_ratings_asker_rated", "feedback_ratings", ["asker", "rated_at"])


def _local_answers() -> None:
    op.create_table(
        "local_answers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("questions", sa.JSON, nullable=False),
        sa.Column("question_keys", sa.JSON, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("valid_until", sa.Date),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("author_label", sa.String(200), nullable=False),
        sa.Column("origin", sa.String(64), nullable=False),
        sa.Column("reviewed_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
    )
    op.create_index("ix_local_answers_area_status", "local_answers", ["area_id", "status"])
    op.create_table(
        "local_answer_revisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("answer_id", sa.Integer, sa.ForeignKey("local_answers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor_label", sa.String(200), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.UniqueConstraint("answer_id", "revision"),
    )
    version = op.create_table(
        "local_answer_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("changed_at", TS),
    )
    op.bulk_insert(version, [{"id": 1, "version": 0, "changed_at": None}])


def downgrade() -> None:
    for table in (
        "contact_cards",
        "local_answer_version",
        "local_answer_revisions",
        "local_answers",
        "feedback_ratings",
        "feedback_questions",
    ):
        op.drop_table(table)
