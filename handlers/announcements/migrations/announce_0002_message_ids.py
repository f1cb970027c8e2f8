"""Announcements: the channel's id of each message sent, so delivered and seen states can be reported.

Revision ID: announce_0002
Revises: announce_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "announce_0002"
down_revision = "announce_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("announcement_outbox") as batch:
        batch.add_column(sa.Column("channel_message_id", sa.String(64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("announcement_outbox") as batch:
        batch.drop_column("channel_message_id")
