"""Secrets never reach a log line, at any level: the bot token that PTB and httpx put in URLs at DEBUG, the
webhook and Zalo secrets, the database password, and tracebacks that carry any of them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest

from bot.app import create_app
from bot.logs import configure_logging
from bot.redaction import MARK, redact_also
from bot.settings import Settings
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_e2e import SECRET, serving, telegram_settings
from tests.support.telegram_updates import post_update, text_update

TOKEN = "7234567890:AAHk3v9-Qw8_zXy2TkLmNoPqRsTuVwXyZ12"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    factory = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(factory)


def _everything(caplog: pytest.LogCaptureFixture) -> str:
    """Every record as a handler would write it, traceback included."""
    formatter = logging.Formatter("%(name)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


async def test_the_bot_token_is_not_logged_at_debug(
    make_settings: Callable[..., Settings], sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeTelegram(token=TOKEN) as fake:
        settings = telegram_settings(make_settings, fake, database_url=sqlite_url, log_level="DEBUG")
        configure_logging(settings)
        troly = create_app(settings)
        try:
            with caplog.at_level(logging.DEBUG):
                async with serving(troly) as (url, session):
                    assert (await post_update(session, url, text_update(9, "xin chào"), SECRET)).status == 200
                    await fake.wait_for("sendMessage", chat_id=9)
        finally:
            troly.close()
    logged = _everything(caplog)
    assert TOKEN not in logged and TOKEN.split(":")[1] not in logged
    assert f"Set Bot API URL: {fake.api_url}{MARK}" in logged  # PTB logged the URL, without its token


def test_configured_secrets_and_secret_shapes_are_redacted_in_messages_and_tracebacks(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(
        telegram_token=TOKEN,
        telegram_webhook_secret="webhook-Secret_42",
        zalo_app_secret="zalo-app-secret-xyz",
        zalo_oa_secret_key="oa-secret-key-123",
        zalo_refresh_token="refresh-token-from-settings",
        database_url="postgresql://troly:matkhau-rat-kho@127.0.0.1/troly",
    )
    configure_logging(settings)
    log = logging.getLogger("tests.redaction")
    with caplog.at_level(logging.DEBUG):
        log.debug("calling https://api.telegram.org/bot%s/getMe", TOKEN)
        log.info("header %s, oa %s, app %s", "webhook-Secret_42", "oa-secret-key-123", "zalo-app-secret-xyz")
        log.warning("form {'refresh_token': 'refresh-token-from-settings', 'app_id': '42'}")
        log.error("db postgresql://troly:matkhau-rat-kho@127.0.0.1/troly unreachable")
        log.info("answer access_token=rotated-1234567&expires_in=90000")
        log.info("another bot 1111111111:BBHk3v9-Qw8_zXy2TkLmNoPqRsTuVwXyZ99 seen")
        redact_also("rotated-access-token-abcdef")
        log.info("now using rotated-access-token-abcdef")
        try:
            raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed")
        except RuntimeError:
            log.exception("send failed")
    logged = _everything(caplog)
    for secret in (
        TOKEN,
        "webhook-Secret_42",
        "oa-secret-key-123",
        "zalo-app-secret-xyz",
        "refresh-token-from-settings",
        "matkhau-rat-kho",
        "rotated-1234567",
        "BBHk3v9",
        "rotated-access-token-abcdef",
    ):
        assert secret not in logged, secret
    assert "'app_id': '42'" in logged and "expires_in=90000" in logged and "127.0.0.1/troly" in logged
    assert logged.count(MARK) >= 10 and "RuntimeError: POST https://api.telegram.org/bot[REDACTED]" in logged


def test_ordinary_text_is_left_alone(make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture) -> None:
    configure_logging(make_settings(telegram_token=TOKEN))
    with caplog.at_level(logging.INFO):
        logging.getLogger("tests.redaction").info("update %s from %s at %s", 123456789, "telegram:ab12cd", "12:30")
    assert caplog.records[-1].getMessage() == "update 123456789 from telegram:ab12cd at 12:30"
