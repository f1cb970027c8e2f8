"""How the Telegram adapter behaves for users: keyboards, taps, media, groups, blocking and flood control."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from sqlalchemy import select

from bot.app import Troly, create_app
from bot.context import Context, Reply
from bot.messages import Choice, Outbound
from bot.settings import Settings
from bot.storage.models import User
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_e2e import SECRET, serving, telegram_settings
from tests.support.telegram_updates import callback_update, post_update, text_update


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def tg(make_settings: Callable[..., Settings], sqlite_url: str, fake: FakeTelegram) -> Iterator[Troly]:
    troly = create_app(telegram_settings(make_settings, fake, database_url=sqlite_url))
    _register_survey(troly)
    yield troly
    troly.close()


def _register_survey(troly: Troly) -> None:
    long_value = "giá trị rất dài " * 8  # over 64 bytes: must travel as its number

    def begin(ctx: Context) -> Reply:
        ctx.start_dialog("survey", "pick", {})
        return Outbound("Bạn chọn <mục> nào?", choices=(Choice("Một & hai", "mot"), Choice("Dài", long_value)))

    def step(ctx: Context) -> Reply:
        ctx.end_dialog()
        return f"Bạn đã chọn: {ctx.text.strip()}"

    troly.router.command("khaosat", begin, description="Khảo sát thử")
    troly.router.dialog("survey", step)


def _user(troly: Troly, user_id: int) -> User | None:
    with troly.database.transaction() as session:
        return session.scalar(select(User).where(User.channel == "telegram", User.channel_user_id == str(user_id)))


async def test_choices_become_inline_buttons_and_a_tap_is_the_users_choice(tg: Troly, fake: FakeTelegram) -> None:
    async with serving(tg) as (url, session):
        await post_update(session, url, text_update(11, "/khaosat"), SECRET)
        [offer] = await fake.wait_for("sendMessage", chat_id=11)
        assert offer.text == "Bạn chọn &lt;mục&gt; nào?"
        buttons = [row[0] for row in offer.reply_markup["inline_keyboard"]]  # type: ignore[index]
        assert [b["text"] for b in buttons] == ["Một & hai", "Dài"]
        assert [b["callback_data"] for b in buttons] == ["mot", "2"]
        response = await post_update(session, url, callback_update(11, "2"), SECRET)
        assert response.status == 200
        await fake.wait_for("sendMessage", 2, chat_id=11)
        assert await fake.wait_for("answerCallbackQuery")
        assert await fake.wait_for("editMessageReplyMarkup")
    assert fake.plain_texts(11)[1] == "Bạn đã chọn: " + "giá trị rất dài " * 7 + "giá trị rất dài"


async def test_blocked_user_is_marked_and_unmarked_when_writing_again(tg: Troly, fake: FakeTelegram) -> None:
    fake.block(12)
    async with serving(tg) as (url, session):
        await post_update(session, url, text_update(12, "xin chào"), SECRET)
        for _ in range(200):
            user = _user(tg, 12)
            if user is not None and user.blocked:
                break
            await fake.wait_for("never", timeout=0.01)
        assert user is not None and user.blocked
        assert [call.error_code for call in fake.calls("sendMessage", 12)] == [403]
        fake.unblock(12)
        await post_update(session, url, text_update(12, "xin chào"), SECRET)
        await fake.wait_for("sendMessage", chat_id=12)
    user = _user(tg, 12)
    assert user is not None and not user.blocked


async def test_retry_after_is_honoured(tg: Troly, fake: FakeTelegram) -> None:
    fake.rate_limit(13, retry_after=1)
    async with serving(tg) as (url, session):
        await post_update(session, url, text_update(13, "xin chào"), SECRET)
        [sent] = await fake.wait_for("sendMessage", chat_id=13, timeout=5)
    refused = [call for call in fake.calls("sendMessage", 13) if call.error_code == 429]
    assert len(refused) == 1
    assert sent.at - refused[0].at >= 0.95  # waited out retry_after before sending again
