"""`troly zalo status` and `troly zalo refresh`: what an admin needs to see and fix the Zalo token chain.

The sender and the token manager (aiohttp) are imported by the commands, so registering them costs nothing.
"""

from __future__ import annotations

import argparse
import asyncio

from sqlalchemy import select

from adapters.zalo.models import ZaloToken
from bot.app import create_app
from bot.commands import Commands
from bot.settings import Settings
from bot.storage.models import AuditLog


def register(commands: Commands) -> None:
    group = commands.group("zalo", help="Kênh Zalo Official Account: xem và làm mới mã truy cập")
    group.add("status", help="Xem cấu hình Zalo, hạn của mã truy cập và các lần làm mới bị lỗi", run=run_status)
    group.add("refresh", help="Làm mới mã truy cập Zalo ngay (dùng mã làm mới đang lưu)", run=run_refresh)


def run_status(settings: Settings, _args: argparse.Namespace) -> int:
    from adapters.zalo.tokens import REFRESH_FAILED_ACTION

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
    finally:
        troly.close()
    return 0


def run_refresh(settings: Settings, _args: argparse.Namespace) -> int:
    from adapters.zalo.sender import sender_for
    from adapters.zalo.tokens import RefreshFailed

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
