"""Visit figures for the web console (bot.console.PROGRESS): SQL aggregates grouped in the database.

Each function is one statement whose GROUP BY runs in SQLite or PostgreSQL, so the work grows with the number
of groups returned, never with a Python loop over visits. Only completed visits ("xong") count as reaching a
household for an indicator: a visit that ended "hẹn lại" or "từ chối" helped nobody with it yet.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, distinct, func, literal, select, union_all
from sqlalchemy.orm import Session

from bot.console import Activity, Reach
from handlers.visits.catalogue import SERVICES, Outcome
from handlers.visits.models import Visit, VisitService


def _where(area_ids: Iterable[int] | None, start: datetime | None, end: datetime | None) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [Visit.deleted_at.is_(None)]
    if area_ids is not None:
        found.append(Visit.area_id.in_(sorted(set(area_ids))))
    if start is not None:
        found.append(Visit.created_at >= start)
    if end is not None:
        found.append(Visit.created_at < end)
    return found


class VisitProgress:
    """The visits plugin's `ProgressSource`."""

    def services(self) -> Sequence[tuple[str, str]]:
        return [(service.code, service.label) for service in SERVICES]

    def reach(
        self,
        session: Session,
        area_ids: Iterable[int] | None,
        groups: Mapping[str, Sequence[str]],
        start: datetime | None,
        end: datetime | None,
    ) -> list[Reach]:
        pairs = [(code, group) for group, codes in groups.items() for code in codes]
        if not pairs or (area_ids is not None and not set(area_ids)):
            return []
        # (service, indicator) pairs as a derived table; UNION ALL of constants works on SQLite and PostgreSQL
        rows = [
            select(literal(code, String).label("service_code"), literal(grp, String).label("grp"))
            for code, grp in pairs
        ]
        mapping = union_all(*rows).subquery("indicator_map")
        helped = (
            select(Visit.id, Visit.area_id, Visit.household_id, Visit.people_helped, mapping.c.grp)
            .join(VisitService, VisitService.visit_id == Visit.id)
            .join(mapping, mapping.c.service_code == VisitService.service_code)
            .where(*_where(area_ids, start, end), Visit.outcome == Outcome.DONE.value)
            .distinct()
            .subquery()
        )
        query = select(
            helped.c.area_id,
            helped.c.grp,
            func.count(distinct(helped.c.household_id)),
            func.coalesce(func.sum(helped.c.people_helped), 0),
        ).group_by(helped.c.area_id, helped.c.grp)
        return [Reach(area, group, int(homes), int(people)) for area, group, homes, people in session.execute(query)]

    def buckets(
        self, session: Session, area_ids: Iterable[int] | None, edges: Sequence[datetime]
    ) -> list[tuple[int, int]]:
        if len(edges) < 2:
            return []
        columns: list[ColumnElement[Any]] = []
        for low, high in itertools.pairwise(edges):
            inside = and_(Visit.created_at >= low, Visit.created_at < high)
            columns.append(func.coalesce(func.sum(case((inside, 1), else_=0)), 0))
            columns.append(func.count(distinct(case((inside, Visit.household_id)))))
        row = session.execute(select(*columns).where(*_where(area_ids, edges[0], edges[-1]))).one()
        return [(int(row[n]), int(row[n + 1])) for n in range(0, len(row), 2)]

    def team_activity(self, session: Session, area_ids: Iterable[int] | None, start: datetime | None) -> list[Activity]:
        return self._activity(session, Visit.team_id, _where(area_ids, None, None), start)

    def member_activity(self, session: Session, member_ids: Iterable[int], start: datetime | None) -> list[Activity]:
        ids = sorted(set(member_ids))
        if not ids:
            return []
        return self._activity(session, Visit.member_id, [Visit.deleted_at.is_(None), Visit.member_id.in_(ids)], start)

    @staticmethod
    def _activity(
        session: Session, key: Any, where: list[ColumnElement[bool]], start: datetime | None
    ) -> list[Activity]:
        recent = Visit.created_at >= start if start is not None else Visit.id.is_not(None)
        query = (
            select(
                key,
                func.coalesce(func.sum(case((recent, 1), else_=0)), 0),
                func.count(distinct(case((recent, Visit.household_id)))),
                func.max(Visit.created_at),
            )
            .where(*where, key.is_not(None))
            .group_by(key)
        )
        return [Activity(int(k), int(n), int(h), last) for k, n, h, last in session.execute(query)]
