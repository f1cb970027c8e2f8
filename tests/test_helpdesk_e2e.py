"""Done-when of the help desk, across channels, on SQLite and PostgreSQL: the real `troly serve` web app with a
fake Zalo OA API and a fake Telegram Bot API (real python-telegram-bot, signed Zalo webhooks).

A Zalo citizen's unanswerable question becomes a request; two Telegram members of the right team receive it; both
tap «Nhận hỗ trợ» at the same moment and exactly one gets it; the citizen learns the member's name; they exchange
two messages through the bot; the member logs the visit that closes the request; the citizen rates it 5 (by
number, as on Zalo); `troly report requests --format csv` shows it with its times. Also: a server killed between
the claim and its notifications sends them after restart, once.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from bot.app import create_app
from bot.settings import Settings
from tests.helpers import inbound
from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_zalo import FakeZalo, zalo_settings
from tests.support.telegram_e2e import SECRET
from tests.support.telegram_updates import message, next_update_id, post_update, user
from tests.support.zalo_harness import ZaloHarness
from tests.test_cli import troly
from tests.visits_helpers import import_sample, invite_code

CITIZEN = "8123456789012345678"
MINH, LAN = 4242, 4343
NAMES = {MINH: ("Minh", "Trần"), LAN: ("Lan", "Nguyễn")}
QUESTION = "thủ tục cấp phép xây nhà xưởng trong khu công nghiệp thế nào"


class Served:
    """The served app: a Zalo citizen and Telegram members, with waits on what the fakes received."""

    def __init__(self, harness: ZaloHarness, zalo: FakeZalo, telegram: FakeTelegram, http: aiohttp.ClientSession):
        self.harness, self.zalo, self.telegram, self.http = harness, zalo, telegram, http
        self.ids = iter(range(1, 10_000))

    @property
    def url(self) -> str:
        assert self.harness.client is not None
        return str(self.harness.client.make_url("")).rstrip("/")

    async def citizen_says(self, text: str) -> str:
        before = len(self.zalo.texts_to(CITIZEN))
        assert await self.harness.say(CITIZEN, text, f"z{next(self.ids)}") == 200
        return "\n".join(self.zalo.texts_to(CITIZEN)[before:])

    async def citizen_receives(self, needle: str, within: float = 20) -> str:
        return await eventually(lambda: next((t for t in self.zalo.texts_to(CITIZEN) if needle in t), None), within)

    async def member_posts(self, chat_id: int, update: dict[str, Any]) -> None:
        response = await post_update(self.http, self.url, update, SECRET)
        assert response.status == 200

    async def member_says(self, chat_id: int, text: str, *, expect: str) -> str:
        before = len(self.telegram.sent(chat_id))
        update = {
            "update_id": next_update_id(),
            "message": message(chat_id, text=text, sender=user(chat_id, *NAMES[chat_id])),
        }
        await self.member_posts(chat_id, update)
        return await self.member_receives(chat_id, expect, after=before)

    async def member_receives(self, chat_id: int, needle: str, *, after: int = 0, within: float = 20) -> str:
        def found() -> str | None:
            return next((t for t in self.telegram.plain_texts(chat_id)[after:] if needle in t), None)

        return await eventually(found, within)

    def button(self, chat_id: int, label: str) -> str:
        """The callback data of the newest button `label` sent to this chat."""
        for call in reversed(self.telegram.sent(chat_id)):
            for row in (call.reply_markup or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == label:
                        return str(button["callback_data"])
        raise AssertionError(f"no button {label!r} for {chat_id}")

    def tap(self, chat_id: int, data: str) -> dict[str, Any]:
        bot = {"id": 123456, "is_bot": True, "first_name": "Trợ lý số", "username": "troly_test_bot"}
        bot_message = {"message_id": 1, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"},
                       "from": bot, "text": "…"}  # fmt: skip
        query = {"id": f"cq{next(self.ids)}", "from": user(chat_id, *NAMES[chat_id]), "chat_instance": "1",
                 "data": data, "message": bot_message}  # fmt: skip
        return {"update_id": next_update_id(), "callback_query": query}


async def eventually(probe: Callable[[], str | None], within: float) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if (value := probe()) is not None:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError("timed out waiting for a message")


@pytest.fixture
async def served(make_settings: Callable[..., Settings], database_url: str, fake_telegram: FakeTelegram
                 ) -> AsyncIterator[Served]:  # fmt: skip
    zalo = await FakeZalo().start()
    settings = make_settings(
        database_url=database_url, push_poll_seconds=0.05, telegram_token=fake_telegram.token,
        telegram_api_url=fake_telegram.api_url, telegram_webhook_secret=SECRET, telegram_rate=1000,
        **zalo_settings(zalo),
    )  # fmt: skip
    harness = await ZaloHarness(settings).start()
    import_sample(harness.app)
    async with aiohttp.ClientSession() as http:
        yield Served(harness, zalo, fake_telegram, http)
    await harness.stop()
    await zalo.close()


async def _join(served: Served, chat_id: int) -> None:
    code = invite_code(served.harness.app, "22-MC-K1")
    await served.member_says(chat_id, f"/thamgia {code}", expect="Chào mừng")


async def _citizen_asks(served: Served) -> int:
    fallback = await served.citizen_says(QUESTION)
    offer = next(line for line in fallback.splitlines() if "Nhờ người của tổ hỗ trợ" in line)
    assert "Bạn cần tổ hỗ trợ việc gì?" in await served.citizen_says(offer.split(".")[0])
    assert "Phường/xã" in (await served.citizen_says("1")).replace("phường/xã", "Phường/xã")  # «the question»
    assert "Khu 1" in await served.citizen_says("Móng Cái 1")
    assert "liên hệ" in await served.citizen_says("Khu 1")
    assert "đến tận nhà" in await served.citizen_says("1")  # in this chat
    created = await served.citizen_says("1")  # yes, a home visit
    assert "Đã gửi yêu cầu số" in created, created
    return int(created.split("yêu cầu số ")[1].split(" ")[0])


async def test_zalo_citizen_to_telegram_member_and_back(served: Served, database_url: str) -> None:
    await _join(served, MINH)
    await _join(served, LAN)
    number = await _citizen_asks(served)
    for member in (MINH, LAN):
        await served.member_receives(member, f"Yêu cầu hỗ trợ số {number}")
    taps = [served.tap(member, served.button(member, "✋ Nhận hỗ trợ")) for member in (MINH, LAN)]
    before = {member: len(served.telegram.sent(member)) for member in (MINH, LAN)}
    await asyncio.gather(*(served.member_posts(m, tap) for m, tap in zip((MINH, LAN), taps, strict=True)))
    won = {m: await served.member_receives(m, f"số {number}", after=before[m]) for m in (MINH, LAN)}
    winners = [m for m, text in won.items() if "Bạn đã nhận yêu cầu" in text]
    assert len(winners) == 1, won
    winner, loser = winners[0], MINH if winners[0] == LAN else LAN
    name = " ".join(NAMES[winner])
    assert f"đã được {name} nhận" in won[loser]
    await asyncio.sleep(0.3)
    told_loser = [text for text in served.telegram.plain_texts(loser) if f"đã được {name} nhận" in text]
    assert len(told_loser) == 1, told_loser  # the reply, not also a notice
    told = await served.citizen_receives("sẽ hỗ trợ bạn")
    assert told.startswith(f"Anh/chị {name}, Tổ công nghệ số cộng đồng Khu 1, sẽ hỗ trợ bạn")

    await served.member_says(winner, f"/traloi {number} Chào bạn, mình sẽ qua nhà. Nhà bạn số mấy?", expect="Đã chuyển")
    assert "Nhà bạn số mấy?" in await served.citizen_receives("Nhà bạn số mấy?")
    assert f"Đã chuyển cho {name}" in await served.citizen_says("Số 12 ngõ 5 Trần Phú ạ")
    relayed = await served.member_receives(winner, "Số 12 ngõ 5 Trần Phú ạ")
    assert relayed.startswith(f"💬 Người dân (yêu cầu số {number})")

    await served.member_says(winner, "/ghinhan", expect="cho yêu cầu hỗ trợ")
    steps = [
        ("Số 12 ngõ 5 Trần Phú", "Tên chủ hộ"), ("Lê Văn Dân", "Đã chọn"), ("vneid", "Đã chọn"),
        ("tiếp tục", "Kết quả"), ("xong", "bao nhiêu"), ("1", "ghi chú"), ("bỏ qua", "vị trí"),
        ("bỏ qua", "kiểm tra lại"),
    ]  # fmt: skip
    before_link = len(served.telegram.sent(winner))
    await served.member_posts(winner, served.tap(winner, served.button(winner, f"🆘 Yêu cầu số {number} · Khu 1")))
    await served.member_receives(winner, "Lượt thăm cho", after=before_link)
    for text, expect in steps:
        await served.member_says(winner, text, expect=expect)
    await served.member_says(winner, "lưu", expect="đã được gắn với lượt thăm này và kết thúc")

    assert "chấm điểm" in await served.citizen_receives("chấm điểm sự hỗ trợ")
    assert "Cảm ơn bạn đã chấm 5/5" in await served.citizen_says("5")
    assert "Cảm ơn" in await served.citizen_says("bỏ qua")

    result = troly("report", "requests", "--format", "csv", env={"TROLY_DATABASE_URL": database_url})
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert len(rows) == 1
    row = rows[0]
    assert (row["Số"], row["Trạng thái"], row["Đánh giá"], row["Người nhận"]) == (str(number), "đã xong", "5", name)
    assert row["Nội dung"] == QUESTION and row["Lý do kết thúc"] == "đã ghi nhận lượt thăm" and row["Mã lượt thăm"]
    assert row["Gửi lúc"] and row["Nhận lúc"] and row["Kết thúc lúc"]
    assert float(row["Phút chờ nhận"]) >= 0 and float(row["Phút đến khi xong"]) >= float(row["Phút chờ nhận"])


async def test_claim_before_a_crash_is_notified_after_restart_once(served: Served) -> None:
    await _join(served, MINH)
    number = await _citizen_asks(served)
    await served.harness.stop()  # the server is gone: nothing delivers pushes
    # The claim commits while no delivery loop runs (as if the server died right after the commit).
    offline = create_app(served.harness.settings)
    claim = inbound(f"/nhan {number}", user=str(MINH), channel="telegram", message_id="claim-1", user_name="Minh Trần")
    assert "Bạn đã nhận" in offline.handle(claim)[0].text
    assert offline.handle(claim) == []  # Telegram redelivers the same update: nothing twice
    offline.close()
    await served.harness.start()
    await served.citizen_receives("sẽ hỗ trợ bạn")
    await served.harness.restart()
    await asyncio.sleep(0.5)
    assert sum("sẽ hỗ trợ bạn" in text for text in served.zalo.texts_to(CITIZEN)) == 1
