"""Questions: each user's last question (for follow-ups) and when they last saw the help line.

Revision ID: questions_0001
Depends on: 0002_teams_invites
Models (for reference): handlers/questions/memory.py
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "questions_0001"
down_revision = None
branch_labels = ("questions",)
depends_on = "0002_teams_invites"

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "question_memory",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("question", sa.String(300), nullable=False),
        sa.Column("intent", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(8)),
        sa.Column("target", sa.String(200)),
        sa.Column("asked_at", TS),
        sa.Column("seen_at", TS),
        sa.Column("help_shown_at", TS),
    )


def downgrade() -> None:
    op.drop_table("question_memory")
