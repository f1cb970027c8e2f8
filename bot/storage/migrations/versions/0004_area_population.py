"""Population figures of areas (households, adults), the denominators of the plan's targets.

Revision ID: 0004_area_population
Revises: 0003_push_jobs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_area_population"
down_revision = "0003_push_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("areas") as batch:
        batch.add_column(sa.Column("households", sa.Integer, nullable=True))
        batch.add_column(sa.Column("adults", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("areas") as batch:
        batch.drop_column("adults")
        batch.drop_column("households")
