"""Announcements: the announcement, its per-recipient outbox and delivery worker heartbeats.

Revision ID: announce_0001
Depends on: 0002_teams_invites
Models (for reference): handlers/announcements/models.py
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "announce_0001"
down_revision = None
branch_labels = ("announce",)
depends_on = "0002_teams_invites"

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id"), nullable=False, index=True),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("created_by_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("created_by_label", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("send_at", TS, nullable=False),
    )
    op.create_table(
        "announcement_outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("announcement_id", sa.Integer, sa.ForeignKey("announcements.id"), nullable=False, index=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("not_before", TS, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("worker_id", sa.String(64), nullable=False),
        sa.Column("claimed_at", TS),
        sa.Column("finished_at", TS),
        sa.Column("uncertain", sa.Boolean, nullable=False),
        sa.UniqueConstraint("announcement_id", "user_id"),
    )
    op.create_index("ix_announcement_outbox_due", "announcement_outbox", ["state", "channel", "not_before"])
    op.create_table(
        "delivery_workers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("heartbeat_at", TS, nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("delivery_workers")
    op.drop_index("ix_announcement_outbox_due", "announcement_outbox")
    op.drop_table("announcement_outbox")
    op.drop_table("announcements")
