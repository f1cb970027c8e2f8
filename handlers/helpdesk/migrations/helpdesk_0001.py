"""Help requests, their events, modes and drafts (handlers.helpdesk).

Revision ID: helpdesk_0001
Revises: (branch "helpdesk", depends on 0003_push_jobs)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "helpdesk_0001"
down_revision = None
branch_labels = ("helpdesk",)
depends_on = "0003_push_jobs"

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    _requests()
    op.create_table(
        "help_request_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("help_requests.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_index("ix_help_request_events_request_id", "help_request_events", ["request_id"])
    op.create_table(
        "helpdesk_modes",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("help_requests.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("since", TS, nullable=False),
    )
    op.create_index("ix_helpdesk_modes_request_id", "helpdesk_modes", ["request_id"])
    op.create_table(
        "helpdesk_drafts",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_helpdesk_drafts_at", "helpdesk_drafts", ["at"])


def _requests() -> None:
    op.create_table(
        "help_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("citizen_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id"), nullable=False),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id")),
        sa.Column("assignee_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("need", sa.Text, nullable=False),
        sa.Column("service_code", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("phone", sa.String(16)),
        sa.Column("wants_visit", sa.Boolean, nullable=False),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("queued_at", TS, nullable=False),
        sa.Column("first_taken_at", TS),
        sa.Column("taken_at", TS),
        sa.Column("closed_at", TS),
        sa.Column("close_reason", sa.String(32), nullable=False),
        sa.Column("escalation", sa.SmallInteger, nullable=False),
        sa.Column("escalated_at", TS),
        sa.Column("appointment_at", TS),
        sa.Column("appointment_state", sa.String(16), nullable=False),
        sa.Column("reminded_at", TS),
        sa.Column("visit_id", sa.Integer),
        sa.Column("offered_visit_id", sa.Integer),
        sa.Column("rating", sa.SmallInteger),
        sa.Column("rating_comment", sa.Text, nullable=False),
        sa.Column("rated_at", TS),
        sa.Column("reopened", sa.SmallInteger, nullable=False),
        sa.Column("handovers", sa.SmallInteger, nullable=False),
        sa.Column("phone_erased_at", TS),
    )
    op.create_index("ix_help_requests_status_queued", "help_requests", ["status", "queued_at"])
    op.create_index("ix_help_requests_citizen_status", "help_requests", ["citizen_id", "status"])
    op.create_index("ix_help_requests_assignee_status", "help_requests", ["assignee_id", "status"])
    op.create_index("ix_help_requests_area_created", "help_requests", ["area_id", "created_at"])


def downgrade() -> None:
    op.drop_table("helpdesk_drafts")
    op.drop_table("helpdesk_modes")
    op.drop_table("help_request_events")
    op.drop_table("help_requests")
