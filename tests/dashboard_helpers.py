"""Data for the console tests: two communes with teams, visits, population, targets and residents."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from bot.app import Troly
from bot.areas import area_by_code
from bot.storage.models import User
from bot.storage.types import utcnow
from handlers.dashboard.models import Target
from tests.announce_helpers import add_residents
from tests.helpers import joined
from tests.visits_helpers import import_sample, join, make_official, say_as

VISITS = {
    "lan": [
        "/ghinhan Số 12 ngõ 5 Trần Phú ; Nguyễn Văn An ; vneid, mức 2 ; xong ; đã kích hoạt",
        '/ghinhan Số 3 Lê Lợi ; =HYPERLINK("http://x","bấm") ; mức 2, cks ; xong ; +cmd|calc',
        "/ghinhan Số 7 Hòa Bình ; Trần Thị Bình ; dvc ; hẹn lại",
    ],
    "minh": [
        "/ghinhan Thôn Đông 4 ; Vũ Văn Hải ; mức 2, thanh toán ; xong",
        "/ghinhan Thôn Đông 9 ; Lê Thị Hoa ; dịch vụ công ; từ chối",
    ],
    "an": ["/ghinhan Tổ 3 Uông Bí ; Phạm Văn Cường ; mức 2 ; xong ; khu khác"],
}


def console_data(app: Troly) -> None:
    """Members lan (22-MC-K1), minh (22-MC-K2), an (22-UB-K3) with visits; officials hoa (22-MC) and binh
    (22-UB); population of 22-MC and its villages; a target; residents on Zalo and Telegram in 22-MC."""
    import_sample(app)
    for user, area in (("lan", "22-MC-K1"), ("minh", "22-MC-K2"), ("an", "22-UB-K3")):
        join(app, user, area)
        for line in VISITS[user]:
            assert "Đã lưu" in joined(say_as(app, line, user)), line
    make_official(app, "hoa", "22-MC")
    make_official(app, "binh", "22-UB")
    with app.database.transaction() as session:
        for code, households, adults in (("22-MC", None, None), ("22-MC-K1", 400, 1000), ("22-MC-K2", 600, 1500)):
            area = area_by_code(session, code)
            assert area is not None
            area.households, area.adults = households, adults
        area = area_by_code(session, "22-MC")
        assert area is not None
        deadline = date.today() + timedelta(days=200)
        session.add(Target(area_id=area.id, indicator_code="muc2", percent=95, deadline=deadline, updated_at=utcnow()))
    add_residents(app, "22-MC-K1", 3, channel="zalo", prefix="z")
    add_residents(app, "22-MC-K2", 2, channel="zalo", prefix="old", last_seen=utcnow() - timedelta(days=10))
    add_residents(app, "22-MC", 2, channel="telegram", prefix="t")


def login_link(app: Troly, user: str) -> str:
    """The link /web answers with in chat (path only: the test server listens elsewhere)."""
    reply = joined(say_as(app, "/web", user))
    match = re.search(r"https?://[^/\s]+(/quan-ly/dang-nhap/\S+)", reply)
    assert match, reply
    return match.group(1)


def user_id(app: Troly, channel_user_id: str) -> int:
    with app.database.transaction() as session:
        found = session.scalar(select(User.id).where(User.channel_user_id == channel_user_id))
        assert found is not None
        return found
