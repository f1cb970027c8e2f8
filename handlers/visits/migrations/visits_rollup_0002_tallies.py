"""Tallies of every visit ever per area, outcome and list of services, for `troly report summary`.

Revision ID: visits_rollup_0002
Revises: visits_rollup_0001 (depends on visits_0002, whose `service_list` column it reads)

A province's summary of everything ever counted its million visits (0.5 s of the command's 1 s). The tallies
are kept by the roll-up job with the other roll-ups (handlers/visits/rollup.py). The days already rolled up are
tallied here, in one statement, so the table starts where the others are: each visit added to its area and to
every area above it (the recursive `owners`), as the job does.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = "visits_rollup_0002"
down_revision = "visits_rollup_0001"
branch_labels = None
depends_on = "visits_0002"

VIETNAM = timezone(timedelta(hours=7))  # no daylight saving time: fixed for as long as this revision lives

BACKFILL = """
WITH RECURSIVE owners (area_id, owner_id) AS (
    SELECT id, id FROM areas
    UNION ALL
    SELECT owners.area_id, areas.parent_id FROM owners JOIN areas ON areas.id = owners.owner_id
    WHERE areas.parent_id IS NOT NULL
)
INSERT INTO visit_rollup_tallies (area_id, outcome, service_list, visits, people)
SELECT owners.owner_id, v.outcome, v.service_list, count(*), coalesce(sum(v.people_helped), 0)
FROM visits v JOIN owners ON owners.area_id = v.area_id
WHERE v.deleted_at IS NULL AND v.created_at < :before
GROUP BY owners.owner_id, v.outcome, v.service_list
"""


def upgrade() -> None:
    op.create_table(
        "visit_rollup_tallies",
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id"), primary_key=True),
        sa.Column("outcome", sa.String(16), primary_key=True),
        sa.Column("service_list", sa.String(200), primary_key=True),
        sa.Column("visits", sa.Integer, nullable=False),
        sa.Column("people", sa.Integer, nullable=False),
    )
    connection = op.get_bind()
    closed = connection.execute(sa.text("SELECT closed_until FROM visit_rollup_state WHERE id = 1")).scalar()
    if closed is None:
        return  # nothing rolled up yet: the job tallies every day as it goes
    if isinstance(closed, str):  # SQLite hands a plain query's dates back as text
        closed = datetime.strptime(closed, "%Y-%m-%d").date()
    before = datetime.combine(closed, time(), VIETNAM).astimezone(UTC)
    statement = sa.text(BACKFILL).bindparams(sa.bindparam("before", type_=sa.DateTime(timezone=True)))
    connection.execute(statement, {"before": before})


def downgrade() -> None:
    op.drop_table("visit_rollup_tallies")
