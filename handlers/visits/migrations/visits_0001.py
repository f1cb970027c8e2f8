"""Household visits by community digital technology teams (handlers.visits).

Revision ID: visits_0001
Revises: (branch "visits", depends on 0002_teams_invites)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "visits_0001"
down_revision = None
branch_labels = ("visits",)
depends_on = "0002_teams_invites"

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "households",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id"), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("address_key", sa.String(300), nullable=False),
        sa.Column("head_name", sa.String(200), nullable=False),
        sa.Column("head_key", sa.String(200), nullable=False),
        sa.Column("created_by_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_households_area_address", "households", ["area_id", "address_key"])
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id")),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id"), nullable=False),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("people_helped", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("deleted_at", TS),
    )
    op.create_index("ix_visits_area_created", "visits", ["area_id", "created_at"])
    op.create_index("ix_visits_member_created", "visits", ["member_id", "created_at"])
    op.create_index("ix_visits_team_created", "visits", ["team_id", "created_at"])
    op.create_index("ix_visits_household_id", "visits", ["household_id"])
    op.create_table(
        "visit_services",
        sa.Column("visit_id", sa.Integer, sa.ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("service_code", sa.String(16), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("visit_services")
    op.drop_table("visits")
    op.drop_table("households")
