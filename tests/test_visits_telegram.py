"""Done-when for issue 6, on Telegram through the fake_telegram Bot API server, on SQLite and PostgreSQL.

A volunteer redeems an invite from `troly invite`, logs a visit with the one-line form and another through the
guided dialog by tapping inline buttons (real callback queries through the real webhook and PTB), and both
appear in `troly report visits --format csv` for the area. A citizen cannot log; a replayed update and a double
tap store one visit.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import aiohttp

from bot.app import Troly
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_e2e import SECRET, serving
from tests.support.telegram_updates import callback_update, message_update, post_update, text_update
from tests.test_cli import troly
from tests.visits_helpers import import_sample, visits

MEMBER, CITIZEN = 4242, 9001
ONE_LINE = "/ghinhan Số 12 ngõ 5 Trần Phú ; Nguyễn Văn An ; vneid, mức 2 ; xong ; hẹn gọi 0912345678"


class Chat:
    """One Telegram user talking to the served bot: send an update, wait for the bot's next message."""

    def __init__(self, fake_telegram: FakeTelegram, session: aiohttp.ClientSession, url: str, chat_id: int) -> None:
        self.fake_telegram, self.session, self.url, self.chat_id = fake_telegram, session, url, chat_id

    async def post(self, update: dict[str, Any], replies: int = 1) -> str:
        before = len(self.fake_telegram.sent(self.chat_id))
        response = await post_update(self.session, self.url, update, SECRET)
        assert response.status == 200
        if replies == 0:
            return ""
        sent = await self.fake_telegram.wait_for("sendMessage", before + replies, chat_id=self.chat_id, timeout=20)
        return "\n".join(self.fake_telegram.plain_texts(self.chat_id)[before:]) if sent else ""

    async def say(self, text: str) -> str:
        return await self.post(text_update(self.chat_id, text))

    async def tap(self, label: str) -> str:
        """Tap the inline button `label` of the bot's last message, sending its real callback data."""
        markup = self.fake_telegram.sent(self.chat_id)[-1].reply_markup or {}
        buttons = [button for row in markup.get("inline_keyboard", []) for button in row]
        data = next((b["callback_data"] for b in buttons if b["text"] == label), None)
        assert data is not None, f"no button {label!r} in {[b['text'] for b in buttons]}"
        assert len(data.encode()) <= 64
        return await self.post(callback_update(self.chat_id, data))


def report_rows(database_url: str, area: str) -> list[dict[str, str]]:
    result = troly("report", "visits", "--area", area, "--format", "csv", env={"TROLY_DATABASE_URL": database_url})
    assert result.returncode == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))


async def test_volunteer_logs_visits_on_telegram_and_they_reach_the_csv_report(
    tg_app: Troly, fake_telegram: FakeTelegram, database_url: str
) -> None:
    env = {"TROLY_DATABASE_URL": database_url}
    import_sample(tg_app)
    code = troly("invite", "--role", "member", "--area", "22-MC-K1", env=env).stdout.strip().splitlines()[-1]
    async with serving(tg_app) as (url, session):
        citizen, member = Chat(fake_telegram, session, url, CITIZEN), Chat(fake_telegram, session, url, MEMBER)
        assert "/thamgia" in await citizen.say("/ghinhan Số 1 ; An ; vneid ; xong")
        assert "Chào mừng" in await member.say(f"/thamgia {code}")

        one_line = text_update(MEMBER, ONE_LINE)
        assert "Đã lưu lượt thăm" in await member.post(one_line)
        await member.post(one_line, replies=0)  # Telegram delivers the same update again
        assert "đã được lưu trước đó" in await member.say(ONE_LINE)  # a double send: a new update, same visit

        assert "Hộ dân nào" in await member.say("/ghinhan")
        assert "Tên chủ hộ" in await member.say("Số 4 Bạch Đằng")
        assert "Đã chọn: chưa có" in await member.say("Hoàng Văn Tư")
        await member.tap("Dịch vụ công trực tuyến")
        assert "Đã chọn: Dịch vụ công trực tuyến; Thanh toán" in await member.tap("Thanh toán không dùng tiền mặt")
        assert "Kết quả lần này" in await member.tap("➡️ Tiếp tục")
        assert "bao nhiêu người" in await member.tap("Hẹn lại")
        await member.tap("3")
        assert "gửi vị trí" in await member.tap("Bỏ qua")
        location = {"latitude": 21.5251, "longitude": 107.9662}
        summary = await member.post(message_update(MEMBER, location=location))
        assert "Vị trí: đã gửi" in summary and "Số người được hỗ trợ: 3" in summary
        saved = member.fake_telegram.sent(MEMBER)[-1]
        assert "Đã lưu lượt thăm" in await member.tap("💾 Lưu")
        data = next(b["callback_data"] for row in saved.reply_markup["inline_keyboard"] for b in row)  # type: ignore[index]
        assert "đã được lưu rồi" in await member.post(callback_update(MEMBER, data))  # a stale second tap

    logged = visits(tg_app)
    assert len(logged) == 2 and {v.member.channel for v in logged} == {"telegram"}
    assert (logged[1].latitude, logged[1].longitude) == (21.5251, 107.9662)
    rows = report_rows(database_url, "22-MC")
    assert [(row["Địa chỉ hộ"], row["Chủ hộ"], row["Dịch vụ"], row["Kết quả"]) for row in rows] == [
        ("Số 12 ngõ 5 Trần Phú", "Nguyễn Văn An", "Cài đặt VNeID; Định danh điện tử mức 2", "Đã xong"),
        ("Số 4 Bạch Đằng", "Hoàng Văn Tư", "Dịch vụ công trực tuyến; Thanh toán không dùng tiền mặt", "Hẹn lại"),
    ]
    assert rows[0]["Ghi chú"] == "hẹn gọi *******678" and rows[1]["Số người được hỗ trợ"] == "3"
