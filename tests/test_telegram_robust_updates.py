"""Telegram in the real world: updates troly cannot read are acknowledged, never retried into a loop, and one
user's quick messages are handled in the order they were sent (webhook and polling)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from bot.app import create_app
from bot.settings import DEFAULT_PLUGINS, Settings
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_e2e import SECRET, serving, telegram_settings
from tests.support.telegram_updates import next_update_id, poll_update, post_update, text_update

SLOW = (*DEFAULT_PLUGINS, "tests.support.slow_plugin")


async def test_a_poll_without_persistent_id_gets_200_and_the_next_update_is_handled(
    make_settings: Callable[..., Settings],
    sqlite_url: str,
    fake_telegram: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
) -> None:
    troly = create_app(telegram_settings(make_settings, fake_telegram, database_url=sqlite_url))
    caplog.set_level(logging.DEBUG, "adapters.telegram")
    try:
        async with serving(troly) as (url, session):
            for _ in range(3):
                assert (await post_update(session, url, poll_update(31), SECRET)).status == 200
            assert (await post_update(session, url, text_update(31, "xin chào"), SECRET)).status == 200
            assert await fake_telegram.wait_for("sendMessage", chat_id=31)
    finally:
        troly.close()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "cannot be read" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]  # once per kind, not once per update
    assert "persistent_id" in warnings[0].getMessage()
    assert "Xin chào" in fake_telegram.plain_texts(31)[0]


async def test_polling_moves_past_an_unreadable_update_and_answers_the_next(
    make_settings: Callable[..., Settings], sqlite_url: str, fake_telegram: FakeTelegram
) -> None:
    settings = telegram_settings(make_settings, fake_telegram, database_url=sqlite_url, telegram_webhook_secret="")
    troly = create_app(settings)
    try:
        async with serving(troly, polling=True):
            fake_telegram.push_update(poll_update(41))
            fake_telegram.push_update(text_update(41, "xin chào"))
            assert await fake_telegram.wait_for("sendMessage", chat_id=41)
            await asyncio.sleep(0.3)
            polls = len(fake_telegram.calls("getUpdates"))
            await asyncio.sleep(0.5)
            assert len(fake_telegram.calls("getUpdates")) - polls <= 3  # long-polling again, not spinning
    finally:
        troly.close()
    assert len(fake_telegram.sent(41)) == 1


async def test_three_quick_messages_of_one_user_are_handled_in_order_when_polling(
    make_settings: Callable[..., Settings], sqlite_url: str, fake_telegram: FakeTelegram
) -> None:
    """PTB runs updates concurrently: the slowest first message would be answered last without the sequencer."""
    settings = telegram_settings(
        make_settings, fake_telegram, database_url=sqlite_url, telegram_webhook_secret="", plugins=SLOW
    )
    troly = create_app(settings)
    try:
        async with serving(troly, polling=True):
            first = next_update_id()
            for number, (seconds, label) in enumerate((("0.6", "mot"), ("0.2", "hai"), ("0", "ba"))):
                fake_telegram.push_update(text_update(51, f"/cham {seconds} {label}", update_id=first + number))
            sent = await fake_telegram.wait_for("sendMessage", 3, chat_id=51, timeout=10)
    finally:
        troly.close()
    assert [call.text for call in sent] == ["xong mot", "xong hai", "xong ba"]
