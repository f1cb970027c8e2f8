"""Builders for the help desk tests: an app on a manual clock, members of teams, requests made in chat."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import Troly
from bot.messages import Outbound
from bot.storage.models import PushMessage, User
from handlers.helpdesk.models import HelpRequest
from tests.helpers import joined, say
from tests.visits_helpers import import_sample, join, make_official

__all__ = ["ask_for_help", "import_sample", "join", "make_official", "pushes_to", "request", "say_as"]


def say_as(app: Troly, text: str, user: str, **extra: object) -> str:
    return joined(say(app, text, user=user, user_name=user.title(), **extra))


def ask_for_help(app: Troly, user: str, need: str = "không cài được VNeID", village: str = "Khu 1") -> int:
    """A citizen of Móng Cái 1 asks in four steps (typed answers, as on Zalo); returns the request number."""
    say_as(app, f"/nhotro {need}", user)
    say_as(app, "Móng Cái 1", user)
    say_as(app, village, user)
    say_as(app, "1", user)  # in this chat
    reply = say_as(app, "2", user)  # no home visit
    assert "Đã gửi yêu cầu số" in reply or "Đã ghi yêu cầu số" in reply, reply
    return int(reply.split("yêu cầu số ")[1].split(" ")[0].rstrip("."))


def request(app: Troly, number: int) -> HelpRequest:
    with app.database.transaction() as session:
        found = session.get(HelpRequest, number)
        assert found is not None
        session.expunge(found)
        return found


def pushes_to(app: Troly, user: str) -> list[Outbound]:
    """Messages queued for `user` (by channel id), oldest first, as the channel would get them."""
    from bot.outbox import decode

    with app.database.transaction() as session:
        query = select(PushMessage).join(User, User.id == PushMessage.user_id).where(User.channel_user_id == user)
        return [decode(p.text, p.payload, p.image) for p in session.scalars(query.order_by(PushMessage.id))]
