"""The numbers behind /baocao and `troly report summary`: who sees what, and what is counted.

Counted over a period (local Vietnam dates): visits, households reached (distinct households visited, whatever
the outcome), people helped, services by kind, outcomes. Follow-ups pending: households of the scope whose
latest visit ended with "hẹn lại", whenever it was. Deleted visits count nowhere.

Every figure is one aggregate statement (never rows fetched into Python): a province has a million visits.
An area's sub-areas are a recursive query in the same statement (bot.areas.subtree), and the area index
`ix_visits_area_report` covers every column read here, so a province's month is counted from the index alone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from bot.areas import subtree, subtree_tops
from bot.storage.models import Area, Role, User
from handlers.visits import rolled
from handlers.visits.catalogue import SERVICES, Outcome, ordered_codes
from handlers.visits.models import Household, Visit
from handlers.visits.records import VIETNAM
from handlers.visits.rollup import rolled_until

TREND_WEEKS = 8
CODES = [service.code for service in SERVICES]


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose visits a report covers: one member's, one team's, an area's and its sub-areas', or everyone's.

    `area_id` is the root area: its visits and those of every area below it (and the breakdown by its direct
    sub-areas). `area_ids`, when given, is an explicit list of areas instead (no breakdown).
    """

    title: str
    member_id: int | None = None
    team_id: int | None = None
    area_ids: tuple[int, ...] | None = None
    area_id: int | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = [Visit.deleted_at.is_(None)]
        if self.member_id is not None:
            found.append(Visit.member_id == self.member_id)
        if self.team_id is not None:
            found.append(Visit.team_id == self.team_id)
        if self.area_ids is not None:
            found.append(Visit.area_id.in_(self.area_ids))
        elif self.area_id is not None:
            found.append(Visit.area_id.in_(subtree(self.area_id)))
        return found

    @property
    def by_area_only(self) -> bool:
        """Whether the scope is an area (or everything) and nothing narrower: a household's visits then all fall
        in or out of it together, since a visit's area is its household's."""
        return self.member_id is None and self.team_id is None


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
    name = session.scalar(select(Area.name).where(Area.id == area_id))
    return Scope(f"của {name or area_id}", area_id=area_id)


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
    """The counts for the scope between two local dates (inclusive; None: unbounded).

    Services are counted by grouping visits on their service list: a hundred-odd groups whatever the number of
    visits, each adding its count to the codes it lists (measured faster on SQLite than one filter per code).
    Households reached ever, in an area, come from the households' kept latest visit instead of a distinct
    count over every visit of the area; the rest of an area's figures ever from the roll-ups' tallies (days
    rolled up) and the visits since (rolled.py).
    """
    ever = start is None and end is None and scope.by_area_only
    if ever and (closed := rolled_until(session)) is not None and (areas := rolled.owners(session, scope)):
        stats = collect(session, scope, closed, None)  # the days since the roll-ups
        rolled.add_tallies(session, stats, areas)
        stats.households = _households_ever(session, scope)
        return stats
    where = [*scope.conditions(), *in_period(start, end)]
    households = literal(0) if ever else func.count(Visit.household_id.distinct())
    outcomes = [func.count().filter(Visit.outcome == outcome.value) for outcome in Outcome]
    totals = select(func.count(), households, func.sum(Visit.people_helped), *outcomes).where(*where)
    row = session.execute(totals).one()
    stats = Stats(visits=row[0], households=row[1], people=int(row[2] or 0))
    if not stats.visits:
        return stats
    stats.outcomes.update({outcome.value: n for outcome, n in zip(Outcome, row[3:], strict=True) if n})
    lists = select(Visit.service_list, func.count()).where(*where).group_by(Visit.service_list)
    for service_list, visits in session.execute(lists):
        stats.services.update(dict.fromkeys(service_list.strip(",").split(","), visits))
    del stats.services[""]  # visits without a service
    if ever:
        stats.households = _households_ever(session, scope)
    return stats


def _households_ever(session: Session, scope: Scope) -> int:
    """Households of an area scope ever visited: those with a kept latest visit (an indexed count)."""
    reached = select(func.count()).select_from(Household).where(Household.last_outcome.is_not(None))
    return int(session.scalar(reached.where(*_household_area(scope))) or 0)


def _household_area(scope: Scope) -> list[ColumnElement[bool]]:
    """The scope's area conditions on households (a household's visits are in the household's area)."""
    if scope.area_ids is not None:
        return [Household.area_id.in_(scope.area_ids)]
    if scope.area_id is not None:
        return [Household.area_id.in_(subtree(scope.area_id))]
    return []


def pending_follow_ups(session: Session, scope: Scope) -> int:
    """Households whose latest visit in the scope ended with "hẹn lại".

    For an area, that is the household's latest visit of all, which triggers keep on the household row
    (`last_outcome`): an indexed count. A member's or a team's scope is small: its visits are ranked here.
    """
    if scope.by_area_only:
        query = select(func.count()).select_from(Household).where(Household.last_outcome == Outcome.LATER.value)
        return int(session.scalar(query.where(*_household_area(scope))) or 0)
    later = aliased(Visit)
    newer = and_(
        later.household_id == Visit.household_id,
        or_(later.created_at > Visit.created_at, and_(later.created_at == Visit.created_at, later.id > Visit.id)),
    )
    superseded = select(later.id).where(newer, *_conditions_for(scope, later))
    query = select(func.count()).where(*scope.conditions(), Visit.outcome == Outcome.LATER.value, ~superseded.exists())
    return int(session.scalar(query) or 0)


