"""Onboarding: `troly invite` prints the Telegram deep link and saves a QR code, a new member joins by opening
the link, `/toi` shows the user's id and role, and a leader creates invites for their own team in chat."""

from __future__ import annotations

import argparse
import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Troly, create_app
from bot.areas import area_by_code
from bot.cli_admin import run_invite
from bot.invites import default_team
from bot.onboarding import qr_png
from bot.settings import Settings
from bot.storage.models import AuditLog, Role, User
from tests.helpers import joined, say
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_e2e import SECRET, serving, telegram_settings
from tests.support.telegram_updates import post_update, text_update
from tests.test_membership import _import_sample

LINK = re.compile(r"https://t\.me/(\w+)\?start=([A-Z0-9]{8})")


def _invite_args(qr: Path | None = None) -> argparse.Namespace:
    return argparse.Namespace(role="member", area="22-MC-K1", team=None, hours=None, qr=qr)


def _grant(app: Troly, channel: str, user_id: str, role: Role, area_code: str = "22-MC-K1") -> None:
    with app.database.transaction() as session:
        area = area_by_code(session, area_code)
        assert area is not None
        user = User(channel=channel, channel_user_id=user_id, chat_id=user_id, role=role, area_id=area.id)
        user.team_id = default_team(session, area).id
        session.add(user)


async def test_troly_invite_prints_the_deep_link_and_saves_its_qr_code(
    make_settings: Callable[..., Settings],
    sqlite_url: str,
    fake_telegram: FakeTelegram,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = telegram_settings(make_settings, fake_telegram, database_url=sqlite_url)
    app = create_app(settings)
    _import_sample(app)
    app.close()
    assert await asyncio.to_thread(run_invite, settings, _invite_args(tmp_path / "moi.png")) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    link = next(LINK.search(line) for line in printed if LINK.search(line))
    assert link is not None and link.group(1) == fake_telegram.bot_username
    assert link.group(2) == printed[-1]  # the last line is still the code alone
    assert "/thamgia " + printed[-1] in "\n".join(printed)
    assert (tmp_path / "moi.png").read_bytes() == qr_png(link.group(0))  # the QR code opens the link
    asked = len(fake_telegram.calls("getMe"))
    assert await asyncio.to_thread(run_invite, settings, _invite_args()) == 0
    assert len(fake_telegram.calls("getMe")) == asked  # the username was kept, not asked again
    code = capsys.readouterr().out.strip().splitlines()[-1]
    assert (settings.data_dir / "invites" / f"{code}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def test_without_telegram_the_qr_code_carries_the_join_command(
    make_settings: Callable[..., Settings], sqlite_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    settings = make_settings(database_url=sqlite_url)
    app = create_app(settings)
    _import_sample(app)
    app.close()
    assert await asyncio.to_thread(run_invite, settings, _invite_args(tmp_path / "qr.png")) == 0
    printed = capsys.readouterr().out
    code = printed.strip().splitlines()[-1]
    assert "t.me" not in printed
    assert (tmp_path / "qr.png").read_bytes() == qr_png(f"/thamgia {code}")


async def test_a_new_member_joins_by_opening_the_deep_link_and_sees_their_id(
    make_settings: Callable[..., Settings],
    sqlite_url: str,
    fake_telegram: FakeTelegram,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = telegram_settings(make_settings, fake_telegram, database_url=sqlite_url)
    app = create_app(settings)
    _import_sample(app)
    try:
        async with serving(app) as (url, session):
            assert await asyncio.to_thread(run_invite, settings, _invite_args()) == 0
            link = LINK.search(capsys.readouterr().out)
            assert link is not None
            # Opening the link shows «Bắt đầu»; tapping it makes Telegram send "/start CODE" from the new user.
            start = text_update(6060, f"/start {link.group(2)}")
            assert (await post_update(session, url, start, SECRET)).status == 200
            welcome = await fake_telegram.wait_for("sendMessage", chat_id=6060)
            assert (await post_update(session, url, text_update(6060, "/toi"), SECRET)).status == 200
            await fake_telegram.wait_for("sendMessage", 2, chat_id=6060)
    finally:
        app.close()
    assert "Chào mừng bạn! Bạn đã là thành viên" in (welcome[0].text or "")
    me = fake_telegram.plain_texts(6060)[1]
    assert "Mã người dùng của bạn: 6060" in me and "Telegram" in me
    assert "thành viên Tổ công nghệ số cộng đồng" in me and "Khu 1" in me
    with app.database.transaction() as db:
        member = db.scalar(select(User).where(User.channel == "telegram", User.channel_user_id == "6060"))
        assert member is not None and member.role is Role.MEMBER


def test_toi_shows_a_citizen_their_id_and_the_grant_command(app: Troly) -> None:
    text = joined(say(app, "/toi", user="zz9", channel="zalo"))
    assert "qua Zalo" in text and "Mã người dùng của bạn: zz9" in text and "Vai trò: người dân" in text
    assert "troly users grant --channel zalo --user-id zz9" in text


async def test_a_leader_invites_a_member_in_chat_with_link_and_qr_code(
    make_settings: Callable[..., Settings], sqlite_url: str, fake_telegram: FakeTelegram
) -> None:
    app = create_app(telegram_settings(make_settings, fake_telegram, database_url=sqlite_url))
    _import_sample(app)
    _grant(app, "telegram", "7070", Role.LEADER)
    try:
        async with serving(app) as (url, session):  # start-up asks getMe and keeps the username for links
            assert (await post_update(session, url, text_update(7070, "/moi"), SECRET)).status == 200
            sent = await fake_telegram.wait_for("sendMessage", chat_id=7070)
            photo = await fake_telegram.wait_for("sendPhoto", chat_id=7070)
            link = LINK.search(sent[0].text or "")
            assert link is not None and photo
            start = text_update(7171, f"/start {link.group(2)}")
            assert (await post_update(session, url, start, SECRET)).status == 200
            welcome = await fake_telegram.wait_for("sendMessage", chat_id=7171)
            assert (await post_update(session, url, text_update(7272, "/moi"), SECRET)).status == 200
            refused = await fake_telegram.wait_for("sendMessage", chat_id=7272)
    finally:
        app.close()
    assert "Chào mừng bạn! Bạn đã là thành viên" in (welcome[0].text or "")
    assert "chỉ dành cho" in (refused[0].text or "")  # citizens cannot create invites
    with app.database.transaction() as db:
        audit = db.scalars(select(AuditLog).where(AuditLog.action == "invite.create")).all()
        assert [row.actor_label.split(":")[0] for row in audit] == ["telegram"]
