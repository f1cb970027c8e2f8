"""End to end: the real aiohttp app of `troly serve` and real PTB, against the fake_telegram Bot API server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.app import Troly, create_app
from bot.settings import Settings
from knowledge.guides import load_guides
from tests.helpers import inbound
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_e2e import SECRET, serving, telegram_settings
from tests.support.telegram_updates import callback_update, post_update, text_update


async def test_text_update_is_answered_with_the_cores_reply(tg_app: Troly, fake_telegram: FakeTelegram) -> None:
    question = "cài vneid thế nào"
    expected = [reply.text for reply in tg_app.handle(inbound(question, channel="console", user="ref"))]
    async with serving(tg_app) as (url, session):
        response = await post_update(session, url, text_update(4242, question), SECRET)
        assert response.status == 200
        sent = await fake_telegram.wait_for("sendMessage", len(expected), chat_id=4242)
    assert [call.params["parse_mode"] for call in sent] == ["HTML"] * len(expected)
    assert fake_telegram.plain_texts(4242) == expected


async def test_bad_requests_are_refused_or_dropped_and_the_server_keeps_running(
    tg_app: Troly, fake_telegram: FakeTelegram
) -> None:
    """Without the secret nothing is read (403); with it, an unreadable body is acknowledged (200) and dropped,
    because Telegram would otherwise send it again forever."""
    async with serving(tg_app) as (url, session):
        update = text_update(5, "xin chào")
        assert (await post_update(session, url, b"{not json", None)).status == 403
        assert (await post_update(session, url, update, None)).status == 403
        assert (await post_update(session, url, update, "wrong")).status == 403
        assert (await post_update(session, url, update, SECRET + "x")).status == 403
        assert (await post_update(session, url, b"{not json", SECRET)).status == 200
        assert (await post_update(session, url, b"\xff\xfe\x00binary", SECRET)).status == 200
        assert (await post_update(session, url, [1, 2], SECRET)).status == 200
        assert (await post_update(session, url, {"message": {"text": "hi"}}, SECRET)).status == 200
        assert (await post_update(session, url, {"update_id": "7"}, SECRET)).status == 200
        assert (await post_update(session, url, {"update_id": 8, "message": "text"}, SECRET)).status == 200
        huge = b'{"update_id": 9, "pad": "' + b"a" * 1024 * 1024 + b'"}'
        assert (await post_update(session, url, huge, SECRET)).status == 413
        unknown = {"update_id": 10, "something_new": {"a": 1}}
        assert (await post_update(session, url, unknown, SECRET)).status == 200
        health = await session.get(f"{url}/healthz")
        assert health.status == 200 and (await health.json())["channels"] == ["telegram"]
        assert (await post_update(session, url, update, SECRET)).status == 200
        assert await fake_telegram.wait_for("sendMessage", chat_id=5)
    assert len(fake_telegram.sent()) == 1  # only the one good update was answered


async def test_replayed_update_is_processed_once(tg_app: Troly, fake_telegram: FakeTelegram) -> None:
    update = text_update(6, "/trogiup")
    async with serving(tg_app) as (url, session):
        first = await post_update(session, url, update, SECRET)
        await fake_telegram.wait_for("sendMessage", chat_id=6)
        again = [await post_update(session, url, update, SECRET) for _ in range(3)]
        assert first.status == 200 and all(response.status == 200 for response in again)
    assert len(fake_telegram.sent(6)) == 1


async def test_simultaneous_redeliveries_are_processed_once(tg_app: Troly, fake_telegram: FakeTelegram) -> None:
    update = text_update(7, "xin chào")
    async with serving(tg_app) as (url, session):
        responses = await asyncio.gather(*(post_update(session, url, update, SECRET) for _ in range(5)))
        assert [response.status for response in responses] == [200] * 5
        await fake_telegram.wait_for("sendMessage", chat_id=7)
        await fake_telegram.wait_for("sendMessage", 2, chat_id=7, timeout=0.3)
    assert len(fake_telegram.sent(7)) == 1


async def test_done_when_a_vneid_question_gets_the_guides_answer(
    make_settings: Callable[..., Settings], sqlite_url: str, fake_telegram: FakeTelegram
) -> None:
    """The issue's acceptance check: the question goes through the webhook, the guide's answer to sendMessage."""
    guide = next(g for g in load_guides() if g.id == "vneid-cai-dat")
    steps = [line.strip() for line in guide.body.splitlines() if line.strip()[:2] in {"1.", "2."}]
    troly = create_app(telegram_settings(make_settings, fake_telegram, database_url=sqlite_url))
    try:
        async with serving(troly) as (url, session):
            assert (await post_update(session, url, text_update(8, "Cài VNeID thế nào?"), SECRET)).status == 200
            [answer] = await fake_telegram.wait_for("sendMessage", chat_id=8, timeout=20)
            text = fake_telegram.plain_texts(8)[0]
            assert guide.title.upper() in text.upper() and all(step in text for step in steps)
            button = answer.reply_markup["inline_keyboard"][0][0]  # type: ignore[index]
            assert (await post_update(session, url, callback_update(8, button["callback_data"]), SECRET)).status == 200
            await fake_telegram.wait_for("sendMessage", 2, chat_id=8, timeout=20)
        full = "\n".join(fake_telegram.plain_texts(8)[1:])
        assert all(step in full for step in steps) and len(full) > len(text) / 2
    finally:
        troly.close()
