"""The same visit flows on Zalo (signed webhook events to the real server, replies to a fake Zalo OA API),
answered by typing numbers as Zalo users do, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable

import pytest

from bot.settings import Settings
from tests.support.fake_zalo import FakeZalo, zalo_settings
from tests.support.zalo_harness import ZaloHarness
from tests.visits_helpers import import_sample, invite_code, visits

MEMBER = "8123456789012345678"
_ids = itertools.count(1)


@pytest.fixture
async def zalo_server(make_settings: Callable[..., Settings], database_url: str) -> AsyncIterator[ZaloHarness]:
    fake = await FakeZalo().start()
    harness = await ZaloHarness(make_settings(database_url=database_url, **zalo_settings(fake))).start()
    harness.fake = fake  # type: ignore[attr-defined]
    yield harness
    await harness.stop()
    await fake.close()


async def say(zalo: ZaloHarness, text: str) -> str:
    fake: FakeZalo = zalo.fake  # type: ignore[attr-defined]
    before = len(fake.texts_to(MEMBER))
    assert await zalo.say(MEMBER, text, f"msg{next(_ids)}") == 200
    return "\n".join(fake.texts_to(MEMBER)[before:])


async def test_visits_on_zalo_by_one_line_and_by_numbers(zalo_server: ZaloHarness) -> None:
    import_sample(zalo_server.app)
    assert "Chào mừng" in await say(zalo_server, f"/thamgia {invite_code(zalo_server.app, '22-MC-K2')}")
    assert "Đã lưu lượt thăm" in await say(zalo_server, "/ghinhan Thôn Đông ; Vũ Văn Hải ; luadao ; xong")
    assert "Hộ dân nào" in await say(zalo_server, "/ghinhan")
    assert "giống hộ đã có" in await say(zalo_server, "thon dong")
    for number in ("1", "2", "10", "1", "2"):  # the household, mức 2, continue, done, 2 people
        await say(zalo_server, number)
    assert "gửi vị trí" in await say(zalo_server, "1")  # «Bỏ qua» the note
    summary = await say(zalo_server, "bỏ qua")
    assert "Định danh điện tử mức 2" in summary and "Số người được hỗ trợ: 2" in summary
    assert "Đã lưu lượt thăm" in await say(zalo_server, "1")
    report = await say(zalo_server, "/baocao")
    assert "2 lượt thăm, 1 hộ được tiếp cận" in report
    first, second = visits(zalo_server.app)
    assert second.household_id == first.household_id and second.service_codes == ["muc2"]
    assert first.member.channel == "zalo"
