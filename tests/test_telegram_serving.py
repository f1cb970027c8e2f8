"""Start-up and modes of `troly serve` with Telegram: polling, webhook registration, menu, missing or bad tokens."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from bot.app import create_app
from bot.settings import Settings
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_e2e import SECRET, serving, telegram_settings
from tests.support.telegram_updates import post_update, text_update


async def test_polling_fetches_updates_and_answers(
    make_settings: Callable[..., Settings], sqlite_url: str, fake_telegram: FakeTelegram
) -> None:
    troly = create_app(
        telegram_settings(make_settings, fake_telegram, database_url=sqlite_url, telegram_webhook_secret="")
    )
    try:
        async with serving(troly, polling=True):
            fake_telegram.push_update(text_update(21, "xin chào", update_id=500))
            fake_telegram.push_update(text_update(22, "/trogiup", update_id=501))
            assert await fake_telegram.wait_for("sendMessage", chat_id=21)
            assert await fake_telegram.wait_for("sendMessage", chat_id=22)
            await fake_telegram.wait_for("never", timeout=0.3)
        assert fake_telegram.calls("deleteWebhook")  # getUpdates is refused while a webhook is set
        assert "Xin chào" in fake_telegram.plain_texts(21)[0]
        assert len(fake_telegram.sent()) == 2  # each update answered once, although getUpdates may return it again
    finally:
        troly.close()


async def test_public_url_registers_the_webhook_with_secret_and_the_menu(
    make_settings: Callable[..., Settings], sqlite_url: str, fake_telegram: FakeTelegram
) -> None:
    settings = telegram_settings(
        make_settings, fake_telegram, database_url=sqlite_url, public_url="https://troly.example.vn/"
    )
    troly = create_app(settings)
    try:
        async with serving(troly):
            pass
    finally:
        troly.close()
    assert fake_telegram.webhook is not None
    assert fake_telegram.webhook["url"] == "https://troly.example.vn/webhooks/telegram"
    assert fake_telegram.webhook["secret_token"] == SECRET
    assert fake_telegram.webhook["allowed_updates"] == ["message", "callback_query", "my_chat_member"]
    menu = {item["command"]: item["description"] for item in fake_telegram.commands}
    assert {"trogiup", "huy", "thamgia"} <= set(menu) and "start" not in menu
    assert menu["huy"] == "Hủy thao tác đang làm dở"


async def test_without_public_url_the_webhook_is_left_alone(
    make_settings: Callable[..., Settings], sqlite_url: str, fake_telegram: FakeTelegram
) -> None:
    troly = create_app(telegram_settings(make_settings, fake_telegram, database_url=sqlite_url))
    try:
        async with serving(troly):
            pass
    finally:
        troly.close()
    assert not fake_telegram.calls("setWebhook") and fake_telegram.calls("setMyCommands")


async def test_without_a_token_serve_runs_other_channels_and_says_so(
    make_settings: Callable[..., Settings], sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    troly = create_app(make_settings(database_url=sqlite_url))
    caplog.set_level(logging.INFO)
    try:
        async with serving(troly) as (url, session):
            assert (await session.get(f"{url}/healthz")).status == 200
            assert (await post_update(session, url, text_update(1, "hi"), SECRET)).status in (404, 405)
    finally:
        troly.close()
    assert "TROLY_TELEGRAM_TOKEN is not set" in caplog.text


async def test_a_wrong_token_stops_start_up_with_a_clear_error(
    make_settings: Callable[..., Settings], sqlite_url: str, fake_telegram: FakeTelegram
) -> None:
    troly = create_app(
        telegram_settings(make_settings, fake_telegram, database_url=sqlite_url, telegram_token="1:wrong")
    )
    try:
        with pytest.raises(RuntimeError, match="TROLY_TELEGRAM_TOKEN") as raised:
            async with serving(troly):
                pass
        assert "1:wrong" not in str(raised.value)  # the token never reaches a log
    finally:
        troly.close()


async def test_unreachable_api_at_start_up_is_retried_and_webhook_waits(
    make_settings: Callable[..., Settings], sqlite_url: str, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.fail("getMe", 502, "Bad Gateway", times=1)
    troly = create_app(telegram_settings(make_settings, fake_telegram, database_url=sqlite_url))
    try:
        async with serving(troly) as (url, session):
            assert (await post_update(session, url, text_update(23, "xin chào"), SECRET)).status == 503
            await fake_telegram.wait_for("setMyCommands", timeout=5)  # the retry brought it up
            assert (await post_update(session, url, text_update(23, "xin chào"), SECRET)).status == 200
            assert await fake_telegram.wait_for("sendMessage", chat_id=23)
    finally:
        troly.close()
