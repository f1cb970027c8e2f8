"""Builders for the feedback tests: the sample areas, citizens of an area, officials, and reading the log back."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from bot.app import Troly
from bot.areas import area_by_code, import_areas, parse_areas_csv
from bot.storage.models import Role, User
from handlers.feedback.models import LocalAnswer, LoggedQuestion, Rating
from tests.helpers import joined, say

SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "data" / "areas-sample.csv"
# Five spellings of one need the guides do not cover (the public loudspeaker is broken: whom to tell), and more.
LOUDSPEAKER = [
    "Loa phát thanh khu phố bị hỏng thì báo ai?",
    "loa phat thanh bi hong bao ai",
    "báo sửa loa phát thanh ở đâu",
    "loa phát thanh khu mình hỏng rồi báo cho ai",
    "loa phat thanh hu thi goi ai sua",
]
SIXTH = "loa phát thanh ở khu phố hư rồi, báo ai sửa vậy?"
LOUDSPEAKER_ANSWER = (
    "Loa phát thanh hỏng, bạn báo Ban điều hành khu phố hoặc gọi bộ phận văn hóa của phường trong giờ hành chính; "
    "phường sẽ cử người sửa trong tuần."
)


def import_sample(app: Troly) -> None:
    with app.database.transaction() as session:
        import_areas(session, parse_areas_csv(SAMPLE.read_text(encoding="utf-8")))


def subscribe(app: Troly, user: str, area_code: str, channel: str = "console") -> None:
    """The citizen chooses their ward as a citizen does (/dangky): it becomes their area."""
    reply = joined(say(app, f"/dangky {area_code}", user=user, channel=channel))
    assert "Bạn đã đăng ký" in reply, reply


def grant(app: Troly, user: str, role: Role, area_code: str | None, channel: str = "console") -> None:
    """What `troly users grant` does, for a user who has written to the bot."""
    say(app, "xin chào", user=user, channel=channel, user_name=user.title())
    with app.database.transaction() as session:
        area = area_by_code(session, area_code) if area_code else None
        session.execute(
            update(User)
            .where(User.channel == channel, User.channel_user_id == user)
            .values(role=role, area_id=area.id if area else None)
        )


def logged(app: Troly) -> list[LoggedQuestion]:
    with app.database.transaction() as session:
        return list(session.scalars(select(LoggedQuestion).order_by(LoggedQuestion.id)))


def ratings(app: Troly) -> list[Rating]:
    with app.database.transaction() as session:
        return list(session.scalars(select(Rating).order_by(Rating.id)))


def local_answers(app: Troly) -> list[LocalAnswer]:
    with app.database.transaction() as session:
        query = select(LocalAnswer).options(selectinload(LocalAnswer.area)).order_by(LocalAnswer.id)
        return list(session.scalars(query))
