"""The guided /ghinhan dialog, answered by number as on Zalo and the console, plus /sua, /xoa and /huy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import Troly
from bot.messages import Location, Outbound
from bot.storage.models import AuditLog
from handlers.visits.models import Household
from tests.helpers import inbound, joined, say
from tests.visits_helpers import ONE_LINE, backdate, import_sample, join, visits


@pytest.fixture
def member_app(app: Troly) -> Troly:
    import_sample(app)
    join(app, "lan")
    return app


def answer(app: Troly, text: str) -> list[Outbound]:
    replies = say(app, text, user="lan")
    for reply in replies:
        assert all(len(choice.value.encode()) < 60 for choice in reply.choices), reply
    return replies


def labels(replies: list[Outbound]) -> list[str]:
    return [choice.label for reply in replies for choice in reply.choices]


def test_a_new_household_step_by_step_with_numbers(member_app: Troly) -> None:
    assert "Hộ dân nào" in joined(answer(member_app, "/ghinhan"))
    assert "Tên chủ hộ" in joined(answer(member_app, "Số 7 ngõ 2 Lê Lợi"))
    services = answer(member_app, "Phạm Thị Mai")
    assert "Cài đặt VNeID" in labels(services) and "➡️ Tiếp tục" in labels(services)
    assert "✅ Cài đặt VNeID" in labels(answer(member_app, "1"))
    chosen = answer(member_app, "4, 8")
    assert "Đã chọn: Cài đặt VNeID; Chữ ký số từ xa; Phòng chống lừa đảo trực tuyến" in joined(chosen)
    assert "Chữ ký số từ xa" in labels(answer(member_app, "4"))  # tapping again removes it
    assert labels(answer(member_app, "10")) == ["Đã xong", "Hẹn lại", "Từ chối"]
    assert "bao nhiêu người" in joined(answer(member_app, "2"))
    assert "ghi chú" in joined(answer(member_app, "4"))
    location = answer(member_app, "hẹn chiều mai, sđt 0912345678")
    assert location[0].request_location and labels(location) == ["Bỏ qua"]
    summary = joined(answer(member_app, "1"))
    assert "Hẹn lại" in summary and "Số người được hỗ trợ: 4" in summary and "*******678" in summary
    assert "Đã lưu lượt thăm" in joined(answer(member_app, "1"))
    (visit,) = visits(member_app)
    assert (visit.household.address, visit.household.head_name) == ("Số 7 ngõ 2 Lê Lợi", "Phạm Thị Mai")
    assert sorted(visit.service_codes) == ["luadao", "vneid"]
    assert (visit.outcome, visit.people_helped, visit.note) == ("later", 4, "hẹn chiều mai, sđt *******678")
    assert visit.latitude is None


def test_a_known_address_is_suggested_and_recent_households_offered(member_app: Troly) -> None:
    answer(member_app, ONE_LINE)
    start = answer(member_app, "/ghinhan")
    assert labels(start) == ["Số 12 ngõ 5 Trần Phú – Nguyễn Văn An"]
    suggested = answer(member_app, "so 12, ngo 5 tran phu")
    assert "giống hộ đã có" in joined(suggested)
    assert labels(suggested) == ["Số 12 ngõ 5 Trần Phú – Nguyễn Văn An", "Không, đây là hộ mới"]
    assert "Bạn đã hỗ trợ những việc gì" in joined(answer(member_app, "1"))
    answer(member_app, "cks")
    answer(member_app, "tiếp tục")
    answer(member_app, "từ chối")
    answer(member_app, "0")
    answer(member_app, "bỏ qua")
    member_app.handle(inbound("", user="lan", location=Location(21.52, 107.96)))
    assert "Đã lưu" in joined(answer(member_app, "lưu"))
    first, second = visits(member_app)
    assert second.household_id == first.household_id and second.outcome == "declined"
    assert (second.latitude, second.longitude) == (21.52, 107.96)
    answer(member_app, "/ghinhan")
    assert "Tên chủ hộ" in joined(answer(member_app, "Số 13 ngõ 5 Trần Phú"))  # another house number


def test_cancel_at_any_step_saves_nothing(member_app: Troly) -> None:
    for steps in (["/ghinhan"], ["/ghinhan", "Số 1 Hùng Vương", "Lan"], ["/ghinhan", "Số 1", "An", "1", "10"]):
        for text in steps:
            answer(member_app, text)
        assert "Đã hủy" in joined(answer(member_app, "/huy"))
    for text in ("/ghinhan", "Số 1", "An", "1", "10", "1", "1", "bỏ qua", "bỏ qua"):
        answer(member_app, text)
    assert "Đã hủy" in joined(answer(member_app, "3"))  # the «Hủy» choice of the summary
    assert visits(member_app) == []
    with member_app.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Household)) == 0


def test_wrong_answers_repeat_the_question(member_app: Troly) -> None:
    for text in ("/ghinhan", "Số 1", "An"):
        answer(member_app, text)
    assert "chưa hiểu «bay»" in joined(answer(member_app, "bay"))
    assert "ít nhất một dịch vụ" in joined(answer(member_app, "tiếp"))
    answer(member_app, "dvc")
    answer(member_app, "tiếp")
    assert "Đã xong, Hẹn lại hoặc Từ chối" in joined(answer(member_app, "có thể"))
    answer(member_app, "xong")
    assert "từ 0 đến 100" in joined(answer(member_app, "nhiều"))
    answer(member_app, "3 người")
    answer(member_app, "bỏ qua")
    assert "gửi vị trí" in joined(answer(member_app, "ở đầu ngõ"))
    answer(member_app, "bỏ qua")
    assert "Đã lưu" in joined(answer(member_app, "1"))
    assert visits(member_app)[0].people_helped == 3


def test_double_tap_on_save_stores_one_visit(member_app: Troly) -> None:
    for text in ("/ghinhan", "Số 1", "An", "gn:dv:dvc", "gn:tiep", "gn:kq:done", "1", "gn:boqua", "gn:boqua"):
        answer(member_app, text)
    assert "Đã lưu lượt thăm" in joined(answer(member_app, "gn:luu"))
    assert "đã được lưu rồi" in joined(answer(member_app, "gn:luu"))
    assert len(visits(member_app)) == 1


def test_correct_the_last_visit_within_a_day_keeps_an_audit_trail(member_app: Troly) -> None:
    answer(member_app, ONE_LINE)
    assert "Bạn kiểm tra lại nội dung sửa" in joined(answer(member_app, "/sua"))
    answer(member_app, "2")  # Sửa lại
    answer(member_app, "3")  # Kết quả
    assert "Hẹn lại" in joined(answer(member_app, "2"))
    assert "Đã sửa lượt thăm" in joined(answer(member_app, "1"))
    reply = joined(answer(member_app, "/sua Số 12 ngõ 5 Trần Phú ; Nguyễn Văn An ; tichhop ; xong ; xong hẳn"))
    assert "Đã sửa" in reply and "Tích hợp giấy tờ" in reply
    (visit,) = visits(member_app)
    assert (visit.service_codes, visit.outcome, visit.note) == (["tichhop"], "done", "xong hẳn")
    with member_app.database.transaction() as session:
        rows = list(session.scalars(select(AuditLog).where(AuditLog.action == "visit.update").order_by(AuditLog.id)))
    assert [(r.details["before"]["outcome"], r.details["after"]["outcome"]) for r in rows] == [
        ("done", "later"),
        ("later", "done"),
    ]
    assert rows[1].details["before"]["services"] == ["muc2", "vneid"]


def test_delete_the_last_visit_softly_with_audit(member_app: Troly) -> None:
    answer(member_app, ONE_LINE)
    answer(member_app, ONE_LINE.replace("xong", "hẹn lại"))
    assert "Bạn muốn xóa" in joined(answer(member_app, "/xoa"))
    assert "Đã xóa" in joined(answer(member_app, "1"))
    assert [v.outcome for v in visits(member_app)] == ["done"]
    assert [v.deleted_at is not None for v in visits(member_app, include_deleted=True)] == [False, True]
    answer(member_app, "/xoa")
    assert "Đã hủy" in joined(answer(member_app, "2"))  # «Không xóa»
    with member_app.database.transaction() as session:
        assert session.scalar(select(func.count()).where(AuditLog.action == "visit.delete")) == 1


def test_after_a_day_a_visit_can_no_longer_be_changed(member_app: Troly) -> None:
    answer(member_app, ONE_LINE)
    backdate(member_app, visits(member_app)[0].id, timedelta(hours=24, minutes=1))
    assert "quá 24 giờ" in joined(answer(member_app, "/sua"))
    assert "quá 24 giờ" in joined(answer(member_app, "/sua Số 1 ; An ; dvc ; xong"))
    assert "quá 24 giờ" in joined(answer(member_app, "/xoa"))
    (visit,) = visits(member_app)
    assert visit.service_codes == ["muc2", "vneid"] and visit.deleted_at is None


def test_members_change_only_their_own_visits(member_app: Troly) -> None:
    join(member_app, "minh")
    answer(member_app, ONE_LINE)
    assert "chưa có lượt thăm nào" in joined(say(member_app, "/xoa", user="minh"))
    assert "chưa có lượt thăm nào" in joined(say(member_app, "/sua Số 1 ; An ; dvc ; xong", user="minh"))
    assert len(visits(member_app)) == 1


def test_a_visit_deleted_meanwhile_is_not_saved_by_an_open_correction(member_app: Troly) -> None:
    answer(member_app, ONE_LINE)
    answer(member_app, "/sua")
    with member_app.database.transaction() as session:
        from handlers.visits.models import Visit

        visit = session.scalars(select(Visit)).one()
        visit.deleted_at = visit.created_at
    assert "chưa có lượt thăm nào" in joined(answer(member_app, "1"))


def test_households_of_other_areas_cannot_be_picked_or_read(member_app: Troly) -> None:
    join(member_app, "hoa", "22-UB-K3")
    say(member_app, "/ghinhan Số 8 Trần Hưng Đạo ; Bí Mật ; vneid ; xong", user="hoa")
    other = visits(member_app)[0].household_id
    answer(member_app, "/ghinhan")
    reply = joined(answer(member_app, f"gn:hh:{other}"))
    assert "không tìm thấy hộ này" in reply and "Bí Mật" not in reply
    assert "giống hộ đã có" not in joined(answer(member_app, "Số 8 Trần Hưng Đạo"))


def test_a_correction_may_keep_some_services_and_add_others(member_app: Troly) -> None:
    answer(member_app, ONE_LINE)
    answer(member_app, "/sua Số 12 ngõ 5 Trần Phú ; Nguyễn Văn An ; vneid, dvc ; xong")
    (visit,) = visits(member_app)
    assert sorted(visit.service_codes) == ["dvc", "vneid"]
