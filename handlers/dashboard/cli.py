"""`troly web-login`, `troly web-token` and `troly report monthly`.

The app and the report's figures are imported by the command that runs; `report monthly` only reads, so it
opens the database without migrating it (bot.database.open_for_reading).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.areas import require_area
from bot.commands import Commands
from bot.settings import Settings
from bot.storage.models import AuditLog, User
from handlers.dashboard import auth

if TYPE_CHECKING:
    from bot.app import Troly


def _app(settings: Settings, *, reading: bool = False) -> Troly:
    from bot.app import create_app

    return create_app(settings, reading=reading)


def register_cli(commands: Commands) -> None:
    commands.add(
        "web-login",
        help="In liên kết đăng nhập trang quản lý (dùng một lần, 10 phút) cho một tổ trưởng, cán bộ hoặc quản trị viên",
        run=run_web_login,
        configure=_configure_login,
    )
    commands.add(
        "web-token",
        help="Tạo mã truy cập cho máy (trung tâm IOC) đọc báo cáo tháng qua /api/v1/; dòng cuối là mã",
        run=run_web_token,
        configure=_configure_token,
    )
    report = commands.group("report", help="Báo cáo hoạt động của Tổ công nghệ số cộng đồng")
    report.add("monthly", help="Báo cáo tháng theo chỉ tiêu của kế hoạch (XLSX hoặc JSON)", run=run_monthly,
               configure=_configure_monthly)  # fmt: skip


def _configure_login(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--channel", required=True, help="kênh của người dùng (telegram, zalo, console)")
    parser.add_argument("--user-id", required=True, help="mã người dùng trên kênh")


def _configure_token(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", required=True, help="tên máy dùng mã, ví dụ IOC Móng Cái")
    parser.add_argument("--area", required=True, help="mã khu vực được xem (gồm cả khu vực cấp dưới)")


def _month(text: str) -> date:
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise argparse.ArgumentTypeError(f"tháng '{text}' không hợp lệ, hãy viết dạng NĂM-THÁNG, ví dụ 2026-11")
    return date(int(match.group(1)), int(match.group(2)), 1)


def _configure_monthly(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--month", required=True, type=_month, help="tháng báo cáo, dạng 2026-11")
    parser.add_argument("--area", required=True, help="mã khu vực (đơn vị báo cáo)")
    parser.add_argument("--output", "-o", type=Path, help="tệp XLSX cần ghi (mặc định bao-cao-MÃ-THÁNG.xlsx)")
    parser.add_argument("--json", action="store_true", help="in số liệu dạng JSON thay vì ghi XLSX")


def run_web_login(settings: Settings, args: argparse.Namespace) -> int:
    troly = _app(settings)
    try:
        with troly.database.transaction() as session:
            user = session.scalar(
                select(User).where(User.channel == args.channel, User.channel_user_id == args.user_id)
            )
            if user is None:
                print(f"Không có người dùng {args.channel}:{args.user_id}. Xem: troly users list", file=sys.stderr)
                return 1
            try:
                secret = auth.create_link(session, user, troly.clock.now())
            except auth.LoginRefused as refused:
                print(str(refused), file=sys.stderr)
                return 1
            session.add(AuditLog(at=troly.clock.now(), actor_label="cli", action="web.link", target=f"user:{user.id}"))
    finally:
        troly.close()
    base = auth.base_url(settings.public_url, settings.host, settings.port)
    print("Liên kết đăng nhập trang quản lý, dùng một lần trong 10 phút:")
    print(f"{base}{auth.LOGIN_PATH}/{secret}")
    return 0


def run_web_token(settings: Settings, args: argparse.Namespace) -> int:
    troly = _app(settings)
    try:
        with troly.database.transaction() as session:
            area = require_area(session, args.area)
            secret = auth.create_api_token(session, args.name, area.id, troly.clock.now())
            details = {"name": args.name, "area": area.code}
            session.add(AuditLog(at=troly.clock.now(), actor_label="cli", action="api_token.create", details=details))
    finally:
        troly.close()
    print(f"Mã truy cập cho {args.name} ({area.code}); gửi kèm tiêu đề Authorization: Bearer MÃ")
    print("Mã chỉ hiện một lần; hệ thống chỉ lưu bản băm.")
    print(secret)
    return 0


def run_monthly(settings: Settings, args: argparse.Namespace) -> int:
    from bot.database import schema_checked
    from handlers.dashboard import figures
    from handlers.dashboard.overview import progress_of

    troly = _app(settings, reading=True)
    try:
        with schema_checked(troly.database), troly.database.reading() as session:
            area = require_area(session, args.area)
            report = figures.monthly_figures(session, progress_of(troly), area, args.month, troly.clock.now())
    finally:
        troly.close()
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        return 0
    output = args.output or Path(f"bao-cao-{report.area_code}-{report.month:%Y-%m}.xlsx")
    try:
        from handlers.dashboard.monthly import monthly_xlsx  # openpyxl, only when writing the file

        output.write_bytes(monthly_xlsx(report))
    except OSError as error:
        print(f"Không ghi được tệp {output}: {error.strerror}", file=sys.stderr)
        return 1
    print(f"Đã ghi báo cáo tháng {report.period} của {report.area_name} vào {output}")
    return 0
