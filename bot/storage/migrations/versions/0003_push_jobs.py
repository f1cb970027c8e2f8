"""The push outbox (messages to users that are not replies) and scheduled jobs' runs.

Revision ID: 0003_push_jobs
Revises: 0002_teams_invites
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_push_jobs"
down_revision = "0002_teams_invites"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "push_outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("image", sa.LargeBinary, nullable=True),
        sa.Column("priority", sa.SmallInteger, nullable=False),
        sa.Column("dedupe_key", sa.String(128), nullable=True, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("worker_id", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("not_before", TS, nullable=False),
        sa.Column("claimed_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
    )
    op.create_index("ix_push_outbox_due", "push_outbox", ["state", "not_before"])
    op.create_index("ix_push_outbox_user_id", "push_outbox", ["user_id"])
    op.create_index("ix_push_outbox_finished_at", "push_outbox", ["finished_at"])
    op.create_table(
        "job_runs",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("last_error", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
    op.drop_index("ix_push_outbox_finished_at", "push_outbox")
    op.drop_index("ix_push_outbox_user_id", "push_outbox")
    op.drop_index("ix_push_outbox_due", "push_outbox")
    op.drop_table("push_outbox")
