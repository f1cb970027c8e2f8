"""The core additions the help desk needs from channels: Telegram's «send my number» button and the contact it
sends back (only the user's own), hints on Zalo and the console, pushes that keep the request, phone formats."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from adapters.console.chat import write_replies
from adapters.zalo.render import CONTACT_HINT, render
from bot.app import Troly, create_app
from bot.context import Context, Reply
from bot.messages import Choice, Outbound
from bot.outbox import decode, encode
from bot.privacy import vietnamese_phone
from bot.settings import Settings
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_e2e import SECRET, serving, telegram_settings
from tests.support.telegram_updates import message_update, post_update, text_update, user


@pytest.fixture
def tg(make_settings: Callable[..., Settings], sqlite_url: str, fake_telegram: FakeTelegram) -> Iterator[Troly]:
    troly = create_app(telegram_settings(make_settings, fake_telegram, database_url=sqlite_url))
    seen: list[str | None] = []

    def ask(ctx: Context) -> Reply:
        ctx.start_dialog("so", "phone")
        return Outbound("Số của bạn?", (Choice("Thôi", "huy"),), request_contact=True)

    def got(ctx: Context) -> Reply:
        seen.append(ctx.inbound.contact)
        ctx.end_dialog()
        return f"Đã nhận: {ctx.inbound.contact}"

    troly.router.command("so", ask, description="Hỏi số")
    troly.router.dialog("so", got)
    troly.seen = seen  # type: ignore[attr-defined]
    yield troly
    troly.close()


async def test_telegram_contact_button_and_own_contact_only(tg: Troly, fake_telegram: FakeTelegram) -> None:
    async with serving(tg) as (url, session):
        await post_update(session, url, text_update(15, "/so"), SECRET)
        [call] = await fake_telegram.wait_for("sendMessage", chat_id=15)
        keyboard = call.reply_markup["keyboard"]  # type: ignore[index]
        assert keyboard[0][0]["request_contact"] is True and keyboard[1] == [{"text": "1"}]
        assert "1. Thôi" in (call.text or "")
        someone_else = {"phone_number": "0987654321", "first_name": "Bà", "user_id": 99}
        await post_update(session, url, message_update(15, contact=someone_else), SECRET)
        await fake_telegram.wait_for("sendMessage", 2, chat_id=15)
        own = {"phone_number": "+84912345678", "first_name": "Lan", "user_id": 15}
        await post_update(session, url, message_update(15, contact=own, sender=user(15)), SECRET)
        sent = await fake_telegram.wait_for("sendMessage", 3, chat_id=15)
    assert "Đã nhận: +84912345678" in (sent[-1].text or "")
    assert tg.seen == ["+84912345678"]  # type: ignore[attr-defined]


def test_zalo_and_console_ask_to_type_the_number(tmp_path: Path) -> None:
    message = Outbound("Số của bạn?", request_contact=True)
    assert CONTACT_HINT in render(message)[0]["text"]
    out = io.StringIO()
    write_replies([message], out, image_dir=tmp_path)
    assert "gõ số" in out.getvalue()


def test_a_pushed_message_keeps_the_contact_request() -> None:
    message = Outbound("Số?", (Choice("Thôi", "huy"),), request_contact=True)
    assert decode(message.text, encode(message), None).request_contact is True


@pytest.mark.parametrize(
    ("typed", "phone"),
    [
        ("0912345678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("091.234.5678", "0912345678"),
        ("024 3825 1234", "02438251234"),
        ("091234567", None),
        ("0112345678", None),
        ("09123456789", None),
        ("0912abc678", None),
        ("", None),
    ],
)
def test_vietnamese_phone_formats(typed: str, phone: str | None) -> None:
    assert vietnamese_phone(typed) == phone
