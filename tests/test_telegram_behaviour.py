"""How the Telegram adapter behaves for users: keyboards, taps, media, groups, blocking and flood control."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from bot.app import Troly, create_app
from bot.context import Context, Reply
from bot.messages import Choice, Outbound
from bot.settings import Settings
from bot.storage.models import User
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_e2e import SECRET, serving, telegram_settings
from tests.support.telegram_updates import callback_update, membership_update, message_update, post_update, text_update


@pytest.fixture
def tg(make_settings: Callable[..., Settings], sqlite_url: str, fake_telegram: FakeTelegram) -> Iterator[Troly]:
    troly = create_app(telegram_settings(make_settings, fake_telegram, database_url=sqlite_url))
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


async def test_choices_become_inline_buttons_and_a_tap_is_the_users_choice(
    tg: Troly, fake_telegram: FakeTelegram
) -> None:
    async with serving(tg) as (url, session):
        await post_update(session, url, text_update(11, "/khaosat"), SECRET)
        [offer] = await fake_telegram.wait_for("sendMessage", chat_id=11)
        assert offer.text == "Bạn chọn &lt;mục&gt; nào?"
        buttons = [row[0] for row in offer.reply_markup["inline_keyboard"]]  # type: ignore[index]
        assert [b["text"] for b in buttons] == ["Một & hai", "Dài"]
        assert [b["callback_data"] for b in buttons] == ["mot", "2"]
        response = await post_update(session, url, callback_update(11, "2"), SECRET)
        assert response.status == 200
        await fake_telegram.wait_for("sendMessage", 2, chat_id=11)
        assert await fake_telegram.wait_for("answerCallbackQuery")
        assert await fake_telegram.wait_for("editMessageReplyMarkup")
    assert fake_telegram.plain_texts(11)[1] == "Bạn đã chọn: " + "giá trị rất dài " * 7 + "giá trị rất dài"


async def test_blocked_user_is_marked_and_unmarked_when_writing_again(tg: Troly, fake_telegram: FakeTelegram) -> None:
    fake_telegram.block(12)
    async with serving(tg) as (url, session):
        await post_update(session, url, text_update(12, "xin chào"), SECRET)
        for _ in range(200):
            user = _user(tg, 12)
            if user is not None and user.blocked:
                break
            await fake_telegram.wait_for("never", timeout=0.01)
        assert user is not None and user.blocked
        assert [call.error_code for call in fake_telegram.calls("sendMessage", 12)] == [403]
        fake_telegram.unblock(12)
        await post_update(session, url, text_update(12, "xin chào"), SECRET)
        await fake_telegram.wait_for("sendMessage", chat_id=12)
    user = _user(tg, 12)
    assert user is not None and not user.blocked


async def test_retry_after_is_honoured(tg: Troly, fake_telegram: FakeTelegram) -> None:
    fake_telegram.rate_limit(13, retry_after=1)
    async with serving(tg) as (url, session):
        await post_update(session, url, text_update(13, "xin chào"), SECRET)
        [sent] = await fake_telegram.wait_for("sendMessage", chat_id=13, timeout=5)
    refused = [call for call in fake_telegram.calls("sendMessage", 13) if call.error_code == 429]
    assert len(refused) == 1
    assert sent.at - refused[0].at >= 0.95  # waited out retry_after before sending again


async def test_long_reply_is_split_at_paragraphs_under_the_limit(tg: Troly, fake_telegram: FakeTelegram) -> None:
    paragraphs = [(f"Đoạn {n}: " + "chữ ký số từ xa & dịch vụ công " * 60).strip() for n in range(1, 6)]

    def long_answer(ctx: Context) -> Reply:
        return "\n\n".join(paragraphs)

    tg.router.command("dai", long_answer, description="Trả lời dài")
    async with serving(tg) as (url, session):
        await post_update(session, url, text_update(14, "/dai"), SECRET)
        await fake_telegram.wait_for("sendMessage", 3, chat_id=14)
        await fake_telegram.wait_for("sendMessage", 9, chat_id=14, timeout=0.3)  # nothing more arrives
    texts = fake_telegram.plain_texts(14)
    assert len(texts) == 3 and all(len(text) <= 4096 for text in texts)
    assert all(text.startswith("Đoạn ") for text in texts)  # every cut at a paragraph boundary
    assert "\n\n".join(texts) == "\n\n".join(paragraphs)
    assert all("&amp;" in call.text for call in fake_telegram.sent(14) if call.text)


async def test_location_request_uses_a_reply_keyboard(tg: Troly, fake_telegram: FakeTelegram) -> None:
    def where(ctx: Context) -> Reply:
        return Outbound("Bạn đang ở đâu?", request_location=True)

    tg.router.command("vitri", where, description="Hỏi vị trí")
    async with serving(tg) as (url, session):
        await post_update(session, url, text_update(15, "/vitri"), SECRET)
        [call] = await fake_telegram.wait_for("sendMessage", chat_id=15)
    keyboard = call.reply_markup["keyboard"]  # type: ignore[index]
    assert keyboard[0][0]["request_location"] is True
    assert call.reply_markup["one_time_keyboard"] is True  # type: ignore[index]


async def test_media_get_a_polite_reply_and_edits_are_ignored(tg: Troly, fake_telegram: FakeTelegram) -> None:
    photo = [{"file_id": "f", "file_unique_id": "u", "width": 90, "height": 90}]
    sticker = {"file_id": "s", "file_unique_id": "su", "type": "regular", "width": 512, "height": 512,
               "is_animated": False, "is_video": False}  # fmt: skip
    voice = {"file_id": "v", "file_unique_id": "vu", "duration": 3}
    edited = {"update_id": 99001, "edited_message": {**text_update(16, "sửa")["message"], "edit_date": 1}}
    async with serving(tg) as (url, session):
        for media in ({"photo": photo}, {"sticker": sticker}, {"voice": voice}):
            assert (await post_update(session, url, message_update(16, **media), SECRET)).status == 200
        assert (await post_update(session, url, edited, SECRET)).status == 200
        await fake_telegram.wait_for("sendMessage", 3, chat_id=16)
        await fake_telegram.wait_for("sendMessage", 4, chat_id=16, timeout=0.3)
    texts = fake_telegram.plain_texts(16)
    assert len(texts) == 3 and all("chỉ đọc được tin nhắn chữ" in text for text in texts)


async def test_groups_get_a_note_only_for_commands(tg: Troly, fake_telegram: FakeTelegram) -> None:
    async with serving(tg) as (url, session):
        await post_update(session, url, message_update(-100, chat_type="group", text="chào cả nhà"), SECRET)
        await post_update(session, url, message_update(-100, chat_type="group", text="/trogiup@other_bot"), SECRET)
        await post_update(session, url, message_update(-100, chat_type="group", text="/trogiup@troly_test_bot"), SECRET)
        await fake_telegram.wait_for("sendMessage", chat_id=-100)
        await fake_telegram.wait_for("sendMessage", 2, chat_id=-100, timeout=0.3)
    assert len(fake_telegram.texts(-100)) == 1 and "trò chuyện riêng" in fake_telegram.texts(-100)[0]
    assert _user(tg, 777) is None  # nothing from a group reached the core


async def test_blocking_from_the_telegram_menu_marks_the_user(tg: Troly, fake_telegram: FakeTelegram) -> None:
    async with serving(tg) as (url, session):
        await post_update(session, url, text_update(17, "xin chào"), SECRET)
        await fake_telegram.wait_for("sendMessage", chat_id=17)
        assert (await post_update(session, url, membership_update(17, "kicked"), SECRET)).status == 200
        user = _user(tg, 17)
        assert user is not None and user.blocked
        assert (await post_update(session, url, membership_update(17, "member"), SECRET)).status == 200
    user = _user(tg, 17)
    assert user is not None and not user.blocked
    assert len(fake_telegram.sent(17)) == 1  # neither event sends anything
