"""Zalo events beyond text: opening the chat, anonymous users, the consent form, reactions, delivery receipts
and an admin writing from Zalo's console. Each arrives signed, with the payload Zalo documents."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from adapters.zalo.models import ZaloAdminReply, ZaloReceipt
from adapters.zalo.side_events import delivery_states
from bot import texts
from bot.context import Context, Reply
from bot.messages import Outbound
from bot.storage.models import User
from bot.storage.types import utcnow
from handlers.follow import WELCOME
from tests.support.fake_zalo import (
    FakeZalo,
    anonymous_text_event,
    chat_opened_event,
    oa_sent_event,
    reacted_event,
    received_event,
    seen_event,
    submit_info_event,
)
from tests.support.zalo_harness import ZaloHarness

USER = "8123456789012345678"


def _user(harness: ZaloHarness, user_id: str) -> User | None:
    with harness.app.database.transaction() as session:
        user = session.scalar(select(User).where(User.channel == "zalo", User.channel_user_id == user_id))
        if user is not None:
            session.expunge(user)
        return user


async def _post(harness: ZaloHarness, event: dict[str, object]) -> int:
    status = await harness.post(event)
    await harness.settle()
    return status


async def test_opening_the_chat_counts_as_an_interaction_and_greets_only_the_first_time(
    zalo: ZaloHarness, fake_zalo: FakeZalo
) -> None:
    assert await _post(zalo, chat_opened_event(USER)) == 200
    first = _user(zalo, USER)
    assert first is not None and first.last_interaction_at is not None
    assert WELCOME in fake_zalo.texts_to(USER)[0]
    with zalo.app.database.transaction() as session:
        earlier = utcnow() - timedelta(days=6)
        session.execute(update(User).where(User.channel_user_id == USER).values(last_interaction_at=earlier))
    assert await _post(zalo, chat_opened_event(USER) | {"timestamp": "1798000000000"}) == 200
    again = _user(zalo, USER)
    assert again is not None and again.last_interaction_at is not None
    assert utcnow() - again.last_interaction_at < timedelta(minutes=1)  # Zalo's window starts again
    assert len(fake_zalo.texts_to(USER)) == 1  # a returning visitor is not greeted twice


async def test_an_anonymous_question_is_answered_anonymously_and_personal_commands_ask_for_a_follow(
    zalo_lite: ZaloHarness, fake_zalo: FakeZalo
) -> None:
    chat = "anon:A77:C9"
    assert await _post(zalo_lite, anonymous_text_event("A77", "C9", "xin chào", "an-1")) == 200
    assert await _post(zalo_lite, anonymous_text_event("A77", "C9", "/dangky", "an-2")) == 200
    assert await _post(zalo_lite, anonymous_text_event("A77", "C9", "/start ABCD2345", "an-3")) == 200
    answers = fake_zalo.texts_to(chat)
    assert "Xin chào" in answers[0]
    assert answers[-2:] == [texts.NEEDS_FOLLOW, texts.NEEDS_FOLLOW]  # no subscription, no invite redeemed
    user = _user(zalo_lite, "anon:A77")
    assert user is not None and user.subscribed_area_id is None


def _ask_for_phone(ctx: Context) -> Reply:
    ctx.start_dialog("sdt", "ask")
    return Outbound("Cho mình xin số điện thoại để tổ gọi lại nhé.", request_contact=True)


def _take_phone(ctx: Context) -> Reply:
    ctx.end_dialog()
    return f"Đã nhận số {ctx.inbound.contact}" if ctx.inbound.contact else "Bạn gõ số điện thoại giúp mình nhé."


async def test_the_consent_form_answers_the_dialog_that_asked_for_a_phone_number(
    zalo_lite: ZaloHarness, fake_zalo: FakeZalo
) -> None:
    zalo_lite.app.router.command("sdt", _ask_for_phone, description="kiểm thử", menu=False)
    zalo_lite.app.router.dialog("sdt", _take_phone)
    assert await _post(zalo_lite, submit_info_event(USER, "84912345678")) == 200
    assert fake_zalo.texts_to(USER)[-1] == texts.CONTACT_NOT_EXPECTED  # nobody asked: not kept
    await zalo_lite.say(USER, "/sdt", "p-1")
    form = fake_zalo.sent[-1].message["attachment"]["payload"]
    assert form["template_type"] == "request_user_info" and len(form["elements"]) == 1  # Zalo's consent form
    assert "gõ số điện thoại" in fake_zalo.sent[-2].text  # and the number can still be typed
    assert await _post(zalo_lite, submit_info_event(USER, "84912345678") | {"timestamp": "1798000000001"}) == 200
    assert fake_zalo.texts_to(USER)[-1] == "Đã nhận số 84912345678"


async def test_reactions_become_the_core_reaction_event(zalo_lite: ZaloHarness, fake_zalo: FakeZalo) -> None:
    seen: list[str] = []

    def react(ctx: Context) -> Reply:
        seen.append(ctx.text)
        return None

    zalo_lite.app.router.event("reaction", react)
    await zalo_lite.say(USER, "xin chào", "r-0")
    ours = fake_zalo.sent[-1].message_id
    for icon, stamp in (("/-heart", "1"), ("/-weak", "2"), (":o", "3")):
        assert await _post(zalo_lite, reacted_event(USER, ours, icon) | {"timestamp": f"179800000000{stamp}"}) == 200
    assert seen == ["+", "-"]  # "wow" says nothing about an answer


async def test_receipts_are_kept_as_delivered_and_seen(zalo: ZaloHarness, fake_zalo: FakeZalo) -> None:
    await zalo.say(USER, "xin chào", "d-0")
    ids = [sent.message_id for sent in fake_zalo.sent]
    assert await _post(zalo, received_event(USER, ids[0])) == 200
    assert await _post(zalo, seen_event(USER, ids[-1:])) == 200
    with zalo.app.database.transaction() as session:
        states = delivery_states(session, "zalo", [*ids, "unknown"])
        assert session.get(ZaloReceipt, ids[0]) is not None
    assert states[ids[-1]] == "seen"
    if len(ids) > 1:
        assert states[ids[0]] == "delivered"
    assert "unknown" not in states


async def test_the_bot_holds_back_while_an_admin_is_talking_from_zalos_console(
    zalo: ZaloHarness, fake_zalo: FakeZalo
) -> None:
    await zalo.say(USER, "xin chào", "a-0")
    ours = fake_zalo.sent[-1]
    assert await _post(zalo, oa_sent_event(USER, ours.message_id, ours.text)) == 200  # our own echo
    with zalo.app.database.transaction() as session:
        assert session.get(ZaloAdminReply, USER) is None
    before = len(fake_zalo.texts_to(USER))
    await zalo.say(USER, "xin chào", "a-1")
    assert len(fake_zalo.texts_to(USER)) > before  # still answering

    assert await _post(zalo, oa_sent_event(USER, "admin-msg-1", "Chào anh, em là cán bộ phường", admin_id="42")) == 200
    held = len(fake_zalo.texts_to(USER))
    await zalo.say(USER, "cài vneid thế nào", "a-2")
    assert len(fake_zalo.texts_to(USER)) == held  # the admin is talking: the bot stays quiet
    await zalo.say(USER, "/trogiup", "a-3")
    assert len(fake_zalo.texts_to(USER)) > held  # a command is a request to the bot
    with zalo.app.database.transaction() as session:
        session.execute(update(ZaloAdminReply).values(at=utcnow() - timedelta(hours=1)))
    zalo.webhook.admins._next_read = 0.0  # the table is read again (every 30 s in a running server)
    after = len(fake_zalo.texts_to(USER))
    await zalo.say(USER, "cài vneid thế nào", "a-4")
    assert len(fake_zalo.texts_to(USER)) > after  # the quiet period is over
