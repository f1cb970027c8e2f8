"""Time-driven help desk behaviour with a controllable clock, on SQLite and PostgreSQL: escalation counted in
working hours (7:00–21:00 Vietnam time), the leaders' morning digest, visit reminders, erasure of phone numbers
after the request closed plus 30 days, and requests of a citizen who blocked the bot."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from bot.app import Troly, create_app
from bot.clock import ManualClock
from bot.settings import Settings
from bot.storage.models import Role, User
from handlers.helpdesk import appointments, jobs
from handlers.helpdesk.timing import working_seconds
from tests.helpdesk_helpers import ask_for_help, import_sample, join, make_official, pushes_to, request, say_as

EVENING = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # 19:00 in Vietnam, a Wednesday


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(EVENING)


@pytest.fixture
def app(make_settings: Callable[..., Settings], database_url: str, clock: ManualClock) -> Iterator[Troly]:
    troly = create_app(make_settings(database_url=database_url), clock=clock)
    import_sample(troly)
    join(troly, "lan", "22-MC-K1")
    join(troly, "tu", "22-MC-K1", Role.LEADER)
    make_official(troly, "hai", "22-MC")
    yield troly
    troly.close()


def _at(local_hour: int, days: int = 0) -> datetime:
    """`local_hour` o'clock in Vietnam (UTC+7), `days` after the first evening."""
    return datetime(2026, 12, 2 + days, 0, 0, tzinfo=UTC) + timedelta(hours=local_hour - 7)


def test_working_hours_skip_the_night(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    assert working_seconds(EVENING, EVENING + timedelta(hours=14), settings) == 4 * 3600  # 19–21 and 7–9
    assert working_seconds(EVENING, EVENING + timedelta(days=1), settings) == 2 * 3600 + 12 * 3600


def test_unclaimed_request_escalates_to_leader_then_officials(app: Troly, clock: ManualClock) -> None:
    number = ask_for_help(app, "dan")
    clock.set(_at(21))
    jobs.escalate(app, clock.now())
    assert request(app, number).escalation == 0 and pushes_to(app, "hai") == []
    clock.set(_at(8, days=1))  # 2 h yesterday evening + 1 h this morning
    jobs.escalate(app, clock.now())
    assert request(app, number).escalation == 0
    clock.set(_at(9, days=1))  # 4 working hours
    jobs.escalate(app, clock.now())
    assert request(app, number).escalation == 1
    assert f"Yêu cầu số {number} chưa có ai nhận" in pushes_to(app, "tu")[-1].text
    assert pushes_to(app, "hai") == []
    clock.set(_at(13, days=1))  # 8 working hours
    jobs.escalate(app, clock.now())
    jobs.escalate(app, clock.now())  # runs again: nothing more
    assert request(app, number).escalation == 2
    assert len(pushes_to(app, "hai")) == 1 and f"số {number}" in pushes_to(app, "hai")[0].text
    assert "Bạn đã nhận" in say_as(app, f"/nhan {number}", "hai")  # the official may take it


def test_morning_digest_once_a_day(app: Troly, clock: ManualClock) -> None:
    ask_for_help(app, "dan")
    clock.set(_at(20))
    assert jobs.digest(app, clock.now()) == 0  # not in the morning
    clock.set(_at(7, days=1) + timedelta(minutes=5))
    assert jobs.digest(app, clock.now()) == 1
    jobs.digest(app, clock.now() + timedelta(minutes=15))
    digests = [m.text for m in pushes_to(app, "tu") if m.text.startswith("☀️")]
    assert len(digests) == 1 and "1 yêu cầu hỗ trợ chưa xong, 1 chưa ai nhận" in digests[0]


def test_reminder_an_hour_before_a_confirmed_visit(app: Troly, clock: ManualClock) -> None:
    number = ask_for_help(app, "dan")
    say_as(app, f"/nhan {number}", "lan")
    assert "Đã gửi đề nghị hẹn 09:00 Thứ Bảy 05/12" in say_as(app, f"/hen {number} 9h sáng thứ Bảy", "lan")
    assert "đề nghị đến nhà" in pushes_to(app, "dan")[-1].text
    assert "Mình sẽ nhắc bạn trước 1 giờ" in say_as(app, "1", "dan")  # «Đồng ý», by number
    clock.set(datetime(2026, 12, 5, 0, 30, tzinfo=UTC))  # 07:30 on Saturday: too early
    assert appointments.send_reminders(app, clock.now()) == 0
    clock.set(datetime(2026, 12, 5, 1, 5, tzinfo=UTC) + timedelta(minutes=1))
    assert appointments.send_reminders(app, clock.now()) == 1
    assert appointments.send_reminders(app, clock.now()) == 0
    assert pushes_to(app, "lan")[-1].text.startswith("⏰ Nhắc: 09:00 Thứ Bảy 05/12")
    assert pushes_to(app, "dan")[-1].text.startswith("⏰ Nhắc: 09:00 Thứ Bảy 05/12")


def test_phone_numbers_are_erased_30_days_after_closing(app: Troly, clock: ManualClock) -> None:
    say_as(app, "/nhotro cần ký số", "dan")
    for answer in ("Móng Cái 1", "Khu 1", "2", "0912345678", "2"):
        say_as(app, answer, "dan")
    say_as(app, "/nhan 1", "lan")
    say_as(app, "/xong 1", "lan")
    clock.advance(timedelta(days=29))
    assert app.jobs.prune(app.database, clock.now())["helpdesk.phones"] == 0
    assert request(app, 1).phone == "0912345678"
    clock.advance(timedelta(days=2))
    assert app.jobs.prune(app.database, clock.now())["helpdesk.phones"] == 1
    erased = request(app, 1)
    assert erased.phone is None and erased.phone_erased_at == clock.now()


def test_requests_of_a_citizen_who_blocked_the_bot_close(app: Troly, clock: ManualClock) -> None:
    number = ask_for_help(app, "dan")
    say_as(app, f"/nhan {number}", "lan")
    with app.database.transaction() as session:
        session.execute(update(User).where(User.channel_user_id == "dan").values(blocked=True))
    jobs.sweep(app, clock.now())
    closed = request(app, number)
    assert closed.status == "closed" and closed.close_reason == "citizen_blocked"
    assert "người dân đã chặn" in pushes_to(app, "lan")[-1].text
