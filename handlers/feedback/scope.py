"""Whose area is whose: a citizen's area, the areas above it, and what an official or leader may manage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.areas import subtree_ids
from bot.storage.models import Area, AreaLevel, Role, User

VIETNAM = timezone(timedelta(hours=7), "ICT")  # no daylight saving time
MANAGERS = frozenset({Role.LEADER, Role.OFFICIAL, Role.ADMIN})
PUBLISHERS = frozenset({Role.OFFICIAL, Role.ADMIN})


def user_area_id(user: User) -> int | None:
    """The area a user's questions belong to: the one they subscribed to, else the one of their team."""
    return user.subscribed_area_id or user.area_id


def parent_map(session: Session) -> dict[int, int | None]:
    return {area_id: parent for area_id, parent in session.execute(select(Area.id, Area.parent_id))}


def lineage(area_id: int, parents: dict[int, int | None]) -> list[int]:
    """The area and every area above it, nearest first (a guard stops a malformed cycle)."""
    found: list[int] = []
    current: int | None = area_id
    while current is not None and current not in found:
        found.append(current)
        current = parents.get(current)
    return found


@dataclass(frozen=True, slots=True)
class Scope:
    """The areas a manager sees: `area` and everything below it, or everything (admins without an area)."""

    area: Area | None
    area_ids: list[int] | None  # None: all areas

    @property
    def title(self) -> str:
        return self.area.name if self.area is not None else "toàn bộ địa bàn"


def manager_scope(session: Session, user: User) -> Scope | None:
    """An official's or leader's area with its sub-areas; an admin without an area sees all; others nothing."""
    if user.role not in MANAGERS:
        return None
    if user.area is None:
        return Scope(None, None) if user.role is Role.ADMIN else None
    return Scope(user.area, subtree_ids(session, user.area.id))


def area_scope(session: Session, area: Area | None) -> Scope:
    return Scope(area, subtree_ids(session, area.id) if area is not None else None)


def default_source(area: Area) -> str:
    """Who speaks for an area by default: "UBND phường Móng Cái 1"; a village speaks through its commune."""
    if area.level is AreaLevel.VILLAGE and area.parent is not None:
        area = area.parent
    name = area.name
    return f"UBND {name[:1].lower()}{name[1:]}"


def local_day(moment: datetime) -> date:
    return moment.astimezone(VIETNAM).date()


def day_start(day: date) -> datetime:
    """Midnight in Vietnam at the start of `day`, as an aware UTC time (for comparisons with stored times)."""
    return datetime.combine(day, time(), VIETNAM).astimezone(UTC)


def short_date(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y")
