"""Logging household visits in chat, on SQLite and PostgreSQL: the one-line form, duplicates, privacy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import Troly
from bot.storage.models import AuditLog
from handlers.visits.models import Household
from tests.helpers import inbound, joined, say
from tests.visits_helpers import ONE_LINE, backdate, import_sample, join, visits


@pytest.fixture
def member_app(app: Troly) -> Troly:
    import_sample(app)
    join(app, "lan")
    return app


def test_a_citizen_cannot_log_and_is_told_how_to_join(member_app: Troly) -> None:
    for text in (ONE_LINE, "/ghinhan", "/sua", "/xoa"):
        assert "/thamgia" in joined(say(member_app, text, user="dan"))
    assert "/thamgia" in joined(say(member_app, "/baocao", user="dan"))
    assert visits(member_app) == []


def test_one_line_form_saves_the_visit_and_shows_it(member_app: Troly) -> None:
    reply = joined(say(member_app, ONE_LINE, user="lan"))
    assert "Đã lưu lượt thăm" in reply
    assert "Cài đặt VNeID; Định danh điện tử mức 2" in reply and "Đã xong" in reply
    (visit,) = visits(member_app)
    assert visit.household.address == "Số 12 ngõ 5 Trần Phú" and visit.household.head_name == "Nguyễn Văn An"
    assert visit.household.address_key == "so 12 ngo 5 tran phu"
    assert sorted(visit.service_codes) == ["muc2", "vneid"]
    assert (visit.outcome, visit.people_helped, visit.note) == ("done", 1, "đã kích hoạt")
    assert visit.member.channel_user_id == "lan" and visit.team_id is not None


@pytest.mark.parametrize(
    ("services", "expected"),
    [
        ("cai dat vneid, dinh danh dien tu muc 2", ["muc2", "vneid"]),
        ("tichhop/cks + dvc", ["cks", "dvc", "tichhop"]),
        ("Thanh toán không dùng tiền mặt, VSSID, lừa đảo, khác", ["khac", "luadao", "thanhtoan", "vssid"]),
    ],
)
def test_services_match_with_or_without_diacritics_and_codes(
    member_app: Troly, services: str, expected: list[str]
) -> None:
    say(member_app, f"/ghinhan 5 Lê Lợi ; Trần Thị Hoa ; {services} ; hẹn lại", user="lan")
    (visit,) = visits(member_app)
    assert sorted(visit.service_codes) == expected and visit.outcome == "later" and visit.note == ""


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        ("Số 1 ; An ; vneid", "cần ít nhất 4 phần"),
        (" ; An ; vneid ; xong", "Phần 1 (địa chỉ): thiếu địa chỉ"),
        ("Số 1 ;  ; vneid ; xong", "Phần 2 (chủ hộ): thiếu tên chủ hộ"),
        ("Số 1 ; An ; vneid, bay lượn ; xong", "Phần 3 (dịch vụ): mình chưa hiểu «bay lượn»"),
        ("Số 1 ; An ; , ; xong", "Phần 3 (dịch vụ): chưa có dịch vụ nào"),
        ("Số 1 ; An ; vneid ; có lẽ", "Phần 4 (kết quả): mình chưa hiểu «có lẽ»"),
        ("Số 1 ; An ; vneid ;", "Phần 4 (kết quả): mình chưa hiểu phần trống"),
        ("Số 1 ; An ; vneid ; xong ; " + "x" * 1001, "Phần 5 (ghi chú): ghi chú dài quá"),
        ("S" * 301 + " ; An ; vneid ; xong", "Phần 1 (địa chỉ): địa chỉ dài quá"),
    ],
)
def test_each_unreadable_part_is_named_and_nothing_is_saved(member_app: Troly, args: str, complaint: str) -> None:
    reply = joined(say(member_app, f"/ghinhan {args}", user="lan"))
    assert "Mình chưa lưu gì" in reply and complaint in reply
    assert visits(member_app) == []
    with member_app.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Household)) == 0


def test_several_bad_parts_are_all_reported(member_app: Troly) -> None:
    reply = joined(say(member_app, "/ghinhan  ; ; xyz ; abc", user="lan"))
    for part in ("Phần 1", "Phần 2", "Phần 3", "Phần 4"):
        assert part in reply


def test_ids_and_phone_numbers_are_masked_in_every_text(member_app: Troly) -> None:
    say(
        member_app,
        "/ghinhan Số 3 Hạ Long, 0987654321 ; Lê Văn Ba 001203004005 ; vneid ; xong ; "
        "CCCD 036099012345, gọi 0912 345 678 hoặc +84 912345679",
        user="lan",
    )
    (visit,) = visits(member_app)
    stored = " ".join((visit.note, visit.household.address, visit.household.head_name))
    for secret in ("036099012345", "001203004005", "0912 345", "912345679", "0987654321"):
        assert secret not in stored
    assert "[số định danh đã ẩn]" in visit.note and visit.note.count("678") == 1 and "679" in visit.note
    with member_app.database.transaction() as session:
        audit = " ".join(str(row.details) for row in session.scalars(select(AuditLog)))
    assert "036099012345" not in audit


def test_the_same_visit_sent_twice_is_stored_once(member_app: Troly) -> None:
    first = member_app.handle(inbound(ONE_LINE, user="lan", message_id="tg-1"))
    assert member_app.handle(inbound(ONE_LINE, user="lan", message_id="tg-1")) == []  # redelivered message
    again = joined(say(member_app, ONE_LINE.replace("Trần Phú", "tran phu"), user="lan"))  # double tap
    assert "Đã lưu" in joined(first) and "đã được lưu trước đó" in again
    assert len(visits(member_app)) == 1
    say(member_app, ONE_LINE.replace("vneid, mức 2", "vneid"), user="lan")  # different services: a new visit
    assert len(visits(member_app)) == 2


def test_the_same_visit_after_the_window_is_a_new_visit(member_app: Troly) -> None:
    say(member_app, ONE_LINE, user="lan")
    backdate(member_app, visits(member_app)[0].id, timedelta(minutes=3))
    assert "Đã lưu lượt thăm" in joined(say(member_app, ONE_LINE, user="lan"))
    assert len(visits(member_app)) == 2
    with member_app.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Household)) == 1


def test_leaders_and_officials_may_log_too(member_app: Troly) -> None:
    from bot.storage.models import Role
    from tests.visits_helpers import make_official

    join(member_app, "to_truong", role=Role.LEADER)
    make_official(member_app, "can_bo", "22-MC")
    assert "Đã lưu" in joined(say(member_app, ONE_LINE, user="to_truong"))
    assert "Đã lưu" in joined(say(member_app, ONE_LINE, user="can_bo"))
    assert [v.member.channel_user_id for v in visits(member_app)] == ["to_truong", "can_bo"]


def test_stale_buttons_get_a_polite_answer(member_app: Troly) -> None:
    reply = joined(say(member_app, "gn:dv:vneid", user="lan"))
    assert "đã kết thúc" in reply and "/ghinhan" in reply
    assert visits(member_app) == []


def test_a_double_tap_handled_at_the_same_moment_stores_one_visit(member_app: Troly) -> None:
    """Two messages with different ids and the same visit, handled by two workers at once."""
    from concurrent.futures import ThreadPoolExecutor

    messages = [inbound(ONE_LINE, user="lan", message_id=f"tap-{n}") for n in range(4)]
    with ThreadPoolExecutor(4) as pool:
        replies = [joined(reply) for reply in pool.map(member_app.handle, messages)]
    assert sum("Đã lưu lượt thăm" in reply for reply in replies) == 1
    assert sum("đã được lưu trước đó" in reply for reply in replies) == 3
    assert len(visits(member_app)) == 1
