"""The web console (handlers.dashboard): login links, sessions, API tokens, indicators and targets.

Revision ID: dashboard_0001
Revises: (branch "dashboard", depends on 0004_area_population)
Models (for reference): handlers/dashboard/models.py
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "dashboard_0001"
down_revision = None
branch_labels = ("dashboard",)
depends_on = "0004_area_population"

TS = sa.DateTime(timezone=True)

# The plans' measures (Móng Cái, Uông Bí, Trà Vinh, Hải Phòng) and the visit services that count for them.
# No visit service records a digital address yet (a new service would renumber the /ghinhan dialog's choices
# that members type), so "Địa chỉ số" starts with none; targets can be set and it reads 0 until one is mapped.
BUILTIN = [
    ("muc2", "Định danh điện tử mức 2", "adults", ["muc2"], 10),
    ("cks", "Chữ ký số từ xa", "adults", ["cks"], 20),
    ("dvc", "Dịch vụ công trực tuyến", "adults", ["dvc"], 30),
    ("thanhtoan", "Tài khoản thanh toán không dùng tiền mặt", "adults", ["thanhtoan"], 40),
    ("diachiso", "Địa chỉ số", "households", [], 50),
]


def upgrade() -> None:
    op.create_table(
        "web_login_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("ended_at", TS),
        sa.Column("user_agent", sa.String(200), nullable=False),
    )
    op.create_index("ix_web_sessions_user_ended", "web_sessions", ["user_id", "ended_at"])
    op.create_table(
        "web_api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS),
        sa.Column("last_used_at", TS),
    )
    indicators = op.create_table(
        "indicators",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("basis", sa.String(16), nullable=False),
        sa.Column("service_codes", sa.JSON, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("builtin", sa.Boolean, nullable=False),
    )
    op.bulk_insert(
        indicators,
        [
            {"code": c, "name": n, "basis": b, "service_codes": s, "position": p, "builtin": True}
            for c, n, b, s, p in BUILTIN
        ],
    )
    op.create_table(
        "indicator_targets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id"), nullable=False, index=True),
        sa.Column("indicator_code", sa.String(32), sa.ForeignKey("indicators.code"), nullable=False),
        sa.Column("percent", sa.Float, nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("updated_by_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("area_id", "indicator_code"),
    )


def downgrade() -> None:
    op.drop_table("indicator_targets")
    op.drop_table("indicators")
    op.drop_table("web_api_tokens")
    op.drop_index("ix_web_sessions_user_ended", "web_sessions")
    op.drop_table("web_sessions")
    op.drop_table("web_login_links")
