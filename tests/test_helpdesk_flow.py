"""The help desk in chat, on SQLite and PostgreSQL: asking, routing to the right team, claiming, talking through
the bot, closing, rating, reopening, and the bad input of the issue."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.app import Troly, create_app
from bot.clock import ManualClock
from bot.messages import Attachment, Location
from bot.settings import Settings
from bot.storage.models import Area, AuditLog
from handlers.helpdesk.models import HelpEvent
from tests.helpdesk_helpers import ask_for_help, import_sample, join, pushes_to, request, say_as
from tests.helpers import say

START = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam, a Wednesday


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def app(make_settings: Callable[..., Settings], database_url: str, clock: ManualClock) -> Iterator[Troly]:
    troly = create_app(make_settings(database_url=database_url), clock=clock)
    import_sample(troly)
    join(troly, "lan", "22-MC-K1")
    join(troly, "minh", "22-MC-K1")
    join(troly, "hoa", "22-UB-K3")
    yield troly
    troly.close()


def test_plain_words_and_the_offer_start_a_request(app: Troly) -> None:
    reply = say(app, "thủ tục cấp phép xây nhà xưởng ở khu công nghiệp", user="dan")
    assert "/nhotro" in [choice.value for choice in reply[-1].choices]
    assert "Chạm vào câu bạn vừa hỏi" in say_as(app, "/nhotro", "dan")  # the last question is offered
    say_as(app, "/huy", "dan")
    started = say_as(app, "tôi muốn gặp người thật", "dan")
    assert "Bạn cần tổ hỗ trợ việc gì?" in started
    assert "Phường/xã" in say_as(app, "cần người giúp cài VNeID cho mẹ", "binh").replace("phường/xã", "Phường/xã")
    assert say(app, "xin chào", user="an")[0].choices == ()  # no offer under small talk


def test_request_reaches_its_team_and_the_first_claim_wins(app: Troly) -> None:
    join(app, "tuan", "22-MC-K1")
    number = ask_for_help(app, "dan")
    card = pushes_to(app, "lan")[-1]
    assert f"Yêu cầu hỗ trợ số {number}" in card.text and "Khu 1, Phường Móng Cái 1" in card.text
    assert [c.value for c in card.choices] == [f"/nhan {number}"]
    assert pushes_to(app, "hoa") == []  # Uông Bí's team hears nothing
    assert "thuộc khu vực khác" in say_as(app, f"/nhan {number}", "hoa")
    assert "Bạn đã nhận yêu cầu số" in say_as(app, "1", "lan")  # Zalo-style: the number of the pushed choice
    assert "đã được Lan nhận trước" in say_as(app, f"/nhan {number}", "minh")
    told = pushes_to(app, "dan")[-1].text
    assert told.startswith("Anh/chị Lan, Tổ công nghệ số cộng đồng Khu 1, sẽ hỗ trợ bạn")
    assert f"Yêu cầu số {number} đã được Lan nhận." in pushes_to(app, "tuan")[-1].text  # did not tap
    assert not any("đã được Lan nhận" in m.text for m in pushes_to(app, "minh"))  # was told in the reply
    with app.database.transaction() as session:
        claims = session.scalar(select(func.count()).where(AuditLog.action == "helpdesk.claim"))
    assert claims == 1


def test_talking_through_the_bot_both_ways_and_back_to_questions(app: Troly) -> None:
    number = ask_for_help(app, "dan")
    say_as(app, f"/nhan {number}", "lan")
    assert "Đã chuyển cho Lan" in say_as(app, "Nhà em ở số 12 ngõ 5", "dan")
    assert pushes_to(app, "lan")[-1].text == f"💬 Người dân (yêu cầu số {number}):\nNhà em ở số 12 ngõ 5"
    assert "Đã chuyển cho người dân" in say_as(app, f"/traloi {number} Chiều nay mình qua nhé", "lan")
    assert pushes_to(app, "dan")[-1].text.endswith("Chiều nay mình qua nhé")
    assert "quay lại hỏi đáp" in say_as(app, "/huy", "dan")
    assert "Đã chuyển" not in say_as(app, "cài vneid thế nào", "dan")  # a question again
    assert "Mọi tin bạn nhắn" in say_as(app, f"/traloi {number}", "lan")  # the member's reply mode
    say_as(app, "Bạn nhớ mang căn cước nhé", "lan")
    assert pushes_to(app, "dan")[-1].text.endswith("Bạn nhớ mang căn cước nhé")
    with app.database.transaction() as session:
        kinds = list(session.scalars(select(HelpEvent.kind).where(HelpEvent.request_id == number)))
    assert kinds.count("message") == 3


def test_media_refused_location_kept_inside_a_request(app: Troly) -> None:
    number = ask_for_help(app, "dan")
    say_as(app, f"/nhan {number}", "lan")
    assert "chưa chuyển được ảnh" in say_as(app, "", "dan", attachments=(Attachment("photo"),))
    captioned = say_as(app, "Giấy tờ của em đây", "dan", attachments=(Attachment("photo"),))
    assert "Đã chuyển cho Lan" in captioned and "chưa chuyển được ảnh" in captioned  # the words go, not the photo
    assert "Đã chuyển cho Lan" in say_as(app, "", "dan", location=Location(21.5251, 107.9662))
    assert (request(app, number).latitude, request(app, number).longitude) == (21.5251, 107.9662)
    assert "📍 Vị trí: 21.525100, 107.966200" in pushes_to(app, "lan")[-1].text


def test_closing_rating_and_reopening(app: Troly, clock: ManualClock) -> None:
    number = ask_for_help(app, "dan")
    say_as(app, f"/nhan {number}", "lan")
    assert "Đã kết thúc yêu cầu số" in say_as(app, f"/xong {number}", "lan")
    assert "đã kết thúc, tin không được gửi" in say_as(app, f"/traloi {number} còn gì nữa không", "lan")
    assert len(pushes_to(app, "dan")[-1].choices) == 5
    assert "Cảm ơn bạn đã chấm 5/5" in say_as(app, "5", "dan")  # the pushed stars, answered by number
    assert "Đã ghi nhận góp ý" in say_as(app, "Rất nhiệt tình, gọi 0912345678 khi cần", "dan")
    rated = request(app, number)
    assert (rated.rating, rated.rating_comment) == (5, "Rất nhiệt tình, gọi *******678 khi cần")
    assert "đã đánh giá" in say_as(app, f"/danhgia {number} 1", "dan")
    clock.advance(timedelta(days=2))
    assert "Đã mở lại yêu cầu số" in say_as(app, "vẫn chưa xong", "dan")
    assert request(app, number).status == "taken" and request(app, number).rating is None
    say_as(app, f"/xong {number}", "lan")
    clock.advance(timedelta(days=4))
    assert "Không có yêu cầu nào" in say_as(app, "vẫn chưa xong", "dan")


def test_bad_input_while_asking(app: Troly) -> None:
    say_as(app, "/nhotro", "dan")
    assert "gõ vài chữ" in say_as(app, "?!", "dan")  # empty text is refused
    say_as(app, "Cần ký số", "dan")
    say_as(app, "Móng Cái 1", "dan")
    say_as(app, "Khu 2", "dan")
    assert "số điện thoại" in say_as(app, "2", "dan")
    assert "chưa đúng dạng" in say_as(app, "0123", "dan")
    assert "0123" not in say_as(app, "0912 34", "dan").split("«")[0]
    assert "đến tận nhà" in say(app, "", user="dan", contact="+84 912 345 678")[0].text  # Telegram's contact button
    say_as(app, "1", "dan")
    assert request(app, 1).phone == "0912345678"
    assert "Số điện thoại: 0912345678" in say_as(app, "/nhan 1", "lan")  # revealed to the member who took it
    assert "0912345678" not in pushes_to(app, "minh")[0].text
    for _ in range(2):
        ask_for_help(app, "dan")
    assert "tối đa 3" in say_as(app, "/nhotro", "dan")


def test_a_member_who_leaves_gives_requests_back(app: Troly) -> None:
    number = ask_for_help(app, "dan")
    say_as(app, f"/nhan {number}", "lan")
    join(app, "lan", "22-UB-K3")  # moves to Uông Bí's team
    assert request(app, number).status == "open"
    assert "chuyển lại cho tổ" in pushes_to(app, "dan")[-1].text
    assert f"Yêu cầu hỗ trợ số {number}" in pushes_to(app, "minh")[-1].text


def test_a_visit_logged_for_the_request_closes_it(app: Troly) -> None:
    number = ask_for_help(app, "dan")
    say_as(app, f"/nhan {number}", "lan")
    assert "Lượt thăm này cho yêu cầu hỗ trợ" in say_as(app, "/ghinhan", "lan")
    assert "Lượt thăm cho 🆘 Yêu cầu số" in say_as(app, "1", "lan")
    for answer in ("Số 3 Trần Phú", "Lê Văn Dân", "vneid", "xong", "xong", "1", "bỏ qua", "bỏ qua"):
        say_as(app, answer, "lan")
    assert "kết thúc. Người dân sẽ được mời đánh giá" in say_as(app, "lưu", "lan")
    closed = request(app, number)
    assert closed.status == "closed" and closed.close_reason == "visit" and closed.visit_id is not None


def test_a_member_sees_in_the_queue_what_reached_them(app: Troly) -> None:
    """A subscribed citizen's request belongs to the ward; it reaches the village teams below it, so their
    members find it in /yeucau too, not only in the pushed card."""
    say_as(app, "/dangky Móng Cái 1", "dan")
    say_as(app, "/nhotro không cài được VNeID", "dan")
    say_as(app, "1", "dan")  # in this chat
    reply = say_as(app, "2", "dan")  # no home visit; no ward or village asked: the subscription says where
    number = int(reply.split("yêu cầu số ")[1].split(" ")[0].rstrip("."))
    with app.database.transaction() as session:
        assert session.scalar(select(Area.code).where(Area.id == request(app, number).area_id)) == "22-MC"
    assert f"Số {number}:" in say_as(app, "/yeucau", "lan")
    assert f"Số {number}:" not in say_as(app, "/yeucau", "hoa")  # Uông Bí's team
