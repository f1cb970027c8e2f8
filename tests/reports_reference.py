"""The report figures computed the slow, obvious way (the code /baocao used before issue 17): every visit row
fetched into Python and counted there. Tests hold the SQL aggregates of handlers.visits.reports to these."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Area, User
from handlers.visits.catalogue import Outcome
from handlers.visits.models import Visit, VisitService
from handlers.visits.records import VIETNAM
from handlers.visits.reports import Scope, Stats, in_period, week_start


def subtree_ids(session: Session, root_id: int) -> list[int]:
    children: dict[int | None, list[int]] = {}
    for area_id, parent_id in session.execute(select(Area.id, Area.parent_id)):
        children.setdefault(parent_id, []).append(area_id)
    found, frontier = [root_id], [root_id]
    while frontier:
        frontier = [child for parent in frontier for child in children.get(parent, [])]
        found.extend(frontier)
    return found


def explicit(session: Session, scope: Scope) -> Scope:
    """The scope with its area's subtree listed id by id, as the old code did."""
    if scope.area_id is None or scope.area_ids is not None:
        return scope
    return Scope(scope.title, area_ids=tuple(subtree_ids(session, scope.area_id)), area_id=scope.area_id)


def collect(session: Session, scope: Scope, start: date | None, end: date | None) -> Stats:
    scope = explicit(session, scope)
    query = select(Visit.id, Visit.household_id, Visit.people_helped, Visit.outcome)
    rows = session.execute(query.where(*scope.conditions(), *in_period(start, end))).all()
    stats = Stats(visits=len(rows), households=len({row.household_id for row in rows}))
    stats.people = sum(row.people_helped for row in rows)
    stats.outcomes.update(row.outcome for row in rows)
    services = select(VisitService.service_code).join(Visit, Visit.id == VisitService.visit_id)
    stats.services.update(session.scalars(services.where(*scope.conditions(), *in_period(start, end))))
    return stats


def pending_follow_ups(session: Session, scope: Scope) -> int:
    scope = explicit(session, scope)
    rows = session.execute(
        select(Visit.household_id, Visit.outcome).where(*scope.conditions()).order_by(Visit.created_at, Visit.id)
    )
    latest = {row.household_id: row.outcome for row in rows}
    return sum(1 for outcome in latest.values() if outcome == Outcome.LATER.value)


def weekly(session: Session, scope: Scope, today: date, weeks: int = 8) -> list[tuple[date, int]]:
    scope = explicit(session, scope)
    first = week_start(today) - timedelta(weeks=weeks - 1)
    query = select(Visit.created_at).where(*scope.conditions(), *in_period(first, today))
    counts = Counter(week_start(moment.astimezone(VIETNAM).date()) for moment in session.scalars(query))
    return [(first + timedelta(weeks=n), counts[first + timedelta(weeks=n)]) for n in range(weeks)]


def by_sub_area(session: Session, scope: Scope, start: date | None, end: date | None) -> list[dict[str, Any]]:
    if scope.area_id is None:
        return []
    children = session.scalars(select(Area).where(Area.parent_id == scope.area_id).order_by(Area.code))
    rows = []
    for child in children:
        stats = collect(session, Scope(child.name, area_ids=tuple(subtree_ids(session, child.id))), start, end)
        rows.append({"code": child.code, "name": child.name, "visits": stats.visits, "households": stats.households})
    return rows


def by_member(session: Session, scope: Scope, start: date | None, end: date | None) -> list[tuple[str, int]]:
    scope = explicit(session, scope)
    query = select(User.id, User.display_name).join(Visit, Visit.member_id == User.id)
    rows = session.execute(query.where(*scope.conditions(), *in_period(start, end)).order_by(Visit.id)).all()
    counts = Counter(row.id for row in rows)
    names = {row.id: row.display_name or f"thành viên #{row.id}" for row in rows}
    return [(names[member_id], count) for member_id, count in counts.most_common()]
