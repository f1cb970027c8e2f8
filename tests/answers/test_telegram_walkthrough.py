"""Done when (issue 11): a new Telegram user walks through the questions real citizens ask.

The real `troly serve` web app and python-telegram-bot talk HTTP to the fake Bot API; the core answers from the
session's index (the guides and the five real plans), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import aiohttp

from bot.app import create_app
from bot.settings import Settings
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_e2e import SECRET, serving, telegram_settings
from tests.support.telegram_updates import callback_update, post_update, text_update

CHAT = 1101


class Walk:
    """One Telegram user: say something, wait for the one reply, read it as the user sees it."""

    def __init__(self, fake: FakeTelegram, url: str, session: aiohttp.ClientSession) -> None:
        self.fake, self.url, self.session, self.count = fake, url, session, 0

    async def say(self, text: str) -> tuple[str, list[dict[str, str]]]:
        assert (await post_update(self.session, self.url, text_update(CHAT, text), SECRET)).status == 200
        return await self._reply()

    async def tap(self, button: dict[str, str]) -> tuple[str, list[dict[str, str]]]:
        update = callback_update(CHAT, button["callback_data"])
        assert (await post_update(self.session, self.url, update, SECRET)).status == 200
        return await self._reply()

    async def _reply(self) -> tuple[str, list[dict[str, str]]]:
        self.count += 1
        calls = await self.fake.wait_for("sendMessage", self.count, chat_id=CHAT, timeout=30)
        markup = calls[-1].params.get("reply_markup") or {}
        buttons = [button for row in markup.get("inline_keyboard", []) for button in row]
        return self.fake.plain_texts(CHAT)[-1], buttons


async def test_a_new_user_walks_through_real_questions(
    make_settings: Callable[..., Settings], database_url: str, data_dir: Path, fake_telegram: FakeTelegram
) -> None:
    troly = create_app(telegram_settings(make_settings, fake_telegram, database_url=database_url, data_dir=data_dir))
    try:
        async with serving(troly) as (url, session):
            walk = Walk(fake_telegram, url, session)

            definition, buttons = await walk.say("Chữ ký số từ xa là gì?")
            assert definition.startswith("Chữ ký số là")  # the definition, not a description of the guide
            assert len(definition) <= 700 and [b["text"] for b in buttons][:1] == ["Xem đầy đủ"]  # then the offer
            assert {"👍 Hữu ích", "👎 Chưa đúng"} <= {b["text"] for b in buttons}  # handlers.feedback
            full, _ = await walk.tap(buttons[0])
            assert full.startswith("CHỮ KÝ SỐ TỪ XA LÀ GÌ?") and "Ai cung cấp?" in full

            cost, _ = await walk.say("Đăng ký chữ ký số từ xa có mất phí không?")
            assert cost.startswith("Chữ ký số từ xa thường tính phí theo gói")

            scam, _ = await walk.say(
                "Có người gọi xưng là công an bảo tôi cài ứng dụng để cập nhật định danh mức 2, có phải lừa đảo không?"
            )
            assert scam.startswith("Đây là lừa đảo.")

            thanks, buttons = await walk.say("cảm ơn")
            assert thanks.startswith("Không có gì") and not buttons

            await walk.say("cài vneid thế nào")
            follow_up, _ = await walk.say("còn iphone thì sao")
            assert "App Store" in follow_up and "chưa có câu trả lời" not in follow_up

            land, buttons = await walk.say("Thủ tục cấp sổ đỏ lần đầu cần những giấy tờ gì?")
            assert "Văn phòng đăng ký đất đai" in land and "UBND xã/phường" in land
            assert "Xem đầy đủ" not in [b["text"] for b in buttons]  # referred, not answered from a guide

            no_plan, _ = await walk.say("Kế hoạch chuyển đổi số của Hà Nội năm 2025 có những mục tiêu gì?")
            assert no_plan.startswith("Mình chưa có kế hoạch chuyển đổi số của thành phố Hà Nội.")
            assert "Móng Cái" in no_plan  # the documents that are loaded
    finally:
        troly.close()
