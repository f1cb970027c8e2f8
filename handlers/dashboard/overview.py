"""The overview page's figures: progress against targets per unit and indicator, trends, teams' activity."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console import PROGRESS, ProgressSource, Viewer
from bot.storage.models import Area, Team
from handlers.dashboard.figures import VIETNAM, MonthlyReport, monthly_figures
from handlers.dashboard.svg import Bar, bar_chart

WEEKS = 8
MONTHS = 6
ACTIVE_DAYS = 30
TEAMS_SHOWN = 50


@dataclass
class Overview:
    area: Area
    children: list[tuple[str, str]]
    report: MonthlyReport
    weekly: list[tuple[str, int, int]] = field(default_factory=list)  # label, visits, people helped
    monthly: list[tuple[str, int, int]] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)
    charts: dict[str, str] = field(default_factory=dict)


def progress_of(troly: Any) -> ProgressSource | None:
    return troly[PROGRESS] if PROGRESS in troly else None  # noqa: SIM401 - Troly is not a Mapping


def week_edges(today: date, weeks: int = WEEKS) -> list[date]:
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=weeks - 1 - n) for n in range(weeks + 1)]


def month_edges(today: date, months: int = MONTHS) -> list[date]:
    first = today.replace(day=1)
    edges = [first]
    for _ in range(months - 1):
        edges.insert(0, (edges[0] - timedelta(days=1)).replace(day=1))
    edges.append((first + timedelta(days=32)).replace(day=1))
    return edges


def _local(day: date) -> datetime:
    return datetime.combine(day, time(), VIETNAM)


def build(session: Session, progress: ProgressSource | None, viewer: Viewer, area: Area, now: datetime) -> Overview:
    today = now.astimezone(VIETNAM).date()
    report = monthly_figures(session, progress, area, today, now)
    children = session.execute(select(Area.code, Area.name).where(Area.parent_id == area.id).order_by(Area.code))
    overview = Overview(area, [(code, name) for code, name in children], report)
    area_ids = [area.id, *_below(session, area.id)]
    if progress is not None:
        weeks, months = week_edges(today), month_edges(today)
        counts = progress.buckets(session, area.id, area_ids, [_local(day) for day in weeks])
        overview.weekly = [(f"{day:%d/%m}", v, h) for day, (v, h) in zip(weeks, counts, strict=False)]
        counts = progress.buckets(session, area.id, area_ids, [_local(day) for day in months])
        overview.monthly = [(f"{day:%m/%Y}", v, h) for day, (v, h) in zip(months, counts, strict=False)]
        overview.teams = _teams(session, progress, area_ids, now)
    overview.charts = {
        "weekly": bar_chart("Lượt hỗ trợ theo tuần", [Bar(label, v) for label, v, _ in overview.weekly]),
        "monthly": bar_chart("Lượt hỗ trợ theo tháng", [Bar(label, v) for label, v, _ in overview.monthly]),
    }
    return overview


def _below(session: Session, area_id: int) -> list[int]:
    from bot.areas import subtree_ids

    return subtree_ids(session, area_id)[1:]


def _teams(session: Session, progress: ProgressSource, area_ids: list[int], now: datetime) -> list[dict[str, Any]]:
    """The most active teams of the last 30 days; their last visit is looked up only for those shown."""
    teams = session.execute(
        select(Team.id, Team.name, Area.name).join(Area, Area.id == Team.area_id).where(Team.area_id.in_(area_ids))
    ).all()
    since = now - timedelta(days=ACTIVE_DAYS)
    recent = {row.key: row for row in progress.team_activity(session, [t[0] for t in teams], since, last_visit=False)}
    shown = sorted(teams, key=lambda t: (-(recent[t[0]].visits if t[0] in recent else 0), t[1]))[:TEAMS_SHOWN]
    last = {row.key: row.last_visit for row in progress.team_activity(session, [t[0] for t in shown], since)}
    return [
        {
            "name": name,
            "area": area_name,
            "visits": recent[team_id].visits if team_id in recent else 0,
            "households": recent[team_id].households if team_id in recent else 0,
            "last": last.get(team_id),
        }
        for team_id, name, area_name in shown
    ]
