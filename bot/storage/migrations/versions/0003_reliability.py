"""Shared send budgets per channel (and per chat), and replies left unsent by a stopping process.

Revision ID: 0003_reliability
Revises: 0002_teams_invites
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_reliability"
down_revision = "0002_teams_invites"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "send_budget",
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("next_at", sa.Double, nullable=False),
        sa.Column("paused_until", sa.Double, nullable=False),
    )
    op.create_table(
        "send_budget_chats",
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("chat_id", sa.String(64), primary_key=True),
        sa.Column("next_at", sa.Double, nullable=False, index=True),
    )
    op.create_table(
        "pending_replies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("message", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("owner", sa.String(64), nullable=False, server_default="", index=True),
        sa.Column("claimed_at", TS),
    )


def downgrade() -> None:
    op.drop_table("pending_replies")
    op.drop_table("send_budget_chats")
    op.drop_table("send_budget")
