"""Visit figures for the web console (bot.console.PROGRESS), read from the roll-ups plus a live window.

Closed days come from the roll-up tables (rollup.py), summed with GROUP BY in the database; the days since come
from `visits` itself, a window of a day or two. So a province's cumulative figures read a few thousand roll-up
rows instead of a million visits. Only completed visits ("xong") reach a household or help people; the trend
counts every visit. Activity of teams and members is read through their (team_id|member_id, created_at)
indexes, one short probe per team or member.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, exists, func, select
from sqlalchemy.orm import Session

from bot.console import Activity, Reach
from bot.storage.models import Area, Team, User
from handlers.visits.catalogue import SERVICES, Outcome
from handlers.visits.models import Visit, VisitService
from handlers.visits.records import VIETNAM
from handlers.visits.rollup import local_midnight, rolled_until
from handlers.visits.rollup_models import Reached, RollupDay, RollupMonth, RollupTotal

Counts = dict[tuple[int, str], list[int]]  # (area, service) -> [households, people, total households, total people]


def _local(moment: datetime) -> date:
    return moment.astimezone(VIETNAM).date()


def _areas(column: Any, area_ids: Iterable[int] | None) -> list[ColumnElement[bool]]:
    return [] if area_ids is None else [column.in_(sorted(set(area_ids)))]


def _narrowed(session: Session, area_ids: Iterable[int] | None) -> list[int] | None:
    """None when the areas are every area there is (a province's official on a one-province server): the
    queries then read whole roll-up tables in order instead of probing them once per area."""
    if area_ids is None:
        return None
    wanted = sorted(set(area_ids))
    return None if len(wanted) >= (session.scalar(select(func.count()).select_from(Area)) or 0) else wanted


class VisitProgress:
    """The visits plugin's `ProgressSource`."""

    def services(self) -> Sequence[tuple[str, str]]:
        return [(service.code, service.label) for service in SERVICES]

    def reach(
        self,
        session: Session,
        units: Mapping[int, Collection[int]],
        groups: Mapping[str, Sequence[str]],
        start: datetime,
        end: datetime,
    ) -> list[Reach]:
        codes = sorted({code for members in groups.values() for code in members})
        if not codes or not units:
            return []
        closed = rolled_until(session)
        counts: Counts = defaultdict(lambda: [0, 0, 0, 0])
        if closed is not None:
            self._rolled(session, counts, sorted(units), codes, _local(start), _local(end), closed)
        live_from = local_midnight(closed) if closed is not None else None
        if live_from is None or live_from < end:
            self._live(session, counts, units, codes, start, end, live_from)
        return _grouped(counts, groups)

    @staticmethod
    def _rolled(
        session: Session, counts: Counts, units: list[int], codes: list[str], start: date, end: date, closed: date
    ) -> None:
        """Totals of the units' subtrees (one row per unit and service), less the months after `end` for a
        past month's report, and the period's months: a few rows per unit, whatever the history."""
        mine = [RollupMonth.area_id.in_(units), RollupMonth.service_code.in_(codes)]
        totals = select(RollupTotal.area_id, RollupTotal.service_code, RollupTotal.households, RollupTotal.people)
        totals = totals.where(RollupTotal.area_id.in_(units), RollupTotal.service_code.in_(codes))
        for area, code, households, people in session.execute(totals):
            _add(counts[(area, code)], 2, households, people)
        month = (RollupMonth.area_id, RollupMonth.service_code)
        sums = (func.sum(RollupMonth.households), func.sum(RollupMonth.people))
        if end < closed:
            later = select(*month, *sums).where(*mine, RollupMonth.month >= end).group_by(*month)
            for area, code, households, people in session.execute(later):
                _add(counts[(area, code)], 2, -int(households or 0), -int(people or 0))
        period = [RollupMonth.month >= start.replace(day=1), RollupMonth.month < end]
        for area, code, households, people in session.execute(
            select(*month, *sums).where(*mine, *period).group_by(*month)
        ):
            _add(counts[(area, code)], 0, households, people)

    @staticmethod
    def _live(
        session: Session,
        counts: Counts,
        units: Mapping[int, Collection[int]],
        codes: list[str],
        start: datetime,
        end: datetime,
        live_from: datetime | None,
    ) -> None:
        """Visits after the roll-ups, per area then added to each unit containing it: households not already
        reached (per service), and people helped."""
        owners: dict[int, list[int]] = defaultdict(list)
        for unit, members in units.items():
            for member in members:
                owners[member].append(unit)
        window = [Visit.deleted_at.is_(None), Visit.outcome == Outcome.DONE.value, Visit.created_at < end]
        window += _areas(Visit.area_id, _narrowed(session, owners))
        window += [Visit.created_at >= live_from] if live_from else []
        known = exists().where(
            Reached.household_id == Visit.household_id, Reached.service_code == VisitService.service_code
        )
        firsts = (
            select(
                Visit.household_id,
                VisitService.service_code.label("code"),
                func.min(Visit.area_id).label("area"),
                func.min(Visit.created_at).label("first"),
            )
            .join(VisitService, VisitService.visit_id == Visit.id)
            .where(*window, VisitService.service_code.in_(codes), ~known)
            .group_by(Visit.household_id, VisitService.service_code)
            .subquery()
        )
        in_period = case((firsts.c.first >= start, 1), else_=0)
        query = select(firsts.c.area, firsts.c.code, func.sum(in_period), func.count()).group_by(
            firsts.c.area, firsts.c.code
        )
        for area, code, period, total in session.execute(query):
            for unit in owners.get(area, []):
                _add(counts[(unit, code)], 0, period, 0)
                _add(counts[(unit, code)], 2, total, 0)
        helped = case((Visit.created_at >= start, Visit.people_helped), else_=0)
        people = (
            select(Visit.area_id, VisitService.service_code, func.sum(helped), func.sum(Visit.people_helped))
            .join(VisitService, VisitService.visit_id == Visit.id)
            .where(*window, VisitService.service_code.in_(codes))
            .group_by(Visit.area_id, VisitService.service_code)
        )
        for area, code, period, total in session.execute(people):
            for unit in owners.get(area, []):
                _add(counts[(unit, code)], 0, 0, period)
                _add(counts[(unit, code)], 2, 0, total)

    def buckets(
        self, session: Session, unit: int, subtree: Collection[int], edges: Sequence[datetime]
    ) -> list[tuple[int, int]]:
        if len(edges) < 2:
            return []
        closed = rolled_until(session)
        totals = [[0, 0] for _ in edges[1:]]
        if closed is not None:
            days = [_local(edge) for edge in edges]
            where = [RollupDay.area_id == unit, RollupDay.day >= days[0], RollupDay.day < min(days[-1], closed)]
            query = select(RollupDay.day, RollupDay.visits, RollupDay.people).where(*where)
            for day, visits, people in session.execute(query):  # one row per day of the unit's subtree
                _add(totals[bisect.bisect_right(days, day) - 1], 0, visits, people)
        live_from = max(edges[0], local_midnight(closed)) if closed is not None else edges[0]
        if live_from < edges[-1]:
            self._live_buckets(session, totals, _narrowed(session, subtree), edges, live_from)
        return [(visits, people) for visits, people in totals]

    @staticmethod
    def _live_buckets(
        session: Session,
        totals: list[list[int]],
        area_ids: Iterable[int] | None,
        edges: Sequence[datetime],
        live_from: datetime,
    ) -> None:
        columns = []
        done = Visit.outcome == Outcome.DONE.value
        for low, high in itertools.pairwise(edges):
            inside = and_(Visit.created_at >= low, Visit.created_at < high)
            columns += [func.sum(case((inside, 1), else_=0))]
            columns += [func.sum(case((and_(inside, done), Visit.people_helped), else_=0))]
        where = [Visit.deleted_at.is_(None), Visit.created_at >= live_from, Visit.created_at < edges[-1]]
        row = session.execute(select(*columns).where(*where, *_areas(Visit.area_id, area_ids))).one()
        for index, total in enumerate(totals):
            _add(total, 0, row[2 * index], row[2 * index + 1])

    def team_activity(
        self, session: Session, team_ids: Iterable[int], start: datetime, *, last_visit: bool = True
    ) -> list[Activity]:
        ids = sorted(set(team_ids))
        return self._activity(session, Team.id, Visit.team_id, ids, start, last_visit) if ids else []

    def member_activity(self, session: Session, member_ids: Iterable[int], start: datetime) -> list[Activity]:
        ids = sorted(set(member_ids))
        return self._activity(session, User.id, Visit.member_id, ids, start) if ids else []

    @staticmethod
    def _activity(
        session: Session, key: Any, visit_key: Any, ids: list[int], start: datetime, last_visit: bool = True
    ) -> list[Activity]:
        """Recent visits grouped through the (key, created_at) index, and each one's last visit by one
        backwards probe of it, instead of grouping all their visits ever."""
        recent = (
            select(visit_key, func.count(), func.count(distinct(Visit.household_id)))
            .where(visit_key.in_(ids), Visit.created_at >= start, Visit.deleted_at.is_(None))
            .group_by(visit_key)
        )
        counts = {k: (int(n), int(h)) for k, n, h in session.execute(recent)}
        if not last_visit:
            return [Activity(k, n, h, None) for k, (n, h) in counts.items()]
        mine = [visit_key == key, Visit.deleted_at.is_(None)]
        last = select(Visit.created_at).where(*mine).order_by(Visit.created_at.desc()).limit(1).scalar_subquery()
        found = session.execute(select(key, last).where(key.in_(ids)))
        return [Activity(int(k), *counts.get(k, (0, 0)), moment) for k, moment in found if moment is not None]


def _add(row: list[int], at: int, first: int | None, second: int | None) -> None:
    row[at] += int(first or 0)
    row[at + 1] += int(second or 0)


def _grouped(counts: Counts, groups: Mapping[str, Sequence[str]]) -> list[Reach]:
    """Per area and group. A group of several services counts a household once per service it was reached
    with (the built-in indicators have one service each)."""
    found: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (area, code), numbers in counts.items():
        for group, members in groups.items():
            if code in members:
                row = found[(area, group)]
                for index, number in enumerate(numbers):
                    row[index] += number
    return [Reach(area, group, *numbers) for (area, group), numbers in found.items()]
