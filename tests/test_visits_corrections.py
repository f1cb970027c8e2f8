"""/sua on the household of a visit: what the summary shows is what is saved, and a household's misspelt
address or head can be corrected (in place, audited), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.app import Troly
from bot.storage.models import AuditLog, Role
from handlers.visits.models import Household
from tests.helpers import joined, say
from tests.visits_helpers import import_sample, join, visits

PLAIN = "/ghinhan so 12 ngo 5 tran phu ; nguyen van an ; vneid ; xong"


@pytest.fixture
def team(app: Troly) -> Troly:
    import_sample(app)
    join(app, "lan")
    join(app, "minh")
    return app


def answer(app: Troly, text: str, user: str = "lan") -> str:
    return joined(say(app, text, user=user))


def summary_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("• Hộ:"))


def saved_line(app: Troly) -> str:
    visit = visits(app)[-1]
    household = visit.household
    return f"• Hộ: {household.address} – chủ hộ {household.head_name}"


def to_household_step(app: Troly, address: str, user: str = "lan") -> str:
    """/sua, «Sửa lại», «Hộ dân», then the address typed."""
    assert "nội dung sửa" in answer(app, "/sua", user)
    assert "phần nào" in answer(app, "2", user)
    assert "Hộ dân nào" in answer(app, "1", user)
    return answer(app, address, user)


def households(app: Troly) -> list[Household]:
    with app.database.transaction() as session:
        found = list(session.scalars(select(Household).order_by(Household.id)))
        session.expunge_all()
        return found


def audits(app: Troly, action: str) -> list[AuditLog]:
    with app.database.transaction() as session:
        found = list(session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))
        session.expunge_all()
        return found


def test_a_misspelt_household_is_corrected_and_the_summary_is_what_is_saved(team: Troly) -> None:
    answer(team, PLAIN)
    answer(team, "/ghinhan so 12 ngo 5 tran phu ; nguyen van an ; cks ; xong", "minh")  # shared household
    before = households(team)
    offered = to_household_step(team, "Số 12 ngõ 5 Trần Phú")
    assert "giống hộ đã có" in offered
    assert "Tên chủ hộ" in answer(team, "Không, đây là hộ mới")
    shown = answer(team, "Nguyễn Văn An")
    assert summary_line(shown) == "• Hộ: Số 12 ngõ 5 Trần Phú – chủ hộ Nguyễn Văn An (sửa cách viết của hộ)"
    assert "Đã sửa lượt thăm" in answer(team, "lưu")
    assert saved_line(team) + " (sửa cách viết của hộ)" == summary_line(shown)
    after = households(team)
    assert [h.id for h in after] == [h.id for h in before]  # corrected in place, no second household
    assert {visit.household_id for visit in visits(team)} == {before[0].id}  # minh's visit follows
    (correction,) = audits(team, "household.update")
    assert correction.details["before"] == {"address": "so 12 ngo 5 tran phu", "head_name": "nguyen van an"}
    assert correction.details["after"] == {"address": "Số 12 ngõ 5 Trần Phú", "head_name": "Nguyễn Văn An"}
    (update,) = audits(team, "visit.update")
    assert update.details["before"]["address"] != update.details["after"]["address"]


def test_a_new_household_chosen_in_sua_is_the_one_saved(team: Troly) -> None:
    """The reported case: «Hộ dân» → «Không, đây là hộ mới» and another address and head."""
    answer(team, "/ghinhan Số 12 ngõ 5 Trần Phú ; Nguyễn Văn An ; vneid ; xong", "minh")
    answer(team, "/ghinhan Số 12 ngõ 5 Trần Phú ; Nguyễn Văn An ; vneid ; xong")  # minh's household
    to_household_step(team, "So 12 Ngo 5 Tran Phu")
    assert "Tên chủ hộ" in answer(team, "Không, đây là hộ mới")
    shown = answer(team, "Lê Thị Bình")  # another household at the same address
    assert summary_line(shown) == "• Hộ: So 12 Ngo 5 Tran Phu – chủ hộ Lê Thị Bình"
    answer(team, "lưu")
    assert saved_line(team) == summary_line(shown)
    first, mine = visits(team)
    assert mine.household_id != first.household_id and len(households(team)) == 2
    assert first.household.head_name == "Nguyễn Văn An"  # minh's household is untouched


def test_someone_elses_household_cannot_be_renamed_by_a_member(team: Troly) -> None:
    answer(team, "/ghinhan so 3 le loi ; tran thi hoa ; vneid ; xong", "minh")
    answer(team, "/ghinhan so 3 le loi ; tran thi hoa ; cks ; xong")
    to_household_step(team, "Số 3 Lê Lợi")
    answer(team, "Không, đây là hộ mới")
    shown = answer(team, "Trần Thị Hoa")
    # The same household by its folded spelling; lan may not correct minh's record: the summary says so.
    assert summary_line(shown) == "• Hộ: so 3 le loi – chủ hộ tran thi hoa"
    answer(team, "lưu")
    assert saved_line(team) == summary_line(shown) and len(households(team)) == 1
    assert audits(team, "household.update") == []


def test_a_leader_corrects_a_shared_household_after_saying_so(team: Troly) -> None:
    join(team, "to_truong", role=Role.LEADER)
    answer(team, "/ghinhan So 9 Hung Vuong ; Le Van Nam ; vneid ; xong", "minh")
    answer(team, "/ghinhan So 9 Hung Vuong ; Le Van Nam ; cks ; xong", "to_truong")
    to_household_step(team, "Số 9 Hùng Vương", "to_truong")
    answer(team, "Không, đây là hộ mới", "to_truong")
    asked = say(team, "Lê Văn Lâm", user="to_truong")  # a different name, not just another spelling
    assert "còn có lượt thăm khác" in joined(asked)
    assert [choice.label for choice in asked[0].choices] == ["✏️ Sửa cách viết của hộ này", "🏠 Đây là hộ khác"]
    shown = answer(team, "1", "to_truong")
    assert summary_line(shown).endswith("Lê Văn Lâm (sửa cách viết của hộ)")
    answer(team, "lưu", "to_truong")
    (household,) = households(team)
    assert (household.address, household.head_name) == ("Số 9 Hùng Vương", "Lê Văn Lâm")
    assert len(audits(team, "household.update")) == 1


def test_a_household_only_this_visit_knows_is_corrected_in_place(team: Troly) -> None:
    answer(team, "/ghinhan Số 21 ngõ 7 Lê Lợi ; Phạm Văn Tư ; vneid ; xong")
    (created,) = households(team)
    assert "Tên chủ hộ" in to_household_step(team, "Số 12 ngõ 7 Lê Lợi")  # the right house number
    shown = answer(team, "Phạm Văn Tư")
    answer(team, "lưu")
    assert saved_line(team) + " (sửa cách viết của hộ)" == summary_line(shown)
    (household,) = households(team)
    assert household.id == created.id and household.address == "Số 12 ngõ 7 Lê Lợi"


def test_a_one_line_correction_of_the_spelling_is_saved(team: Troly) -> None:
    answer(team, PLAIN)
    reply = answer(team, "/sua Số 12 ngõ 5 Trần Phú ; Nguyễn Văn An ; vneid ; xong")
    assert "Hộ: Số 12 ngõ 5 Trần Phú – chủ hộ Nguyễn Văn An" in reply
    (household,) = households(team)
    assert household.head_name == "Nguyễn Văn An"


def test_saving_without_a_change_writes_no_audit_row(team: Troly) -> None:
    answer(team, PLAIN)
    answer(team, "/sua")
    assert "không có gì thay đổi" in answer(team, "lưu")
    assert audits(team, "visit.update") == []
    with team.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action.like("visit.%"))) == 1
