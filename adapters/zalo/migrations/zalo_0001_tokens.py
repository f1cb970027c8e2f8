"""Zalo: the rotating access/refresh token pair (see adapters/zalo/models.py).

Revision ID: zalo_0001
Revises:
Depends on: 0002_teams_invites
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "zalo_0001"
down_revision = None
branch_labels = ("zalo",)
depends_on = "0002_teams_invites"

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "zalo_tokens",
        sa.Column("app_id", sa.String(64), primary_key=True),
        sa.Column("access_token", sa.Text, nullable=False),
        sa.Column("refresh_token", sa.Text, nullable=False),
        sa.Column("expires_at", TS),
        sa.Column("seed_fingerprint", sa.String(64), nullable=False),
        sa.Column("refreshed_at", TS),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("zalo_tokens")
