"""Keeping the visit roll-ups (rollup_models.py): a job adds closed days, a week per transaction.

Each step is a few set-based INSERT … SELECT … GROUP BY statements over one week of visits, so the write lock
is held briefly and the work is proportional to the new visits, not to the history. A day is "closed" from
the day after tomorrow on (local time): the 24-hour correction window of /sua and /xoa has passed for every
visit in it, so its figures no longer change. Retention that later deletes old visits leaves the roll-ups
alone on purpose: the work was done and stays reported.
"""

from __future__ import annotations

import logging
import re
import time as clock
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, bindparam, func, select, text
from sqlalchemy.orm import Session

from bot.storage.db import Database
from bot.storage.types import UTCDateTime
from handlers.visits.models import Visit
from handlers.visits.records import VIETNAM
from handlers.visits.rollup_models import RollupState

log = logging.getLogger(__name__)

STEP = timedelta(days=7)
STATE_ID = 1
LOCAL_DAY = {
    "sqlite": "date(v.created_at, '+7 hours')",
    "postgresql": "((v.created_at AT TIME ZONE 'UTC') + interval '7 hours')::date",
}
MONTH_OF = {"sqlite": "date({day}, 'start of month')", "postgresql": "date_trunc('month', {day})::date"}
WINDOW = "v.deleted_at IS NULL AND v.created_at >= :low AND v.created_at < :high"

DAYS = """
INSERT INTO visit_rollup_days (area_id, day, visits, people)
SELECT v.area_id, {day}, count(*), coalesce(sum(CASE WHEN v.outcome = 'done' THEN v.people_helped ELSE 0 END), 0)
FROM visits v WHERE {window} GROUP BY v.area_id, {day}
"""
REACHED = """
INSERT INTO visit_reached (household_id, service_code, area_id, first_day)
SELECT v.household_id, s.service_code, min(v.area_id), min({day})
FROM visits v JOIN visit_services s ON s.visit_id = v.id
WHERE {window} AND v.outcome = 'done' GROUP BY v.household_id, s.service_code
ON CONFLICT (household_id, service_code) DO NOTHING
"""
NEW_HOUSEHOLDS = """
INSERT INTO visit_rollup_months (area_id, service_code, month, households, people)
SELECT r.area_id, r.service_code, {month}, count(*), 0 FROM visit_reached r
WHERE r.first_day >= :low_day AND r.first_day < :high_day GROUP BY r.area_id, r.service_code, {month}
ON CONFLICT (area_id, service_code, month)
DO UPDATE SET households = visit_rollup_months.households + excluded.households
"""
PEOPLE = """
INSERT INTO visit_rollup_months (area_id, service_code, month, households, people)
SELECT v.area_id, s.service_code, {month}, 0, sum(v.people_helped)
FROM visits v JOIN visit_services s ON s.visit_id = v.id
WHERE {window} AND v.outcome = 'done' GROUP BY v.area_id, s.service_code, {month}
ON CONFLICT (area_id, service_code, month) DO UPDATE SET people = visit_rollup_months.people + excluded.people
"""


def closed_before(now: datetime) -> date:
    """Days before this local date are closed (yesterday's visits can still be corrected today)."""
    return now.astimezone(VIETNAM).date() - timedelta(days=1)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), VIETNAM)


def rolled_until(session: Session) -> date | None:
    state = session.get(RollupState, STATE_ID)
    return state.closed_until if state else None


def roll_up_step(session: Session, now: datetime) -> bool:
    """Roll up the next week of closed days; False when there is nothing left to do."""
    target = closed_before(now)
    state = session.get(RollupState, STATE_ID, with_for_update=True)
    if state is None:
        first = session.scalar(select(func.min(Visit.created_at)))
        start = first.astimezone(VIETNAM).date() if first else target
        state = RollupState(id=STATE_ID, closed_until=start)
        session.add(state)
        session.flush()
    if state.closed_until >= target:
        return False
    stop = min(state.closed_until + STEP, target)
    _roll(session, state.closed_until, stop)
    state.closed_until = stop
    return stop < target


def _roll(session: Session, low_day: date, high_day: date) -> None:
    dialect = session.get_bind().dialect.name
    day = LOCAL_DAY[dialect]
    params = {
        "low": local_midnight(low_day),
        "high": local_midnight(high_day),
        "low_day": low_day,
        "high_day": high_day,
    }
    for template in (DAYS, REACHED, PEOPLE, NEW_HOUSEHOLDS):
        month = MONTH_OF[dialect].format(day="r.first_day" if template is NEW_HOUSEHOLDS else day)
        source = template.format(day=day, month=month, window=WINDOW)
        used = [name for name in params if re.search(rf":{name}\b", source)]
        types: dict[str, Any] = {"low": UTCDateTime(), "high": UTCDateTime(), "low_day": Date(), "high_day": Date()}
        sql = text(source).bindparams(*(bindparam(name, type_=types[name]) for name in used))
        session.execute(sql, {name: params[name] for name in used})


def roll_up(database: Database, now: datetime, budget_seconds: float = 240.0) -> int:
    """Roll up closed days a week per transaction until caught up or out of time; returns the steps taken."""
    started, steps = clock.monotonic(), 0
    while clock.monotonic() - started < budget_seconds:
        with database.transaction() as session:
            more = roll_up_step(session, now)
            steps += 1
        if not more:
            break
    if steps > 1:
        log.info("visits roll-up: %d steps", steps)
    return steps
