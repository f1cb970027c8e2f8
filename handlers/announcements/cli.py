"""`troly announce` (queue one, or `status ID`) and `troly deliver` (a standalone delivery worker).

The app, the outbox and the delivery worker are imported by the command that runs: every `troly` command
registers these, and most never need them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.areas import require_area
from bot.commands import Commands
from bot.extensions import DELIVERY_STATES
from bot.plugins import make_senders
from bot.settings import Settings
from bot.storage.models import AuditLog
from bot.storage.types import utcnow
from handlers.announcements.models import Announcement, Target
from handlers.announcements.timefmt import local_text, parse_iso

if TYPE_CHECKING:
    from bot.app import Troly

# `--at` may lag a few minutes behind the clock (typed "now", a slow script); it may not be long past, nor more
# than a year ahead (the chat dialog allows 60 days; an operator may plan further, but not decades).
AT_PAST_TOLERANCE = timedelta(minutes=5)
AT_MAX_AHEAD = timedelta(days=366)


def register_cli(commands: Commands) -> None:
    commands.add(
        "announce",
        help="Xếp một thông báo vào hàng gửi (--area, --text, --at); xem kết quả: status SỐ; hủy: cancel SỐ",
        run=run_announce,
        configure=_configure_announce,
    )
    commands.add(
        "deliver",
        help="Chạy tiến trình gửi thông báo (có thể chạy nhiều tiến trình cùng lúc với PostgreSQL)",
        run=run_deliver,
        configure=_configure_deliver,
        service=True,
    )


def _configure_announce(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--area", help="mã khu vực nhận thông báo (gồm cả các khu vực trực thuộc)")
    parser.add_argument("--text", help="nội dung thông báo")
    parser.add_argument(
        "--at", help="thời điểm gửi, ISO 8601 (không ghi múi giờ thì hiểu là giờ Việt Nam), trong vòng 366 ngày tới"
    )
    parser.add_argument("--team-only", action="store_true", help="chỉ gửi cho thành viên Tổ công nghệ số")
    sub = parser.add_subparsers(dest="announce_command", title="lệnh", metavar="LỆNH")
    status = sub.add_parser("status", help="Xem kết quả gửi một thông báo", description="Xem kết quả gửi")
    status.add_argument("id", type=int, help="số thông báo")
    status.add_argument("--json", action="store_true", help="in kết quả dạng JSON")
    cancel = sub.add_parser("cancel", help="Hủy phần chưa gửi của một thông báo", description="Hủy phần chưa gửi")
    cancel.add_argument("id", type=int, help="số thông báo")


def _configure_deliver(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--channel", action="append", help="chỉ gửi qua kênh này (có thể lặp lại)")
    parser.add_argument(
        "--exit-when-idle", action="store_true", help="dừng khi không còn tin nào đang chờ gửi qua các kênh này"
    )


def run_announce(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import create_app
    from handlers.announcements.compose import MAX_CHARS
    from handlers.announcements.outbox import enqueue_for
    from handlers.announcements.recipients import push_channels, who

    if args.announce_command == "status":
        return run_status(settings, args)
    if args.announce_command == "cancel":
        return run_cancel(settings, args)
    if not args.area or args.text is None:
        print("Cần --area MÃ_KHU_VỰC và --text NỘI_DUNG (xem: troly announce --help).")
        return 1
    text = args.text.strip()
    if not text or len(text) > MAX_CHARS:
        print(f"Nội dung thông báo phải có từ 1 đến {MAX_CHARS} ký tự (đang có {len(text)}).")
        return 1
    now = utcnow()
    send_at = _send_time(args.at, now) if args.at else now
    if send_at is None:
        return 1
    troly = create_app(settings)
    try:
        with troly.database.transaction() as session:
            area = require_area(session, args.area)
            target = Target.TEAM if args.team_only else Target.SUBSCRIBERS
            announcement = Announcement(
                text=text, area_id=area.id, target=target, created_by_label="cli", created_at=now, send_at=send_at
            )
            queued = enqueue_for(session, announcement, who(area.id, target), push_channels(troly.plugins))
            number = announcement.id
            details = {"area": area.code, "target": target.value, "recipients": queued, "send_at": str(send_at)}
            session.add(
                AuditLog(
                    at=now,
                    actor_label="cli",
                    action="announcement.create",
                    target=f"announcement:{number}",
                    details=details,
                )
            )
    finally:
        troly.close()
    print(f"Đã xếp thông báo cho {queued} người nhận ở {area.name} ({area.code}), gửi lúc {local_text(send_at)}.")
    print(f"Xem kết quả: troly announce status {number}")
    print(number)
    return 0


def _send_time(typed: str, now: datetime) -> datetime | None:
    """`--at` as a UTC time, or None after saying what is wrong: not a time, long past, or too far ahead (a
    mistyped year such as 9999 or 1970 would otherwise queue an announcement nobody ever receives, or send
    one at once that was meant for later)."""
    try:
        moment = parse_iso(typed)
    except (ValueError, OverflowError):
        print(f"Không hiểu thời điểm --at {typed!r}; dùng dạng 2026-12-25T08:00 (giờ Việt Nam).")
        return None
    if moment < now - AT_PAST_TOLERANCE:
        print(
            f"Thời điểm --at {typed} ({local_text(moment)}) đã qua. Bỏ --at để gửi ngay, hoặc chọn một thời điểm sau."
        )
        return None
    if moment > now + AT_MAX_AHEAD:
        print(
            f"Thời điểm --at {typed} xa quá: chỉ hẹn được trong vòng {AT_MAX_AHEAD.days} ngày tới "
            f"(đến {local_text(now + AT_MAX_AHEAD)}). Bạn kiểm tra lại năm nhé."
        )
        return None
    return moment


def run_status(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import create_app
    from handlers.announcements.status import load_status, render

    troly = create_app(settings)
    try:
        with troly.database.transaction() as session:
            status = load_status(session, args.id, troly.extensions[DELIVERY_STATES])
    finally:
        troly.close()
    if status is None:
        print(f"Không có thông báo số {args.id}.")
        return 1
    print(json.dumps(status.as_json(), ensure_ascii=False, indent=2) if args.json else render(status))
    return 0


def run_cancel(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import create_app
    from handlers.announcements.outbox import cancel

    troly = create_app(settings)
    try:
        with troly.database.transaction() as session:
            if session.get(Announcement, args.id) is None:
                print(f"Không có thông báo số {args.id}.")
                return 1
            now = utcnow()
            skipped = cancel(session, args.id, now)
            session.add(
                AuditLog(
                    at=now,
                    actor_label="cli",
                    action="announcement.cancel",
                    target=f"announcement:{args.id}",
                    details={"cancelled": skipped},
                )
            )
    finally:
        troly.close()
    print(f"Đã hủy {skipped} tin chưa gửi của thông báo số {args.id} (tin đã gửi không thu hồi được).")
    return 0


def run_deliver(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import create_app

    troly = create_app(settings)
    try:
        return asyncio.run(_deliver(troly, args))
    finally:
        troly.close()


async def _deliver(troly: Troly, args: argparse.Namespace) -> int:
    from bot.alerts import FailureSpike, alerts
    from bot.sendbudget import close_budgets
    from handlers.announcements.worker import DeliveryOptions, DeliveryWorker

    senders = make_senders(troly)
    if args.channel:
        senders = {name: sender for name, sender in senders.items() if name in args.channel}
    if not senders:
        print("Chưa có kênh nào gửi được tin (cần cấu hình TROLY_TELEGRAM_TOKEN hoặc thông tin Zalo).")
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def stopping() -> None:  # nothing more is sent: sends waiting for their turn go back to the queue
        stop.set()
        close_budgets(troly)

    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stopping)
    options = DeliveryOptions.from_settings(troly.settings)
    worker = DeliveryWorker(troly.database, senders, troly.policies, options, spike=FailureSpike(alerts(troly)))
    try:
        await worker.run(stop, exit_when_idle=args.exit_when_idle)
    finally:
        for sender in senders.values():
            await sender.aclose()
    print(f"Đã gửi {worker.sent} tin.")
    return 0
