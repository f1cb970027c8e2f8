"""Zalo: user profiles (names, Zalo's own last interaction), the OA's information and webhook watch, delivery
receipts of the OA's messages, and the last time an OA admin wrote from Zalo's console.

Revision ID: zalo_0003
Revises: zalo_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "zalo_0003"
down_revision = "zalo_0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "zalo_profiles",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("is_follower", sa.Boolean),
        sa.Column("zalo_last_interaction", TS),
        sa.Column("fetched_at", TS),
        sa.Column("failures", sa.Integer, nullable=False),
    )
    op.create_table(
        "zalo_oa_state",
        sa.Column("app_id", sa.String(64), primary_key=True),
        sa.Column("oa_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("is_verified", sa.Boolean),
        sa.Column("oa_type", sa.String(64), nullable=False),
        sa.Column("package_name", sa.String(100), nullable=False),
        sa.Column("followers", sa.Integer),
        sa.Column("checked_at", TS),
        sa.Column("watch_since", TS),
    )
    op.create_table(
        "zalo_receipts",
        sa.Column("message_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("delivered_at", TS),
        sa.Column("seen_at", TS),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_zalo_receipts_seen_at", "zalo_receipts", ["seen_at"])
    op.create_index("ix_zalo_receipts_updated_at", "zalo_receipts", ["updated_at"])
    op.create_table(
        "zalo_admin_replies",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_zalo_admin_replies_at", "zalo_admin_replies", ["at"])


def downgrade() -> None:
    op.drop_table("zalo_admin_replies")
    op.drop_table("zalo_receipts")
    op.drop_table("zalo_oa_state")
    op.drop_table("zalo_profiles")
