"""Who sees what on the console: an official (or leader) their area and everything below it; an admin without
an area, everything. Every area a request names is checked against this before anything is read."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.areas import subtree_ids
from bot.console import ConsoleDenied, Viewer
from bot.storage.models import Area, User

_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


def viewer_of(session: Session, user: User) -> Viewer:
    area_ids = frozenset(subtree_ids(session, user.area_id)) if user.area_id is not None else None
    if area_ids is None and user.role.value != "admin":
        area_ids = frozenset()  # a leader or official without an area sees nothing
    name = user.display_name or f"{user.channel}:{user.id}"
    return Viewer(user.id, user.role, name, user.area_id, area_ids, user.team_id)


def chosen_area(session: Session, viewer: Viewer, code: str | None) -> Area:
    """The area named by `?area=CODE`, or the viewer's own; 403 for any code outside their scope (or unknown,
    so a code's existence is not revealed)."""
    code = (code or "").strip()[:32]
    if not code:
        area = session.get(Area, viewer.area_id) if viewer.area_id is not None else _first_root(session)
    else:
        area = session.scalar(select(Area).where(Area.code == code))
    if area is None or not viewer.may_see(area.id):
        raise ConsoleDenied("Bạn không có quyền xem khu vực này.")
    return area


def _first_root(session: Session) -> Area | None:
    return session.scalar(select(Area).where(Area.parent_id.is_(None)).order_by(Area.code).limit(1))


def month_choices(chosen: date, today: date, count: int = 24) -> list[date]:
    """The months an official picks a report from, newest first: the last `count`, and the chosen one.
    A list rather than `<input type="month">`, which some browsers show as a bare text box and Chromium names
    in its own language ("December 2026")."""
    months, month = [], today.replace(day=1)
    for _ in range(count):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    return sorted({*months, chosen}, reverse=True)


def parse_month(text: str | None, today: date) -> date:
    """ "2026-11" → 2026-11-01; empty → this month; anything else → this month too (a tampered value)."""
    match = _MONTH.fullmatch((text or "").strip())
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return date(year, month, 1)
    return today.replace(day=1)
