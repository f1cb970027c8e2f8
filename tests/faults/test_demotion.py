"""Roles are checked again at every step of a dialog that acts, against the user's row of that very
transaction: someone demoted (or moved to another area) halfway through a dialog can no longer finish it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select, update

from bot.app import Troly, create_app
from bot.areas import area_by_code
from bot.settings import Settings
from bot.storage.models import Role, User
from handlers.announcements.models import Announcement
from tests.announce_helpers import PLUGINS, add_residents, import_sample, make_official
from tests.helpers import joined, say
from tests.visits_helpers import join, visits

TEXT = "Lịch làm căn cước và VNeID tại nhà văn hóa khu 1 sáng thứ Bảy, từ 7:30 đến 11:00."


@pytest.fixture
def app(make_settings: Callable[..., Settings], database_url: str) -> Iterator[Troly]:
    troly = create_app(make_settings(database_url=database_url, plugins=PLUGINS))
    import_sample(troly)
    add_residents(troly, "22-MC", 3)
    yield troly
    troly.close()


def _set(app: Troly, user: str, **values: object) -> None:
    """What an admin does meanwhile (`troly users grant`, or an edit in the database)."""
    with app.database.transaction() as session:
        session.execute(update(User).where(User.channel_user_id == user).values(**values))


def _announcements(app: Troly) -> int:
    with app.database.transaction() as session:
        return session.scalar(select(func.count()).select_from(Announcement)) or 0


def _to_the_preview(app: Troly) -> None:
    make_official(app, "cb", "22-MC")
    say(app, f"/thongbao {TEXT}", user="cb")
    preview = say(app, "22-MC", user="cb")
    assert [choice.value for choice in preview[-1].choices] == ["gui", "hen gio", "huy"], joined(preview)


def test_an_official_demoted_during_thongbao_cannot_send_it(app: Troly) -> None:
    _to_the_preview(app)
    _set(app, "cb", role=Role.CITIZEN)
    reply = joined(say(app, "gui", user="cb"))
    assert "Vai trò của bạn vừa được thay đổi" in reply and "không có gì được lưu hay gửi" in reply
    assert _announcements(app) == 0
    _set(app, "cb", role=Role.OFFICIAL)  # the dialog is over: an old "gui" queues nothing either
    assert "Đã xếp thông báo" not in joined(say(app, "gui", user="cb"))
    assert _announcements(app) == 0


def test_an_official_moved_to_another_area_cannot_send_to_the_old_one(app: Troly) -> None:
    _to_the_preview(app)
    with app.database.transaction() as session:
        other = area_by_code(session, "22-UB")
        assert other is not None
        session.execute(update(User).where(User.channel_user_id == "cb").values(area_id=other.id))
    assert "Khu vực bạn phụ trách vừa được thay đổi" in joined(say(app, "gui", user="cb"))
    assert _announcements(app) == 0


def test_a_still_official_official_sends_as_before(app: Troly) -> None:
    _to_the_preview(app)
    assert "Đã xếp thông báo" in joined(say(app, "gui", user="cb"))
    assert _announcements(app) == 1


def test_a_member_demoted_before_saving_a_visit_saves_nothing(app: Troly) -> None:
    join(app, "lan")
    for answer in ("/ghinhan", "Số 7 ngõ 2 Lê Lợi", "Phạm Thị Mai", "1", "tiếp tục", "xong", "2", "bỏ qua"):
        say(app, answer, user="lan")
    assert "Bạn kiểm tra lại trước khi lưu" in joined(say(app, "bỏ qua", user="lan"))
    _set(app, "lan", role=Role.CITIZEN)
    assert "Vai trò của bạn vừa được thay đổi" in joined(say(app, "lưu", user="lan"))
    assert visits(app) == []


def test_a_member_demoted_before_confirming_a_deletion_deletes_nothing(app: Troly) -> None:
    join(app, "lan")
    say(app, "/ghinhan Số 12 ngõ 5 Trần Phú ; Nguyễn Văn An ; vneid ; xong", user="lan")
    assert "Bạn muốn xóa" in joined(say(app, "/xoa", user="lan"))
    _set(app, "lan", role=Role.CITIZEN)
    assert "Vai trò của bạn vừa được thay đổi" in joined(say(app, "1", user="lan"))
    assert len(visits(app)) == 1


def test_a_dialog_keeps_the_roles_of_the_command_that_started_it(app: Troly) -> None:
    """A plugin that forgot `roles=` on its dialog is covered by the command's roles, stored with the dialog."""
    del app.router.dialog_roles["thongbao"]
    _to_the_preview(app)
    _set(app, "cb", role=Role.MEMBER)
    assert "Vai trò của bạn vừa được thay đổi" in joined(say(app, "gui", user="cb"))
    assert _announcements(app) == 0
