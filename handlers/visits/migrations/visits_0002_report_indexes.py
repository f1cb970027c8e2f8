"""Reports at province scale: columns kept by triggers, and the indexes that answer reports from the index alone.

Revision ID: visits_0002
Revises: visits_0001

- `visits.service_list`: the visit's service codes as ",cks,dvc,vneid," (sorted), kept by triggers on
  `visit_services`, so a report counts services from the visit's own index entry instead of joining a row per
  service (the join was the slowest part of a province's month on PostgreSQL).
- `households.last_outcome` / `last_visit_at`: outcome and time of the household's latest visit that is not
  deleted, kept by triggers on `visits` (insert, delete, updates of household, outcome, time or deletion).
  "Households waiting for a follow-up" becomes an indexed count instead of ranking every visit of a province.
- `ix_visits_area_report` replaces `ix_visits_area_created`: the same leading columns plus every column an area
  report reads, so a province's month (tens of thousands of visits) is counted without reading the table.
- `ix_visits_household_created` replaces `ix_visits_household_id`: a household's latest visit is one probe.

Triggers rather than application code: every writer keeps the columns right, the app's and anyone's SQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "visits_0002"
down_revision = "visits_0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

# The household's latest visit not deleted, for a household id given as `{id}`; no such visit sets NULLs.
LATEST = (
    "UPDATE households SET (last_outcome, last_visit_at) = ("
    "SELECT v.outcome, v.created_at FROM visits v WHERE v.household_id = {id} AND v.deleted_at IS NULL "
    "ORDER BY v.created_at DESC, v.id DESC LIMIT 1) WHERE households.id = {id}"
)
WATCHED = "household_id, outcome, created_at, deleted_at"
# A visit's codes, for a visit id given as `{id}` (SQLite's group_concat keeps the order of its subquery).
SQLITE_LIST = (
    "UPDATE visits SET service_list = coalesce((SELECT ',' || group_concat(service_code, ',') || ',' FROM "
    "(SELECT service_code FROM visit_services WHERE visit_id = {id} ORDER BY service_code)), '') WHERE id = {id}"
)
POSTGRESQL_LIST = (
    "UPDATE visits SET service_list = coalesce((SELECT ',' || string_agg(service_code, ',' ORDER BY service_code) "
    "|| ',' FROM visit_services WHERE visit_id = {id}), '') WHERE id = {id}"
)

SQLITE_TRIGGERS = (
    f"CREATE TRIGGER visits_latest_insert AFTER INSERT ON visits BEGIN {LATEST.format(id='NEW.household_id')}; END",
    f"CREATE TRIGGER visits_latest_delete AFTER DELETE ON visits BEGIN {LATEST.format(id='OLD.household_id')}; END",
    f"CREATE TRIGGER visits_latest_update AFTER UPDATE OF {WATCHED} ON visits BEGIN "
    f"{LATEST.format(id='NEW.household_id')}; "
    f"{LATEST.format(id='OLD.household_id')} AND OLD.household_id <> NEW.household_id; END",
    "CREATE TRIGGER visit_services_list_insert AFTER INSERT ON visit_services BEGIN "
    f"{SQLITE_LIST.format(id='NEW.visit_id')}; END",
    "CREATE TRIGGER visit_services_list_delete AFTER DELETE ON visit_services BEGIN "
    f"{SQLITE_LIST.format(id='OLD.visit_id')}; END",
    "CREATE TRIGGER visit_services_list_update AFTER UPDATE ON visit_services BEGIN "
    f"{SQLITE_LIST.format(id='NEW.visit_id')}; {SQLITE_LIST.format(id='OLD.visit_id')}; END",
)
POSTGRESQL_TRIGGERS = (
    "CREATE FUNCTION visits_latest() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP <> 'INSERT' THEN {LATEST.format(id='OLD.household_id')}; END IF; "
    "IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.household_id <> OLD.household_id) THEN "
    f"{LATEST.format(id='NEW.household_id')}; END IF; "
    "RETURN NULL; END $$",
    f"CREATE TRIGGER visits_latest AFTER INSERT OR DELETE OR UPDATE OF {WATCHED} ON visits "
    "FOR EACH ROW EXECUTE FUNCTION visits_latest()",
    "CREATE FUNCTION visit_services_list() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP <> 'INSERT' THEN {POSTGRESQL_LIST.format(id='OLD.visit_id')}; END IF; "
    f"IF TG_OP <> 'DELETE' THEN {POSTGRESQL_LIST.format(id='NEW.visit_id')}; END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER visit_services_list AFTER INSERT OR DELETE OR UPDATE ON visit_services "
    "FOR EACH ROW EXECUTE FUNCTION visit_services_list()",
)


def upgrade() -> None:
    op.add_column("visits", sa.Column("service_list", sa.String(200), nullable=False, server_default=""))
    op.add_column("households", sa.Column("last_outcome", sa.String(16)))
    op.add_column("households", sa.Column("last_visit_at", TS))
    sqlite = op.get_bind().dialect.name == "sqlite"
    # The rows logged so far, set-based, before the indexes and triggers that would slow these updates down.
    op.execute((SQLITE_LIST if sqlite else POSTGRESQL_LIST).format(id="visits.id"))
    op.execute(LATEST.format(id="households.id"))
    op.create_index("ix_households_area_last_outcome", "households", ["area_id", "last_outcome"])
    op.drop_index("ix_visits_area_created", "visits")
    op.create_index(
        "ix_visits_area_report",
        "visits",
        ["area_id", "created_at", "household_id", "outcome", "people_helped", "deleted_at", "service_list"],
    )
    op.drop_index("ix_visits_household_id", "visits")
    op.create_index("ix_visits_household_created", "visits", ["household_id", "created_at", "id"])
    for statement in SQLITE_TRIGGERS if sqlite else POSTGRESQL_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("visits_latest_insert", "visits_latest_delete", "visits_latest_update"):
            op.execute(f"DROP TRIGGER {name}")
        for name in ("visit_services_list_insert", "visit_services_list_delete", "visit_services_list_update"):
            op.execute(f"DROP TRIGGER {name}")
    else:
        op.execute("DROP TRIGGER visits_latest ON visits")
        op.execute("DROP FUNCTION visits_latest()")
        op.execute("DROP TRIGGER visit_services_list ON visit_services")
        op.execute("DROP FUNCTION visit_services_list()")
    op.drop_index("ix_visits_household_created", "visits")
    op.create_index("ix_visits_household_id", "visits", ["household_id"])
    op.drop_index("ix_visits_area_report", "visits")
    op.create_index("ix_visits_area_created", "visits", ["area_id", "created_at"])
    op.drop_index("ix_households_area_last_outcome", "households")
    with op.batch_alter_table("households") as batch:
        batch.drop_column("last_visit_at")
        batch.drop_column("last_outcome")
    with op.batch_alter_table("visits") as batch:
        batch.drop_column("service_list")
