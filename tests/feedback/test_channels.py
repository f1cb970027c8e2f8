"""Ratings through the real channels reach the satisfaction report: Telegram's inline buttons (real callback
queries through PTB and the webhook, fake Bot API) and Zalo's numbered choices (signed webhook, fake Zalo)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest

from bot.app import Troly
from bot.areas import area_by_code
from bot.settings import Settings
from handlers.feedback.satisfaction import Report, build_report
from handlers.feedback.scope import area_scope
from tests.feedback.helpers import import_sample, ratings
from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_zalo import FakeZalo, zalo_settings
from tests.support.telegram_e2e import serving
from tests.support.zalo_harness import ZaloHarness
from tests.test_visits_telegram import Chat

QUESTION = "cài vneid ko được"
ZALO_USER = "8123456789012345678"


def _report(app: Troly, area_code: str) -> Report:
    with app.database.transaction() as session:
        scope = area_scope(session, area_by_code(session, area_code))
        now = app.clock.now()
        return build_report(session, scope, now - timedelta(days=1), now + timedelta(days=1), summaries=[], now=now)


async def test_telegram_buttons_rate_answers(tg_app: Troly, fake_telegram: FakeTelegram) -> None:
    import_sample(tg_app)
    async with serving(tg_app) as (url, session):
        citizen = Chat(fake_telegram, session, url, 5001)
        assert "Bạn đã đăng ký" in await citizen.say("/dangky 22-MC")
        assert "VNeID" in await citizen.say(QUESTION)
        markup = fake_telegram.sent(5001)[-1].reply_markup or {}
        labels = [button["text"] for row in markup["inline_keyboard"] for button in row]
        assert labels[-2:] == ["👍 Hữu ích", "👎 Chưa đúng"]
        assert "Cảm ơn bạn đã đánh giá" in await citizen.tap("👍 Hữu ích")
        await citizen.say(QUESTION)
        assert "Bạn cần biết thêm điều gì?" in await citizen.tap("👎 Chưa đúng")
    report = _report(tg_app, "22-MC")
    assert [(row.area_code, row.questions, row.rated, row.helpful) for row in report.areas] == [("22-MC", 2, 2, 1)]
    assert [(source.id, source.ratings, source.helpful) for source in report.sources] == [("vneid-cai-dat", 2, 1)]
    assert {rating.via for rating in ratings(tg_app)} == {"choice"}


@pytest.fixture
async def zalo(
    make_settings: Callable[..., Settings], database_url: str
) -> AsyncIterator[tuple[FakeZalo, ZaloHarness]]:
    fake = await FakeZalo().start()
    harness = await ZaloHarness(make_settings(database_url=database_url, **zalo_settings(fake))).start()
    yield fake, harness
    await harness.stop()
    await fake.close()


async def test_zalo_numbers_rate_answers(zalo: tuple[FakeZalo, ZaloHarness]) -> None:
    fake, harness = zalo
    import_sample(harness.app)
    assert await harness.say(ZALO_USER, "/dangky 22-MC-K1", "z1") == 200
    await harness.say(ZALO_USER, QUESTION, "z2")
    answer = fake.texts_to(ZALO_USER)[-1]
    lines = answer.splitlines()
    helpful = next(line for line in lines if line.endswith("👍 Hữu ích")).split(".")[0]
    not_helpful = next(line for line in lines if line.endswith("👎 Chưa đúng")).split(".")[0]
    await harness.say(ZALO_USER, helpful, "z3")
    assert "Cảm ơn bạn đã đánh giá" in fake.texts_to(ZALO_USER)[-1]
    await harness.say(ZALO_USER, QUESTION, "z4")
    await harness.say(ZALO_USER, not_helpful, "z5")
    assert "Bạn cần biết thêm điều gì?" in fake.texts_to(ZALO_USER)[-1]
    await harness.say(ZALO_USER, not_helpful, "z5")  # Zalo delivers the same event again: nothing more happens
    report = _report(harness.app, "22-MC")
    assert [(row.area_code, row.questions, row.rated, row.helpful) for row in report.areas] == [("22-MC", 2, 2, 1)]
    assert [(source.id, source.ratings, source.helpful) for source in report.sources] == [("vneid-cai-dat", 2, 1)]
