"""Report figures read from the roll-ups (rollup_models.py) for the days they hold; reports.py adds the rest.

A report of an area ever, or of its last weeks, reads a few hundred roll-up rows of the area instead of every
visit below it: a province's summary of everything ever went from half a second to a few milliseconds. The
roll-ups hold the days before `closed_until` (rollup.rolled_until); the caller counts the days since live.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.areas import subtree_ids
from bot.storage.models import Area
from handlers.visits.progress import VisitProgress
from handlers.visits.records import VIETNAM
from handlers.visits.rollup_models import RollupTally

if TYPE_CHECKING:
    from handlers.visits.reports import Scope, Stats


def owners(session: Session, scope: Scope) -> list[int] | None:
    """The areas whose roll-up rows are the scope's: its root area, or every top-level area for everything;
    None when roll-ups cannot answer for the scope (a member, a team, or an explicit list of areas)."""
    if not scope.by_area_only or scope.area_ids is not None:
        return None
    if scope.area_id is not None:
        return [scope.area_id]
    return list(session.scalars(select(Area.id).where(Area.parent_id.is_(None))))


def add_tallies(session: Session, stats: Stats, areas: Collection[int]) -> None:
    """Add the rolled-up days of these areas (disjoint subtrees) to `stats`: visits, people helped, outcomes
    and services. Households are not in the tallies (a household counts once, whatever its visits)."""
    codes = (RollupTally.outcome, RollupTally.service_list)
    sums = (func.sum(RollupTally.visits), func.sum(RollupTally.people))
    query = select(*codes, *sums).where(RollupTally.area_id.in_(sorted(areas))).group_by(*codes)
    for outcome, service_list, visits, people in session.execute(query):
        stats.visits += int(visits)
        stats.people += int(people)
        stats.outcomes[outcome] += int(visits)
        for code in service_list.strip(",").split(","):
            if code:
                stats.services[code] += int(visits)


def visits_by_area(session: Session, areas: Collection[int]) -> dict[int, int]:
    """Rolled-up visits of each of these areas' subtrees."""
    query = select(RollupTally.area_id, func.sum(RollupTally.visits)).where(RollupTally.area_id.in_(sorted(areas)))
    return {area: int(visits) for area, visits in session.execute(query.group_by(RollupTally.area_id))}


def weekly(session: Session, area_id: int, starts: list[date], today: date) -> list[int]:
    """Visits of the area's subtree in each week starting on `starts` (the last one ending today): the
    roll-ups' days and the live window, as the web console's trend counts them."""
    edges = [_midnight(day) for day in starts] + [_midnight(today + timedelta(days=1))]
    buckets = VisitProgress().buckets(session, area_id, subtree_ids(session, area_id), edges)
    return [visits for visits, _people in buckets]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), VIETNAM)
