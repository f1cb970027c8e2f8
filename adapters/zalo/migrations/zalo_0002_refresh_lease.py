"""Zalo: a lease on the token row, so a refresh holds no database lock during its call to Zalo.

Revision ID: zalo_0002
Revises: zalo_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "zalo_0002"
down_revision = "zalo_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("zalo_tokens") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(32)))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("zalo_tokens") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
