"""Plain SQL baselines for the report benchmark: the same figures as /baocao, `report summary`, the export's rows
and an announcement's queue, written the way one would by hand (joins, a window function, GROUP BY), without
the columns the triggers keep or the covering index. As issue 17 measured them ("plain SQL 4.3 s").
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, text

VIETNAM_OFFSET = timedelta(hours=7)
SUBTREE = (
    "WITH RECURSIVE sub(id) AS (SELECT CAST(:root AS INTEGER) "
    "UNION ALL SELECT a.id FROM areas a JOIN sub ON a.parent_id = sub.id) "
)
TOTALS = (
    SUBTREE + "SELECT count(*), count(DISTINCT household_id), sum(people_helped), "
    "sum(CASE WHEN outcome = 'done' THEN 1 ELSE 0 END), sum(CASE WHEN outcome = 'later' THEN 1 ELSE 0 END), "
    "sum(CASE WHEN outcome = 'declined' THEN 1 ELSE 0 END) FROM visits "
    "WHERE deleted_at IS NULL AND area_id IN (SELECT id FROM sub) AND created_at >= :low AND created_at < :high"
)
SERVICES = (
    SUBTREE + "SELECT s.service_code, count(*) FROM visit_services s JOIN visits v ON v.id = s.visit_id "
    "WHERE v.deleted_at IS NULL AND v.area_id IN (SELECT id FROM sub) AND v.created_at >= :low "
    "AND v.created_at < :high GROUP BY s.service_code"
)
FOLLOW_UPS = (
    SUBTREE + "SELECT count(*) FROM (SELECT outcome, row_number() OVER (PARTITION BY household_id "
    "ORDER BY created_at DESC, id DESC) AS n FROM visits WHERE deleted_at IS NULL AND area_id IN (SELECT id FROM sub)"
    ") latest WHERE n = 1 AND outcome = 'later'"
)
SUB_AREAS = (
    "WITH RECURSIVE tops(id, top) AS (SELECT id, id FROM areas WHERE parent_id = :root UNION ALL "
    "SELECT a.id, t.top FROM areas a JOIN tops t ON a.parent_id = t.id) "
    "SELECT t.top, count(*), count(DISTINCT v.household_id) FROM visits v JOIN tops t ON t.id = v.area_id "
    "WHERE v.deleted_at IS NULL AND v.created_at >= :low AND v.created_at < :high GROUP BY t.top"
)
ROWS = (
    SUBTREE + "SELECT v.id, v.created_at, a.code, a.name, t.name, u.display_name, h.address, h.head_name, "
    "(SELECT {aggregate} FROM visit_services s WHERE s.visit_id = v.id), v.outcome, v.people_helped, v.note "
    "FROM visits v JOIN areas a ON a.id = v.area_id LEFT JOIN teams t ON t.id = v.team_id "
    "JOIN users u ON u.id = v.member_id JOIN households h ON h.id = v.household_id "
    "WHERE v.deleted_at IS NULL AND v.area_id IN (SELECT id FROM sub) AND v.created_at >= :low "
    "AND v.created_at < :high ORDER BY v.created_at, v.id"
)
QUEUE = (
    SUBTREE + "INSERT INTO announcement_outbox (announcement_id, user_id, channel, chat_id, state, reason, "
    "not_before, attempts, worker_id, uncertain) SELECT :announcement, id, channel, chat_id, 'queued', '', :now, 0, "
    "'', false FROM users WHERE blocked = false AND chat_id <> '' AND subscribed_area_id IN (SELECT id FROM sub)"
)


def stamp(connection: Connection, moment: datetime) -> Any:
    """A bound time as the column compares: SQLite stores UTC text, PostgreSQL a timestamptz."""
    if connection.dialect.name == "sqlite":
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment


def local_day(connection: Connection, day: date) -> Any:
    return stamp(connection, datetime.combine(day, time(), UTC) - VIETNAM_OFFSET)


def figures(connection: Connection, root: int, start: date, end: date) -> list[Any]:
    """Totals, services and the breakdown by sub-area for [start, end] (local days)."""
    period = {"root": root, "low": local_day(connection, start), "high": local_day(connection, end + timedelta(1))}
    return [
        connection.execute(text(TOTALS), period).one(),
        connection.execute(text(SERVICES), period).all(),
        connection.execute(text(SUB_AREAS), period).all(),
    ]


def baocao(connection: Connection, root: int, today: date) -> None:
    """What /baocao shows: this week, this month, eight weeks' trend, follow-ups, sub-areas this month."""
    monday = today - timedelta(days=today.weekday())
    connection.execute(text(TOTALS), _period(connection, root, monday, today)).one()
    connection.execute(text(SERVICES), _period(connection, root, monday, today)).all()
    figures(connection, root, today.replace(day=1), today)
    first = monday - timedelta(weeks=7)
    for week in range(8):
        start = first + timedelta(weeks=week)
        connection.execute(text(TOTALS), _period(connection, root, start, start + timedelta(days=6))).one()
    connection.execute(text(FOLLOW_UPS), {"root": root}).one()


def summary(connection: Connection, root: int, today: date) -> None:
    """What `troly report summary` prints, for every visit ever."""
    figures(connection, root, date(2000, 1, 1), today)
    connection.execute(text(FOLLOW_UPS), {"root": root}).one()


def rows(connection: Connection, root: int, start: date, end: date) -> int:
    aggregate = "group_concat(s.service_code, '; ')" if connection.dialect.name == "sqlite" else None
    aggregate = aggregate or "string_agg(s.service_code, '; ')"
    period = _period(connection, root, start, end)
    return len(connection.execute(text(ROWS.format(aggregate=aggregate)), period).all())


def queue(connection: Connection, root: int, announcement: int, now: datetime) -> int:
    found = connection.execute(text(QUEUE), {"root": root, "announcement": announcement, "now": stamp(connection, now)})
    return int(found.rowcount)


def _period(connection: Connection, root: int, start: date, end: date) -> dict[str, Any]:
    return {"root": root, "low": local_day(connection, start), "high": local_day(connection, end + timedelta(1))}
