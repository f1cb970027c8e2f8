"""The numbers behind /baocao and `troly report summary`: who sees what, and what is counted.

Counted over a period (local Vietnam dates): visits, households reached (distinct households visited, whatever
the outcome), people helped, services by kind, outcomes. Follow-ups pending: households of the scope whose
latest visit ended with "hẹn lại", whenever it was. Deleted visits count nowhere.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from bot.areas import subtree_ids
from bot.storage.models import Area, Role, User
from handlers.visits.catalogue import Outcome, ordered_codes
from handlers.visits.models import Visit, VisitService
from handlers.visits.records import VIETNAM

TREND_WEEKS = 8


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose visits a report covers: one member's, one team's, or an area's and its sub-areas'."""

    title: str
    member_id: int | None = None
    team_id: int | None = None
    area_ids: tuple[int, ...] | None = None
    area_id: int | None = None  # the root area, for the breakdown by sub-area

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = [Visit.deleted_at.is_(None)]
        if self.member_id is not None:
            found.append(Visit.member_id == self.member_id)
        if self.team_id is not None:
            found.append(Visit.team_id == self.team_id)
        if self.area_ids is not None:
            found.append(Visit.area_id.in_(self.area_ids))
        return found


@dataclass
class Stats:
    visits: int = 0
    households: int = 0
    people: int = 0
    services: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "visits": self.visits,
            "households": self.households,
            "people_helped": self.people,
            "services": {code: self.services[code] for code in ordered_codes(set(self.services))},
            "outcomes": {outcome.value: self.outcomes[outcome.value] for outcome in Outcome},
        }


def scope_for(session: Session, user: User) -> Scope | None:
    """Members see their own visits, leaders their team's, officials (and admins) their area's and below."""
    if user.role is Role.MEMBER:
        return Scope("của bạn", member_id=user.id)
    if user.role is Role.LEADER and user.team_id is not None:
        return Scope(f"của {user.team.name}" if user.team else "của tổ", team_id=user.team_id)
    if user.role in {Role.OFFICIAL, Role.ADMIN, Role.LEADER} and user.area_id is not None:
        return area_scope(session, user.area_id)
    if user.role is Role.ADMIN:
        return Scope("toàn hệ thống")
    return None


def area_scope(session: Session, area_id: int) -> Scope:
    area = session.get(Area, area_id)
    name = area.name if area else str(area_id)
    return Scope(f"của {name}", area_ids=tuple(subtree_ids(session, area_id)), area_id=area_id)


def local_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """[start 00:00, day after end 00:00) in Vietnam time, as aware datetimes."""
    low = datetime.combine(start, time(), VIETNAM) if start else None
    high = datetime.combine(end + timedelta(days=1), time(), VIETNAM) if end else None
    return low, high


def in_period(start: date | None, end: date | None) -> list[ColumnElement[bool]]:
    """Conditions keeping visits logged between two local dates (inclusive; None: unbounded)."""
    low, high = local_bounds(start, end)
    found = []
    if low is not None:
        found.append(Visit.created_at >= low)
    if high is not None:
        found.append(Visit.created_at < high)
    return found


def collect(session: Session, scope: Scope, start: date | None, end: date | None) -> Stats:
    """The counts for the scope between two local dates (inclusive; None: unbounded)."""
    query = select(Visit.id, Visit.household_id, Visit.people_helped, Visit.outcome)
    rows = session.execute(query.where(*scope.conditions(), *in_period(start, end))).all()
    stats = Stats(visits=len(rows), households=len({row.household_id for row in rows}))
    stats.people = sum(row.people_helped for row in rows)
    stats.outcomes.update(row.outcome for row in rows)
    services = select(VisitService.service_code).join(Visit, Visit.id == VisitService.visit_id)
    stats.services.update(session.scalars(services.where(*scope.conditions(), *in_period(start, end))))
    return stats


def pending_follow_ups(session: Session, scope: Scope) -> int:
    """Households whose latest visit in the scope ended with "hẹn lại"."""
    rows = session.execute(
        select(Visit.household_id, Visit.outcome).where(*scope.conditions()).order_by(Visit.created_at, Visit.id)
    )
    latest = {row.household_id: row.outcome for row in rows}
    return sum(1 for outcome in latest.values() if outcome == Outcome.LATER.value)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly(session: Session, scope: Scope, today: date, weeks: int = TREND_WEEKS) -> list[tuple[date, int]]:
    """Visits per week (Monday to Sunday), the last `weeks` weeks ending with this one."""
    first = week_start(today) - timedelta(weeks=weeks - 1)
    query = select(Visit.created_at).where(*scope.conditions(), *in_period(first, today))
    counts = Counter(week_start(moment.astimezone(VIETNAM).date()) for moment in session.scalars(query))
    return [(first + timedelta(weeks=n), counts[first + timedelta(weeks=n)]) for n in range(weeks)]


def by_sub_area(session: Session, scope: Scope, start: date | None, end: date | None) -> list[dict[str, Any]]:
    """Visits and households per direct sub-area of the scope's root area (each with its own sub-areas)."""
    if scope.area_id is None:
        return []
    children = session.scalars(select(Area).where(Area.parent_id == scope.area_id).order_by(Area.code))
    rows = []
    for child in children:
        stats = collect(session, Scope(child.name, area_ids=tuple(subtree_ids(session, child.id))), start, end)
        rows.append({"code": child.code, "name": child.name, "visits": stats.visits, "households": stats.households})
    return rows


def by_member(session: Session, scope: Scope, start: date | None, end: date | None) -> list[tuple[str, int]]:
    """Visits per member of a team's scope, most active first."""
    query = select(User.id, User.display_name).join(Visit, Visit.member_id == User.id)
    rows = session.execute(query.where(*scope.conditions(), *in_period(start, end))).all()
    counts = Counter(row.id for row in rows)
    names = {row.id: row.display_name or f"thành viên #{row.id}" for row in rows}
    return [(names[member_id], count) for member_id, count in counts.most_common()]


def local_now() -> datetime:
    """Now, for defaults computed outside a chat message (the CLI)."""
    return datetime.now(VIETNAM)
