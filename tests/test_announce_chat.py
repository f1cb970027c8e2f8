"""Residents subscribe with /dangky, officials compose with /thongbao and read /ketquathongbao, in chat."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import Troly, create_app
from bot.settings import Settings
from bot.storage.models import Area, AuditLog, PushMessage, Role, User
from bot.storage.types import utcnow
from handlers.announcements.models import Announcement, OutboxItem, OutboxState, Target
from handlers.announcements.timefmt import VIETNAM
from tests.announce_helpers import PLUGINS, add_residents, import_sample, make_official
from tests.helpers import joined, say
from tests.visits_helpers import join


@pytest.fixture
def app(make_settings: Callable[..., Settings], database_url: str) -> Iterator[Troly]:
    troly = create_app(make_settings(database_url=database_url, plugins=PLUGINS))
    import_sample(troly)
    yield troly
    troly.close()


@pytest.fixture
def lite(make_settings: Callable[..., Settings], sqlite_url: str) -> Iterator[Troly]:
    troly = create_app(make_settings(database_url=sqlite_url, plugins=PLUGINS, max_message_chars=3000))
    import_sample(troly)
    yield troly
    troly.close()


def subscription(app: Troly, user: str) -> str | None:
    with app.database.transaction() as session:
        row = session.scalar(select(User).where(User.channel_user_id == user))
        assert row is not None
        return row.subscribed_area.code if row.subscribed_area else None


def test_subscribe_from_the_list_then_unsubscribe(app: Troly) -> None:
    offer = say(app, "/dangky", user="lan")
    assert [choice.label for choice in offer[0].choices] == ["Phường Hồng Bàng", "Phường Móng Cái 1", "Phường Uông Bí"]
    done = joined(say(app, "2", user="lan"))
    assert "đã đăng ký nhận thông báo của Phường Móng Cái 1" in done
    assert subscription(app, "lan") == "22-MC"
    assert "đang nhận thông báo của Phường Móng Cái 1 rồi" in joined(say(app, "/dangky 22-mc", user="lan"))
    assert "đã ngừng nhận thông báo của Phường Móng Cái 1" in joined(say(app, "/huydangky", user="lan"))
    assert subscription(app, "lan") is None
    assert "chưa đăng ký" in joined(say(app, "/huydangky", user="lan"))


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("uong bi", "22-UB"),
        ("Phường Uông Bí", "22-UB"),
        ("PHUONG HONG BANG", "31-HB"),
        ("22-mc-k2", "22-MC-K2"),
        ("hong bang", "31-HB"),
        ("uongbi", "22-UB"),  # a typo: no space
    ],
)
def test_one_step_subscription_by_name_or_code(lite: Troly, typed: str, code: str) -> None:
    reply = joined(say(lite, f"/dangky {typed}", user="an"))
    assert "đã đăng ký" in reply, reply
    assert subscription(lite, "an") == code


def test_ambiguous_and_unknown_names_ask_again(lite: Troly) -> None:
    several = say(lite, "/dangky khu", user="an")
    assert "chọn một" in several[0].text
    assert {choice.value for choice in several[0].choices} == {"22-MC-K1", "22-MC-K2", "22-UB-K3"}
    assert "Khu 3, Phường Uông Bí" in [choice.label for choice in several[0].choices]
    assert "Khu 3, Phường Uông Bí" in joined(say(lite, "3", user="an"))
    assert subscription(lite, "an") == "22-UB-K3"
    assert "không tìm thấy khu vực «zzzz»" in joined(say(lite, "/dangky zzzz", user="bo"))
    assert "đã đăng ký" in joined(say(lite, "mong cai 1", user="bo")), "the dialog goes on after a miss"
    assert "Đã hủy" in joined(say(lite, "/dangky", user="cu") + say(lite, "huy", user="cu"))


def test_citizens_cannot_announce(lite: Troly) -> None:
    assert "chỉ dành cho" in joined(say(lite, "/thongbao Lịch tiêm chủng", user="dan"))


def compose(app: Troly, official: str, *steps: str) -> list[str]:
    return [joined(say(app, text, user=official)) for text in steps]


def test_official_composes_previews_and_confirms(app: Troly) -> None:
    make_official(app, "cb", "22-MC")
    add_residents(app, "22-MC", 3, prefix="ward")
    add_residents(app, "22-MC-K1", 2, prefix="k1-")
    add_residents(app, "22-MC-K1", 1, prefix="old", last_seen=utcnow() - timedelta(days=9))
    add_residents(app, "22-UB", 4, prefix="elsewhere")
    text = "Thứ Bảy này, 8:00, làm VNeID mức 2 tại trụ sở phường. Mang theo căn cước."
    ask = say(app, "/thongbao", user="cb")
    assert "nội dung thông báo" in ask[0].text
    targets = say(app, text, user="cb")[0]
    assert [choice.value for choice in targets.choices] == ["22-MC", "22-MC-K1", "22-MC-K2", "to"]
    preview = say(app, "2", user="cb")
    assert preview[1].text == text
    summary = preview[2].text
    assert "Số người nhận: 3" in summary and "Loopback: 3 người" in summary
    assert "sẽ nhận 2, có thể không nhận được 1 (đã hơn 7 ngày không nhắn tin" in summary
    assert "chưa nhận được qua tin nhắn ở: Khu 1 (1 người)" in summary
    assert [choice.value for choice in preview[2].choices] == ["gui", "gui va nho to", "hen gio", "huy"]
    done = joined(say(app, "1", user="cb"))
    assert "Đã xếp thông báo #" in done and "cho 3 người" in done
    with app.database.transaction() as session:
        announcement = session.scalar(select(Announcement))
        assert announcement is not None and announcement.text == text
        assert announcement.area.code == "22-MC-K1" and announcement.target is Target.SUBSCRIBERS
        rows = session.scalars(select(OutboxItem)).all()
        assert len(rows) == 3 and {row.state for row in rows} == {OutboxState.QUEUED}
        audit = session.scalar(select(AuditLog).where(AuditLog.action == "announcement.create"))
        assert audit is not None and audit.target == f"announcement:{announcement.id}"
        assert audit.actor_user_id == announcement.created_by_id
    result = joined(say(app, "/ketquathongbao", user="cb"))
    assert f"Thông báo #{announcement.id}" in result and "đang chờ gửi 3" in result
    assert "do Lan tạo" in result and "console:" not in result  # the official's name, not an internal id


def test_official_schedules_for_later_and_team_target(lite: Troly) -> None:
    make_official(lite, "cb", "22-MC")
    with lite.database.transaction() as session:
        from bot.invites import default_team

        area = session.scalar(select(Area).where(Area.code == "22-MC-K2"))
        assert area is not None
        team = default_team(session, area)
        for n in range(2):
            session.add(
                User(
                    channel="loopback",
                    channel_user_id=f"m{n}",
                    chat_id=f"m{n}",
                    role="member",
                    team_id=team.id,
                    area_id=area.id,
                    last_interaction_at=utcnow(),
                    created_at=utcnow(),
                )
            )
    add_residents(lite, "22-MC", 5)
    compose(lite, "cb", "/thongbao Họp tổ công nghệ số tối nay lúc 19:30 tại nhà văn hóa khu 2.", "to")
    ask_time = compose(lite, "cb", "hen gio")[0]
    assert "gửi lúc nào" in ask_time
    assert "chưa hiểu" in compose(lite, "cb", "sang mai")[0]
    tomorrow = (utcnow().astimezone(VIETNAM) + timedelta(days=1)).strftime("%d/%m")
    preview = compose(lite, "cb", f"7:15 {tomorrow}")[0]
    assert "Số người nhận: 2" in preview and "lúc 07:15 ngày" in preview
    assert "gửi lúc 07:15" in compose(lite, "cb", "gui")[0]
    with lite.database.transaction() as session:
        announcement = session.scalar(select(Announcement))
        assert announcement is not None and announcement.target is Target.TEAM
        assert announcement.send_at > utcnow() + timedelta(hours=1)
        assert {row.not_before for row in session.scalars(select(OutboxItem))} == {announcement.send_at}


def test_official_without_anyone_to_reach_and_bad_inputs(lite: Troly) -> None:
    make_official(lite, "cb", "31-HB")
    assert "ngắn quá" in compose(lite, "cb", "/thongbao", "ok")[1]
    assert "2009 ký tự, vượt quá 2000" in compose(lite, "cb", "x" * 2000 + " thêm chữ")[0]
    assert "Bạn muốn gửi cho ai" in compose(lite, "cb", "Cảnh báo: lừa đảo giả danh công an gọi điện.")[0]
    assert "ngoài phạm vi" in compose(lite, "cb", "22-MC")[0], "another ward is not the official's to address"
    assert "Chưa có ai" in compose(lite, "cb", "31-HB")[0]
    assert "Đã hủy" in compose(lite, "cb", "/huy")[0]
    with lite.database.transaction() as session:
        assert session.scalar(select(Announcement)) is None


def test_the_official_hands_residents_the_channel_will_not_reach_to_the_team(lite: Troly) -> None:
    """Only areas and counts are shown and passed on; the team leader gets the text to tell in person."""
    make_official(lite, "cb", "22-MC")
    join(lite, "totruong", "22-MC-K1", role=Role.LEADER)
    join(lite, "thanhvien", "22-MC-K1")
    add_residents(lite, "22-MC-K1", 2, prefix="k1-")
    add_residents(lite, "22-MC-K1", 2, prefix="quiet", last_seen=utcnow() - timedelta(days=12))
    add_residents(lite, "22-MC-K2", 1, prefix="quieter", last_seen=utcnow() - timedelta(days=30))
    text = "Chủ nhật này tổ hỗ trợ cài VNeID tại nhà văn hóa Khu 1 từ 8 giờ."
    steps = compose(lite, "cb", "/thongbao", text, "1")
    assert "Khu 1 (2 người), Khu 2 (1 người)" in steps[-1]
    done = joined(say(lite, "gui va nho to", user="cb"))
    assert "Đã xếp thông báo #" in done and "Đã giao việc báo tận nơi cho 1 người của tổ ở 1 khu vực" in done
    assert "Chưa có tổ nào để giao việc báo tận nơi ở: Khu 2" in done
    with lite.database.transaction() as session:
        tasks = session.scalars(select(PushMessage)).all()
        leader = session.scalar(select(User).where(User.channel_user_id == "totruong"))
        assert leader is not None and [task.user_id for task in tasks] == [leader.id]  # the leader, not members
        assert all(text in task.text and "báo tận nơi" in task.text for task in tasks)
        assert "quiet" not in " ".join(task.text for task in tasks)  # no resident is named
        audit = session.scalar(select(AuditLog).where(AuditLog.action == "announcement.inform_in_person"))
        assert audit is not None and audit.details["areas"] == ["Khu 1", "Khu 2"]
        assert audit.details["without_team"] == ["Khu 2"]