def _conditions_for(scope: Scope, visit: type[Visit]) -> list[ColumnElement[bool]]:
    """The scope's conditions on another alias of the visits table (member and team scopes only)."""
    found: list[ColumnElement[bool]] = [visit.deleted_at.is_(None)]
    if scope.member_id is not None:
        found.append(visit.member_id == scope.member_id)
    if scope.team_id is not None:
        found.append(visit.team_id == scope.team_id)
    return found


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly(session: Session, scope: Scope, today: date, weeks: int = TREND_WEEKS) -> list[tuple[date, int]]:
    """Visits per week (Monday to Sunday), the last `weeks` weeks ending with this one; an area's from the
    roll-ups' days and the live window."""
    first = week_start(today) - timedelta(weeks=weeks - 1)
    starts = [first + timedelta(weeks=n) for n in range(weeks)]
    if scope.area_id is not None and rolled.owners(session, scope) == [scope.area_id]:
        return list(zip(starts, rolled.weekly(session, scope.area_id, starts, today), strict=True))
    counts = []
    for monday in starts:
        sunday = min(monday + timedelta(days=6), today)
        low, high = local_bounds(monday, sunday)
        counts.append(func.count().filter(Visit.created_at >= low, Visit.created_at < high))
    row = session.execute(select(*counts).where(*scope.conditions(), *in_period(first, today))).one()
    return list(zip(starts, (int(n) for n in row), strict=True))


def by_sub_area(session: Session, scope: Scope, start: date | None, end: date | None) -> list[dict[str, Any]]:
    """Visits and households per direct sub-area of the scope's root area (each with its own sub-areas).

    Counted per area, then added up per sub-area: a household lies in one area, so its sub-area's distinct
    count is the sum of its areas' (and the per-area grouping follows the area index, with no join).
    """
    if scope.area_id is None or scope.area_ids is not None:
        return []
    ever = start is None and end is None and scope.by_area_only
    closed = rolled_until(session) if ever else None
    per_area = _per_area(session, scope, start, end, live_from=closed)
    tops = subtree_tops(scope.area_id)
    totals: dict[int, list[int]] = {}
    for area_id, top in session.execute(select(tops.c.id, tops.c.top)):
        counts = per_area.get(area_id)
        if counts is not None:
            total = totals.setdefault(top, [0, 0])
            total[0], total[1] = total[0] + counts[0], total[1] + counts[1]
    children = session.execute(
        select(Area.id, Area.code, Area.name).where(Area.parent_id == scope.area_id).order_by(Area.code)
    ).all()
    tallied = rolled.visits_by_area(session, [child.id for child in children]) if closed is not None else {}
    rows = []
    for area_id, code, name in children:
        visits, households = totals.get(area_id, (0, 0))
        visits += tallied.get(area_id, 0)
        rows.append({"code": code, "name": name, "visits": visits, "households": households})
    return rows


def _per_area(
    session: Session, scope: Scope, start: date | None, end: date | None, live_from: date | None = None
) -> dict[int, tuple[int, int]]:
    """(visits, distinct households) per area of the scope; ever: households from their kept latest visit, and
    visits since `live_from` only when the days before it are rolled up."""
    where = [*scope.conditions(), *in_period(start, end)]
    if start is None and end is None:
        since = in_period(live_from, None)
        visits = select(Visit.area_id, func.count()).where(*where, *since).group_by(Visit.area_id)
        reached = (
            select(Household.area_id, func.count())
            .where(Household.last_outcome.is_not(None), *_household_area(scope))
            .group_by(Household.area_id)
        )
        households: dict[int, int] = {area: count for area, count in session.execute(reached)}
        counted: dict[int, int] = {area: count for area, count in session.execute(visits)}
        return {area: (counted.get(area, 0), households.get(area, 0)) for area in counted.keys() | households}
    counts = select(Visit.area_id, func.count(), func.count(Visit.household_id.distinct()))
    grouped = session.execute(counts.where(*where).group_by(Visit.area_id))
    return {area: (visits, households) for area, visits, households in grouped}


def by_member(session: Session, scope: Scope, start: date | None, end: date | None) -> list[tuple[str, int]]:
    """Visits per member of the scope, most active first (ties: whoever logged first)."""
    count = func.count().label("visits")
    query = (
        select(User.id, User.display_name, count)
        .join(Visit, Visit.member_id == User.id)
        .where(*scope.conditions(), *in_period(start, end))
        .group_by(User.id, User.display_name)
        .order_by(count.desc(), func.min(Visit.id))
    )
    return [(name or f"thành viên #{member_id}", visits) for member_id, name, visits in session.execute(query)]


def local_now() -> datetime:
    """Now, for defaults computed outside a chat message (the CLI)."""
    return datetime.now(VIETNAM)
