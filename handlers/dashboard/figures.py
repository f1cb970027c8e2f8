"""The figures of progress against the plan: per unit (an area and each of its direct sub-areas) and indicator.

One function, `monthly_figures`, computes them; the overview page, the monthly XLSX, `troly report monthly` and
the /api/ JSON feed all read its result, so they cannot disagree. Visit counts come from the visits plugin's
`PROGRESS` source (SQL aggregates); without that plugin the figures are zero, not an error.

Shares are estimates from logged visits, not a census: people helped (or households reached, for indicators
counted per household) over the area's population figure. An area without its own figure uses the sum of its
sub-areas' figures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console import ProgressSource
from bot.storage.models import Area
from handlers.dashboard.models import Indicator, Target

VIETNAM = timezone(timedelta(hours=7), "ICT")


@dataclass(frozen=True, slots=True)
class Figure:
    """One unit's result for one indicator."""

    unit_code: str
    unit_name: str
    indicator_code: str
    indicator_name: str
    basis: str  # "adults" or "households"
    month_households: int
    month_people: int
    total_households: int
    total_people: int
    population: int | None
    target_percent: float | None
    deadline: date | None

    @property
    def achieved(self) -> int:
        return self.total_people if self.basis == "adults" else self.total_households

    @property
    def share(self) -> float | None:
        """Share of the population reached so far, in percent (an estimate)."""
        if not self.population:
            return None
        return 100.0 * self.achieved / self.population

    @property
    def share_of_target(self) -> float | None:
        if self.share is None or not self.target_percent:
            return None
        return 100.0 * self.share / self.target_percent

    def as_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit_code,
            "unit_name": self.unit_name,
            "indicator": self.indicator_code,
            "indicator_name": self.indicator_name,
            "basis": self.basis,
            "month": {"households": self.month_households, "people": self.month_people},
            "cumulative": {"households": self.total_households, "people": self.total_people},
            "population": self.population,
            "share_percent": _rounded(self.share),
            "target_percent": self.target_percent,
            "target_deadline": self.deadline.isoformat() if self.deadline else None,
            "share_of_target_percent": _rounded(self.share_of_target),
        }


def _rounded(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


@dataclass
class MonthlyReport:
    area_code: str
    area_name: str
    month: date  # the first day
    generated_at: datetime
    indicators: list[Indicator] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)

    @property
    def period(self) -> str:
        return f"{self.month:%m/%Y}"

    def for_indicator(self, code: str) -> list[Figure]:
        return [figure for figure in self.figures if figure.indicator_code == code]

    def as_json(self) -> dict[str, Any]:
        return {
            "area": self.area_code,
            "area_name": self.area_name,
            "month": f"{self.month:%Y-%m}",
            "generated_at": self.generated_at.isoformat(),
            "estimate": "ước tính từ các lượt hỗ trợ đã ghi nhận, không phải số liệu điều tra",
            "figures": [figure.as_json() for figure in self.figures],
        }


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[first day 00:00, first day of next month 00:00) in Vietnam time."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return datetime.combine(first, time(), VIETNAM), datetime.combine(following, time(), VIETNAM)


@dataclass
class Tree:
    """The areas under a root, with their parents and population figures, read in one query."""

    root: Area
    children: dict[int, list[int]]
    rows: dict[int, tuple[str, str, int | None, int | None]]  # id -> (code, name, households, adults)
    populations: dict[tuple[int, str], int | None] = field(default_factory=dict)

    def below(self, area_id: int) -> list[int]:
        found, frontier = [area_id], [area_id]
        while frontier:
            frontier = [child for parent in frontier for child in self.children.get(parent, [])]
            found.extend(frontier)
        return found

    def population(self, area_id: int, basis: str) -> int | None:
        """The area's own figure, else the sum of its sub-areas' (None when nothing is known)."""
        key = (area_id, basis)
        if key not in self.populations:
            self.populations[key] = self._population(area_id, basis)
        return self.populations[key]

    def _population(self, area_id: int, basis: str) -> int | None:
        _code, _name, households, adults = self.rows[area_id]
        own = adults if basis == "adults" else households
        if own is not None:
            return own
        parts = [self.population(child, basis) for child in self.children.get(area_id, [])]
        known = [part for part in parts if part is not None]
        return sum(known) if known else None


def load_tree(session: Session, root: Area) -> Tree:
    query = select(Area.id, Area.parent_id, Area.code, Area.name, Area.households, Area.adults)
    children: dict[int, list[int]] = defaultdict(list)
    rows = {}
    for area_id, parent_id, code, name, households, adults in session.execute(query.order_by(Area.code)):
        rows[area_id] = (code, name, households, adults)
        if parent_id is not None:
            children[parent_id].append(area_id)
    tree = Tree(root, dict(children), {})
    tree.rows = {area_id: rows[area_id] for area_id in tree.below(root.id)}
    return tree


def indicators(session: Session) -> list[Indicator]:
    return list(session.scalars(select(Indicator).order_by(Indicator.position, Indicator.name)))


def monthly_figures(
    session: Session, progress: ProgressSource | None, area: Area, month: date, now: datetime
) -> MonthlyReport:
    """Every figure of the month for `area` (the unit itself first, then each direct sub-area)."""
    tree = load_tree(session, area)
    report = MonthlyReport(area.code, area.name, month.replace(day=1), now, indicators(session))
    start, end = month_bounds(month)
    groups = {item.code: list(item.service_codes) for item in report.indicators}
    units = {unit: tree.below(unit) for unit in [area.id, *tree.children.get(area.id, [])]}
    reach = progress.reach(session, units, groups, start, end) if progress else []
    ids = list(tree.rows)
    targets = {(t.area_id, t.indicator_code): t for t in session.scalars(select(Target).where(Target.area_id.in_(ids)))}
    sums = {
        (row.area_id, row.group): (row.households, row.people, row.total_households, row.total_people) for row in reach
    }
    for item in report.indicators:
        for unit in units:
            month_homes, month_people, homes, people = sums.get((unit, item.code), (0, 0, 0, 0))
            target = targets.get((unit, item.code))
            code, name, _, _ = tree.rows[unit]
            report.figures.append(
                Figure(
                    code, name, item.code, item.name, item.basis, month_homes, month_people, homes, people,
                    tree.population(unit, item.basis),
                    target.percent if target else None,
                    target.deadline if target else None,
                )
            )  # fmt: skip
    return report
