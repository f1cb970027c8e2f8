"""Shared send budgets per channel (and per chat), for every process that sends on the channel.

Revision ID: 0004_send_budget
Revises: 0003_push_jobs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_send_budget"
down_revision = "0003_push_jobs"
branch_labels = None
depends_on = None



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


def downgrade() -> None:
    op.drop_table("send_budget_chats")
    op.drop_table("send_budget")
