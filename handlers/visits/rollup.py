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
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, bindparam, func, select, text
from sqlalchemy.orm import Session

from bot.storage.db import Database
from bot.storage.models import Area
from bot.storage.types import UTCDateTime
from handlers.visits.models import Visit
from handlers.visits.records import VIETNAM
from handlers.visits.rollup_models import RollupDay, RollupMonth, RollupState, RollupTally, RollupTotal

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
SELECT r.area_id, r.service_code, {month}, count(*), 0 FROM visit_reached r
WHERE r.first_day >= :low_day AND r.first_day < :high_day GROUP BY r.area_id, r.service_code, {month}
"""
TALLIES = """
SELECT v.area_id, v.outcome, v.service_list, count(*), coalesce(sum(v.people_helped), 0)
FROM visits v WHERE {window} GROUP BY v.area_id, v.outcome, v.service_list
"""
PEOPLE = """
SELECT v.area_id, s.service_code, {month}, 0, sum(v.people_helped)
FROM visits v JOIN visit_services s ON s.visit_id = v.id
WHERE {window} AND v.outcome = 'done' GROUP BY v.area_id, s.service_code, {month}
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
    """Aggregate the week per area in SQL, then add each row to the area and every area above it."""
    ancestors = _ancestors(session)
    days: Sums = defaultdict(lambda: [0, 0])
    for area, day, visits, people in _select(session, DAYS, low_day, high_day):
        for owner in ancestors.get(area, (area,)):
            _add(days[(owner, _as_date(day))], visits, people)
    _select(session, REACHED, low_day, high_day, fetch=False)
    months: Sums = defaultdict(lambda: [0, 0])
    for template in (PEOPLE, NEW_HOUSEHOLDS):
        for area, code, month, households, people in _select(session, template, low_day, high_day):
            for owner in ancestors.get(area, (area,)):
                _add(months[(owner, code, _as_date(month))], households, people)
    totals: Sums = defaultdict(lambda: [0, 0])
    for (owner, code, _month), (households, people) in months.items():
        _add(totals[(owner, code)], households, people)
    tallies: Sums = defaultdict(lambda: [0, 0])
    for area, outcome, service_list, visits, people in _select(session, TALLIES, low_day, high_day):
        for owner in ancestors.get(area, (area,)):
            _add(tallies[(owner, outcome, service_list)], visits, people)
    _upsert(session, RollupDay, ("area_id", "day"), ("visits", "people"), days)
    _upsert(session, RollupMonth, ("area_id", "service_code", "month"), ("households", "people"), months)
    _upsert(session, RollupTotal, ("area_id", "service_code"), ("households", "people"), totals)
    _upsert(session, RollupTally, ("area_id", "outcome", "service_list"), ("visits", "people"), tallies)


Sums = dict[tuple[Any, ...], list[int]]


def _add(row: list[int], first: int | None, second: int | None) -> None:
    row[0] += int(first or 0)
    row[1] += int(second or 0)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _ancestors(session: Session) -> dict[int, tuple[int, ...]]:
    """Each area with every area above it (areas are few: a province has about a thousand)."""
    parents: dict[int, int | None] = {area: parent for area, parent in session.execute(select(Area.id, Area.parent_id))}
    found = {}
    for area in parents:
        chain, current = [area], parents.get(area)
        while current is not None and current not in chain:
            chain.append(current)
            current = parents.get(current)
        found[area] = tuple(chain)
    return found


def _select(session: Session, template: str, low_day: date, high_day: date, *, fetch: bool = True) -> list[Any]:
    dialect = session.get_bind().dialect.name
    day = LOCAL_DAY[dialect]
    month = MONTH_OF[dialect].format(day="r.first_day" if template is NEW_HOUSEHOLDS else day)
    source = template.format(day=day, month=month, window=WINDOW)
    params = {
        "low": local_midnight(low_day),
        "high": local_midnight(high_day),
        "low_day": low_day,
        "high_day": high_day,
    }
    types: dict[str, Any] = {"low": UTCDateTime(), "high": UTCDateTime(), "low_day": Date(), "high_day": Date()}
    used = [name for name in params if re.search(rf":{name}\b", source)]
    sql = text(source).bindparams(*(bindparam(name, type_=types[name]) for name in used))
    result = session.execute(sql, {name: params[name] for name in used})
    return list(result) if fetch else []


def _upsert(session: Session, model: Any, keys: tuple[str, ...], columns: tuple[str, ...], sums: Sums) -> None:
    """Add the sums to existing rows (a month or an area already partly rolled up) or insert new ones. The
    dialects' INSERT ... ON CONFLICT are imported here: the reports import this module for `rolled_until`."""
    if not sums:
        return
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    table = model.__table__
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: table.c[name] + statement.excluded[name] for name in columns}
    )
    rows = [dict(zip(keys + columns, (*key, *values), strict=True)) for key, values in sums.items()]
    for start in range(0, len(rows), 5000):
        session.execute(statement, rows[start : start + 5000])


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
