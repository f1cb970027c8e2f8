"""`troly zalo status` and `troly zalo refresh`: what an admin needs to see and fix the Zalo channel.

`status` shows which settings are set (never their values), the token chain, the OA's own information as
Zalo gives it now (`getoa`: name, verification, type, followers; the last stored answer when Zalo cannot be
asked), when the last Zalo event arrived, and the operational alerts of the last 7 days (bot/alerts.py).

The app, the sender, the token manager and the OA profile calls (aiohttp) are imported by the commands, so
registering them costs nothing.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from adapters.zalo.events import CHANNEL
from adapters.zalo.models import ZaloOaState, ZaloToken
from bot.commands import Commands
from bot.settings import Settings
from bot.storage.models import AuditLog, User
from bot.storage.types import utcnow

if TYPE_CHECKING:
    from bot.app import Troly


def register(commands: Commands) -> None:
    group = commands.group("zalo", help="Kênh Zalo Official Account: xem và làm mới mã truy cập")
    group.add(
        "status",
        help="Xem cấu hình Zalo, mã truy cập, thông tin OA, sự kiện gần nhất và các cảnh báo",
        run=run_status,
    )
    group.add("refresh", help="Làm mới mã truy cập Zalo ngay (dùng mã làm mới đang lưu)", run=run_refresh)


def run_status(settings: Settings, _args: argparse.Namespace) -> int:
    from adapters.zalo.tokens import REFRESH_FAILED_ACTION
    from bot.app import create_app

    for name, value in _configured(settings).items():
        print(f"TROLY_{name.upper()}: {'đã đặt' if value else 'CHƯA ĐẶT'}")
    troly = create_app(settings)
    try:
        with troly.database.transaction() as session:
            row = session.get(ZaloToken, settings.zalo_app_id) if settings.zalo_app_id else None
            failures = session.scalars(
                select(AuditLog).where(AuditLog.action == REFRESH_FAILED_ACTION).order_by(AuditLog.at.desc()).limit(3)
            ).all()
            if row is None:
                print("Mã truy cập: chưa lưu trong cơ sở dữ liệu (sẽ lấy cặp mã trong cấu hình khi dùng lần đầu).")
            else:
                expiry = row.expires_at.isoformat(timespec="minutes") if row.expires_at else "chưa biết"
                refreshed = row.refreshed_at.isoformat(timespec="minutes") if row.refreshed_at else "chưa lần nào"
                print(f"Mã truy cập: hết hạn {expiry}; làm mới lần cuối: {refreshed}")
            for failure in failures:
                print(
                    f"Làm mới lỗi lúc {failure.at.isoformat(timespec='minutes')}: {failure.details.get('reason', '')}"
                )
        if settings.zalo_app_id:
            _print_oa(troly)
            _print_watch(troly)
    finally:
        troly.close()
    return 0


def _print_oa(troly: Troly) -> None:
    from adapters.zalo.profiles import OaInfo, fetch_oa_info, save_oa_info
    from adapters.zalo.sender import sender_for

    sender = sender_for(troly)
    info: OaInfo | str = "chưa đủ cấu hình để hỏi Zalo"
    if sender is not None:
        info = asyncio.run(fetch_oa_info(sender.api, sender.tokens))
    if isinstance(info, OaInfo):
        save_oa_info(troly, info, utcnow())
        print(f"OA: {info.name or '(không tên)'} (mã {info.oa_id or '?'}), {_verified(info.is_verified)}, "
              f"loại {info.oa_type or '?'}, gói {info.package_name or '?'}, "
              f"{info.followers if info.followers is not None else '?'} người quan tâm")  # fmt: skip
        return
    print(f"OA: không hỏi được Zalo ({info}).")
    with troly.database.sessions() as session:
        state = session.get(ZaloOaState, troly.settings.zalo_app_id)
    if state is not None and state.checked_at is not None:
        print(f"  Lần hỏi được gần nhất ({state.checked_at.isoformat(timespec='minutes')}): {state.name}, "
              f"{_verified(state.is_verified)}, {state.followers} người quan tâm")  # fmt: skip


def _print_watch(troly: Troly) -> None:
    from bot.alerts import recent_alerts

    now = utcnow()
    with troly.database.sessions() as session:
        last = session.scalar(select(func.max(User.last_interaction_at)).where(User.channel == CHANNEL))
        raised = recent_alerts(session, now - timedelta(days=7))
    heard = last.isoformat(timespec="minutes") if last else "chưa có"
    print(f"Sự kiện Zalo gần nhất: {heard} (cảnh báo khi im lặng quá {troly.settings.zalo_silence_hours:g} giờ)")
    if not raised:
        print("Cảnh báo trong 7 ngày qua: không có.")
    for alert in raised:
        repeats = int(alert.details.get("repeats", 0))
        more = f" (lặp lại {repeats} lần sau đó)" if repeats else ""
        first_line = str(alert.details.get("text", "")).splitlines()[0][:160]
        print(f"Cảnh báo {alert.at.isoformat(timespec='minutes')} [{alert.target}]{more}: {first_line}")


def _verified(value: bool | None) -> str:
    return "đã xác thực" if value else "chưa xác thực" if value is False else "chưa rõ xác thực"


def run_refresh(settings: Settings, _args: argparse.Namespace) -> int:
    from adapters.zalo.sender import sender_for
    from adapters.zalo.tokens import RefreshFailed
    from bot.app import create_app

    troly = create_app(settings)
    sender = sender_for(troly)
    if sender is None:
        print("Zalo chưa được cấu hình đủ (app id, app secret, cặp mã truy cập).")
        troly.close()
        return 2

    async def refresh() -> str:
        try:
            current = await sender.tokens.current()
            fresh = await sender.tokens.refresh(current.access_token)
            return f"Đã làm mới. Mã truy cập mới hết hạn: {fresh.expires_at}"
        finally:
            await sender.aclose()

    try:
        print(asyncio.run(refresh()))
        return 0
    except RefreshFailed as error:
        print(f"Làm mới thất bại: {error}")
        return 1
    finally:
        troly.close()


def _configured(settings: Settings) -> dict[str, bool]:
    return {
        "zalo_app_id": bool(settings.zalo_app_id),
        "zalo_app_secret": bool(settings.zalo_app_secret.get_secret_value()),
        "zalo_oa_secret_key": bool(settings.zalo_oa_secret_key.get_secret_value()),
        "zalo_access_token": bool(settings.zalo_access_token.get_secret_value()),
        "zalo_refresh_token": bool(settings.zalo_refresh_token.get_secret_value()),
    }
