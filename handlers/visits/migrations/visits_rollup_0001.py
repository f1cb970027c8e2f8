"""Roll-ups of visits for the web console's figures (handlers/visits/rollup.py).

Revision ID: visits_rollup_0001
Revises: (branch "visits_rollup", depends on visits_0001)

A branch of its own, so it lands beside other changes to the visits tables without reordering them.
Filled by the "visits-rollup" job (and `troly jobs run`), a month of closed days per transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "visits_rollup_0001"
down_revision = None
branch_labels = ("visits_rollup",)
depends_on = "visits_0001"


def upgrade() -> None:
    op.create_table(
        "visit_rollup_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("closed_until", sa.Date, nullable=False),
    )
    op.create_table(
        "visit_rollup_days",
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id"), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("visits", sa.Integer, nullable=False),
        sa.Column("people", sa.Integer, nullable=False),
    )
    op.create_table(
        "visit_rollup_months",
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id"), primary_key=True),
        sa.Column("service_code", sa.String(16), primary_key=True),
        sa.Column("month", sa.Date, primary_key=True),
        sa.Column("households", sa.Integer, nullable=False),
        sa.Column("people", sa.Integer, nullable=False),
    )
    op.create_index("ix_visit_rollup_months_month", "visit_rollup_months", ["month", "area_id"])
    op.create_table(
        "visit_rollup_totals",
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id"), primary_key=True),
        sa.Column("service_code", sa.String(16), primary_key=True),
        sa.Column("households", sa.Integer, nullable=False),
        sa.Column("people", sa.Integer, nullable=False),
    )
    op.create_table(
        "visit_reached",
        sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), primary_key=True),
        sa.Column("service_code", sa.String(16), primary_key=True),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id"), nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
    )
    op.create_index("ix_visit_reached_service_day", "visit_reached", ["service_code", "first_day"])


def downgrade() -> None:
    op.drop_index("ix_visit_reached_service_day", "visit_reached")
    op.drop_table("visit_reached")
    op.drop_table("visit_rollup_totals")
    op.drop_index("ix_visit_rollup_months_month", "visit_rollup_months")
    op.drop_table("visit_rollup_months")
    op.drop_table("visit_rollup_days")
    op.drop_table("visit_rollup_state")
