"""Builders for the household-visit tests: areas, members of teams, officials, and reading visits back."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from bot.app import Troly
from bot.areas import area_by_code, import_areas, parse_areas_csv
from bot.invites import create_invite, default_team
from bot.messages import Outbound
from bot.storage.models import Role, User
from bot.storage.types import utcnow
from handlers.visits.models import Visit
from tests.helpers import joined, say

SAMPLE = Path(__file__).resolve().parents[1] / "bot" / "data" / "areas-sample.csv"
ONE_LINE = "/ghinhan Số 12 ngõ 5 Trần Phú ; Nguyễn Văn An ; vneid, mức 2 ; xong ; đã kích hoạt"


def import_sample(app: Troly) -> None:
    with app.database.transaction() as session:
        import_areas(session, parse_areas_csv(SAMPLE.read_text(encoding="utf-8")))


def invite_code(app: Troly, area_code: str, role: Role = Role.MEMBER) -> str:
    with app.database.transaction() as session:
        area = area_by_code(session, area_code)
        assert area is not None
        return create_invite(
            session, role=role, area=area, team=default_team(session, area), now=utcnow(), hours=24
        ).code


def join(app: Troly, user: str, area_code: str = "22-MC-K1", role: Role = Role.MEMBER) -> None:
    """The user redeems an invite in chat, as a volunteer does."""
    reply = joined(say(app, f"/thamgia {invite_code(app, area_code, role)}", user=user, user_name=user.title()))
    assert "Chào mừng" in reply, reply


def say_as(app: Troly, text: str, user: str) -> list[Outbound]:
    """A message from `user`, whose display name is their id in title case ("lan" → "Lan")."""
    return say(app, text, user=user, user_name=user.title())


def make_official(app: Troly, user: str, area_code: str) -> None:
    say_as(app, "xin chào", user)
    with app.database.transaction() as session:
        area = area_by_code(session, area_code)
        assert area is not None
        session.execute(update(User).where(User.channel_user_id == user).values(role=Role.OFFICIAL, area_id=area.id))


def visits(app: Troly, *, include_deleted: bool = False) -> list[Visit]:
    with app.database.transaction() as session:
        query = select(Visit).options(selectinload(Visit.household), selectinload(Visit.member)).order_by(Visit.id)
        if not include_deleted:
            query = query.where(Visit.deleted_at.is_(None))
        return list(session.scalars(query))


def backdate(app: Troly, visit_id: int, delta: timedelta) -> None:
    with app.database.transaction() as session:
        visit = session.get(Visit, visit_id)
        assert visit is not None
        visit.created_at -= delta
        visit.updated_at -= delta
