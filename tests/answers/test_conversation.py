"""The chat keeps each user's last question for follow-ups, shows the help line once, and stores nothing unmasked."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Troly, create_app
from bot.clock import ManualClock
from bot.settings import Settings
from bot.storage.models import Area, AreaLevel, User
from bot.texts import HELP_LINE
from handlers.questions.memory import QuestionMemory
from tests.helpers import say

START = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def chat(
    make_settings: Callable[..., Settings], database_url: str, data_dir: Path, clock: ManualClock
) -> Iterator[Troly]:
    """The real app with the session's index (guides and the five plans), on SQLite and PostgreSQL."""
    troly = create_app(make_settings(database_url=database_url, data_dir=data_dir), clock=clock)
    yield troly
    troly.close()


def test_a_follow_up_within_ten_minutes_is_read_with_the_previous_topic(chat: Troly, clock: ManualClock) -> None:
    (first,) = say(chat, "đăng ký định danh mức 2 ở đâu", user="an")
    assert first.meta["topic"] == "vneid-dang-ky-muc-2"
    clock.advance(timedelta(minutes=3))
    (thanks,) = say(chat, "cảm ơn", user="an")
    assert thanks.meta == {"kind": "smalltalk"} and "chưa có câu trả lời" not in thanks.text
    (follow,) = say(chat, "thế còn mức 1?", user="an")
    assert follow.meta["topic"] == "vneid-dang-ky-muc-1" and follow.meta["outcome"] == "answer"
    (other_user,) = say(chat, "thế còn mức 1?", user="binh")  # binh asked nothing before
    assert other_user.meta["outcome"] != "answer" or other_user.meta["topic"] != "vneid-dang-ky-muc-1"


def test_a_follow_up_after_ten_minutes_stands_alone(chat: Troly, clock: ManualClock) -> None:
    say(chat, "cài vneid thế nào", user="an")
    (soon,) = say(chat, "còn iphone thì sao", user="an")
    assert soon.meta["topic"] == "vneid-cai-dat" and soon.meta["outcome"] == "answer"
    clock.advance(timedelta(minutes=11))
    (late,) = say(chat, "còn iphone thì sao", user="an")
    assert late.meta["outcome"] != "answer"


def test_the_help_line_goes_with_the_first_answer_of_a_conversation_only(chat: Troly, clock: ManualClock) -> None:
    (first,) = say(chat, "cài vneid thế nào", user="an")
    (second,) = say(chat, "quên mật khẩu vneid", user="an")
    assert first.text.endswith(HELP_LINE) and HELP_LINE not in second.text
    clock.advance(timedelta(hours=2))
    (next_day,) = say(chat, "quên mật khẩu vneid", user="an")
    assert next_day.text.endswith(HELP_LINE)


def test_id_numbers_are_warned_about_and_never_stored(chat: Troly) -> None:
    (reply,) = say(chat, "cccd 012345678901 của tôi đã lên mức 2 chưa, sđt 0912345678", user="an")
    assert "không tra cứu được hồ sơ cá nhân" in reply.text
    assert "012345678901" not in reply.text and "0912345678" not in str(reply.meta)
    with chat.database.transaction() as session:
        stored = session.scalars(select(QuestionMemory.question)).one()
    assert "012345678901" not in stored and "0912345678" not in stored and "[số định danh đã ẩn]" in stored


def test_retention_blanks_old_questions(chat: Troly, clock: ManualClock) -> None:
    say(chat, "cài vneid thế nào", user="an")
    assert chat.jobs.prune(chat.database, clock.now())["questions.memory"] == 0
    assert chat.jobs.prune(chat.database, clock.now() + timedelta(days=2))["questions.memory"] == 1
    with chat.database.transaction() as session:
        assert session.scalars(select(QuestionMemory.question)).one() == ""


def test_the_users_subscribed_area_picks_the_plan(chat: Troly) -> None:
    say(chat, "xin chào", user="an")
    with chat.database.transaction() as session:
        province = Area(code="22", name="Tỉnh Quảng Ninh", level=AreaLevel.PROVINCE)
        ward = Area(code="22-MC", name="Phường Móng Cái 1", level=AreaLevel.COMMUNE, parent=province)
        session.add_all([province, ward])
        session.flush()
        user = session.scalars(select(User).where(User.channel_user_id == "an")).one()
        user.subscribed_area_id = ward.id
    question = "kế hoạch chuyển đổi số năm 2023 của phường tôi đặt chỉ tiêu bao nhiêu hộ có Internet cáp quang?"
    (reply,) = say(chat, question, user="an")
    assert reply.meta["source_kind"] == "plan" and str(reply.meta["source_id"]).startswith("001_bcb478adb2ba6af6")
    assert "88% hộ gia đình" in reply.text
    (asked,) = say(chat, question, user="binh")  # no area: which locality?
    assert asked.meta["outcome"] == "suggest" and "Móng Cái" in [choice.label for choice in asked.choices]
